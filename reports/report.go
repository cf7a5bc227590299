package reports

import (
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// Schema is the JSON report's schema identifier.
const Schema = "chaosrun.report/v1"

// DefaultWorld names the built-in world of tools and tenants.
const DefaultWorld = "default"

// Report is the result of comparing policies. Its JSON form is the
// chaosrun.report/v1 contract; fields tagged "-" feed the other formats.
type Report struct {
	Schema string `json:"schema"`
	Mode   string `json:"mode"`
	Seed   uint64 `json:"seed"`
	// RunsPerPolicy is the runs each policy was given in this report's
	// shards; 0 under --duration, where each policy's Runs is its own count.
	RunsPerPolicy int `json:"runs_per_policy"`
	// Shard is the slice of the seed space the report covers ("1/1": all).
	Shard Shard `json:"shard"`
	// Store is the kind of store the engine ran on: "memory" or
	// "postgres", never an address or a password.
	Store string `json:"store"`
	// World names the world of tools and tenants ("default": the built-in one).
	World string `json:"world"`
	// Seeds is the seed range of the whole exploration, of which the shard
	// ran every n-th seed.
	Seeds SeedRange `json:"seeds"`
	// Version is the chaosrun that ran the exploration.
	Version    string          `json:"version"`
	Invariants []invariants.ID `json:"invariants"`
	Policies   []Policy        `json:"policies"`

	worldFile string // the world file replay lines name
}

// SeedRange is the first and last seed of an exploration. Under
// --duration the last is the highest seed any policy of the report ran.
type SeedRange struct {
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// Policy is one policy's row.
type Policy struct {
	Name string `json:"name"`
	// Source is "builtin" or the policy file's path.
	Source    string `json:"source"`
	Runs      int    `json:"runs"`
	ElapsedMS int64  `json:"elapsed_ms"`
	// Violations counts, per invariant, the runs that violated it.
	Violations   map[invariants.ID]int `json:"violations"`
	FirstFailure *FirstFailure         `json:"first_failure"`
	Executions   Executions            `json:"executions"`
	Cost         Cost                  `json:"cost"`
	// Unknown counts, per invariant, the runs where its checker could not
	// decide.
	Unknown map[invariants.ID]int `json:"unknown"`
	// Failures holds the first counterexample of every violated invariant,
	// in contract order.
	Failures []Counterexample `json:"failures"`
	// Summary says what a built-in policy is. Mistake is the catalog's
	// mistake number (0: the reference or a team's policy); CaughtBy lists
	// the invariants the catalog expects it to violate.
	Summary  string          `json:"summary,omitempty"`
	Mistake  int             `json:"mistake,omitempty"`
	CaughtBy []invariants.ID `json:"expected_violations,omitempty"`
	// AllFaults marks an exploration that enabled every fault kind, which
	// the replay lines repeat.
	AllFaults bool `json:"all_faults"`
	// Coverage is which cells of the fault model received a fault (nil in
	// net mode, which judges none).
	Coverage *Coverage `json:"coverage,omitempty"`

	worldFile string // the world file replay lines name
}

// FirstFailure is a policy's first counterexample, shrunk.
type FirstFailure struct {
	Invariant invariants.ID `json:"invariant"`
	Seed      uint64        `json:"seed"`
	Scenario  string        `json:"scenario"`
	Steps     int           `json:"steps"`
	Replay    string        `json:"replay"`
}

// Setup is what an exploration ran on, as its report records it. The zero
// value of a field means its default: sim mode, seed 1, no shards, the
// memory store, the default world.
type Setup struct {
	Mode string
	Seed uint64
	// Runs is the runs per policy of the whole exploration, all shards
	// together (--runs); 0 under --duration.
	Runs int
	// Shard and Shards: this report covers shard Shard of Shards.
	Shard, Shards int
	Store         string
	// World is the world's name; WorldFile the file it was read from, which
	// replay lines name ("" for the built-in world).
	World     string
	WorldFile string
	Version   string
}

// New returns an empty report of an exploration.
func New(s Setup) *Report {
	if s.Mode == "" {
		s.Mode = "sim"
	}
	if s.Seed == 0 {
		s.Seed = 1
	}
	if s.Shards <= 0 {
		s.Shard, s.Shards = 1, 1
	}
	if s.Store == "" {
		s.Store = "memory"
	}
	if s.World == "" {
		s.World = DefaultWorld
	}
	r := &Report{
		Schema: Schema, Mode: s.Mode, Seed: s.Seed, Shard: OneShard(s.Shard, s.Shards),
		Store: s.Store, World: s.World, Version: s.Version, Invariants: invariants.IDs(),
		Seeds: SeedRange{First: s.Seed}, worldFile: s.WorldFile,
	}
	if s.Runs > 0 {
		r.RunsPerPolicy = ShardRuns(s.Runs, s.Shard, s.Shards)
		r.Seeds.Last = s.Seed + uint64(s.Runs) - 1
	}
	return r
}

// Entry describes where a policy comes from, for Add.
type Entry struct {
	// Source is "builtin" for a catalog policy, the policy file's path, or
	// "" for a policy written in Go (its counterexamples get no chaosrun
	// replay line: they replay in the policy's own test).
	Source   string
	Mistake  int
	Summary  string
	CaughtBy []invariants.ID
	// AllFaults marks explorations that enabled every fault kind, which the
	// replay line must repeat.
	AllFaults bool
}

// Add appends a policy's exploration to the report.
func (r *Report) Add(s *harness.Summary, e Entry) {
	p := Policy{
		Name: s.Policy, Source: e.Source, Runs: s.Runs, ElapsedMS: s.Elapsed.Milliseconds(),
		Violations: map[invariants.ID]int{}, Unknown: map[invariants.ID]int{}, Failures: []Counterexample{},
		Executions: executionsOf(s.Executions), Cost: costOf(s.Cost),
		Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy,
		AllFaults: e.AllFaults, Coverage: coverageOf(s), worldFile: r.worldFile,
	}
	for _, id := range r.Invariants {
		p.Violations[id] = s.Violations[id]
		p.Unknown[id] = s.Unknown[id]
		if f := s.First[id]; f != nil {
			p.Failures = append(p.Failures, Counterexample{
				Invariant: id, Seed: f.Seed, Scenario: f.Run.Scenario.Name(), Steps: f.Steps(), Shrunk: f.Shrunk,
				Message: f.Violation.Message, Replay: p.replay(f, r.Mode), Failure: f,
			})
		}
	}
	if f := s.FirstFailure; f != nil {
		p.FirstFailure = &FirstFailure{
			Invariant: f.Invariant, Seed: f.Seed, Scenario: f.Run.Scenario.Name(), Steps: f.Steps(),
			Replay: p.replay(f, r.Mode),
		}
	}
	if r.RunsPerPolicy == 0 && s.Runs > 0 {
		r.Seeds.Last = max(r.Seeds.Last, r.Shard.lastSeed(r.Seed, s.Runs))
	}
	r.Policies = append(r.Policies, p)
}

// replay returns the line that replays a counterexample under the policy,
// with the flags its exploration ran under (net-mode lines repeat the
// mode, a targeted scenario's the cells it was aimed at): see
// [harness.Replay.Line]. It is "" for a policy written in Go, which
// replays in its own test.
func (p Policy) replay(f *harness.Failure, mode string) string {
	return harness.Replay{Policy: p.Name, Source: p.Source, Seed: f.Seed, AllFaults: p.AllFaults, Targets: f.Targets, Mode: mode, World: p.worldFile}.Line()
}

// Replay returns the replay line of a policy's counterexample for an
// invariant, or "" when it has none.
func (p Policy) Replay(id invariants.ID) string {
	if c := p.Failure(id); c != nil {
		return c.Replay
	}
	return ""
}

// Failure returns the policy's first counterexample of an invariant, nil
// when it has none.
func (p Policy) Failure(id invariants.ID) *Counterexample {
	for i := range p.Failures {
		if p.Failures[i].Invariant == id {
			return &p.Failures[i]
		}
	}
	return nil
}

// Violated reports whether any invariant was violated.
func (p Policy) Violated() bool {
	for _, n := range p.Violations {
		if n > 0 {
			return true
		}
	}
	return false
}

// Undecided returns how many invariants could not be decided in some run.
func (p Policy) Undecided() int {
	n := 0
	for _, u := range p.Unknown {
		if u > 0 {
			n++
		}
	}
	return n
}

// Missing lists the reachable cells of the fault model no run put a fault
// in (none when the report judges no coverage).
func (p Policy) Missing() []string {
	if p.Coverage == nil {
		return nil
	}
	return p.Coverage.Missing
}

// Inconclusive reports whether a policy that violated no invariant was
// tested too thinly to be called clean: some reachable cell of the fault
// model never received a fault, or some invariant could not be decided in
// some run.
func (p Policy) Inconclusive() bool {
	return !p.Violated() && (p.Undecided() > 0 || len(p.Missing()) > 0)
}

// Elapsed returns the policy's exploration time.
func (p Policy) Elapsed() time.Duration { return time.Duration(p.ElapsedMS) * time.Millisecond }
