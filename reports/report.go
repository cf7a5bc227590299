package reports

import (
	"strconv"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// Schema is the JSON report's schema identifier.
const Schema = "chaosrun.report/v1"

// Report is the result of comparing policies. Its JSON form is the
// chaosrun.report/v1 contract; fields tagged "-" feed the other formats.
type Report struct {
	Schema string `json:"schema"`
	Mode   string `json:"mode"`
	Seed   uint64 `json:"seed"`
	// RunsPerPolicy is the runs each policy was given; 0 under --duration,
	// where each policy's Runs is its own count.
	RunsPerPolicy int             `json:"runs_per_policy"`
	Invariants    []invariants.ID `json:"invariants"`
	Policies      []Policy        `json:"policies"`
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
	// Mistake is the catalog's mistake number (0: reference or a team policy);
	// CaughtBy lists the invariants the catalog expects it to violate.
	Mistake  int             `json:"-"`
	Summary  string          `json:"-"`
	CaughtBy []invariants.ID `json:"-"`
	// Failures holds the first counterexample of every violated invariant.
	Failures map[invariants.ID]*harness.Failure `json:"-"`
	Unknown  map[invariants.ID]int              `json:"-"`
	// AllFaults marks an exploration that enabled every fault kind, which
	// the replay lines repeat.
	AllFaults bool `json:"-"`
	// Mode is the report's mode, which net-mode replay lines repeat.
	Mode string `json:"-"`
}

// FirstFailure is a policy's first counterexample, shrunk.
type FirstFailure struct {
	Invariant invariants.ID `json:"invariant"`
	Seed      uint64        `json:"seed"`
	Scenario  string        `json:"scenario"`
	Steps     int           `json:"steps"`
	Replay    string        `json:"replay"`
}

// New returns an empty report for the given mode, seed and runs per policy
// (0 when exploration ran for a duration instead).
func New(mode string, seed uint64, runs int) *Report {
	r := &Report{Schema: Schema, Mode: mode, Seed: seed, RunsPerPolicy: runs}
	r.Invariants = invariants.IDs()
	return r
}

// Entry describes where a policy comes from, for Add.
type Entry struct {
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
		Violations: map[invariants.ID]int{}, Executions: executionsOf(s.Executions), Cost: costOf(s.Cost),
		Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy,
		Failures: map[invariants.ID]*harness.Failure{}, Unknown: map[invariants.ID]int{},
		AllFaults: e.AllFaults, Mode: r.Mode,
	}
	name := s.Policy
	if e.Source != "" && e.Source != "builtin" {
		name = e.Source
	}
	for _, id := range invariants.IDs() {
		p.Violations[id] = s.Violations[id]
		if n := s.Unknown[id]; n > 0 {
			p.Unknown[id] = n
		}
		if f := s.First[id]; f != nil {
			p.Failures[id] = f
		}
	}
	if f := s.FirstFailure; f != nil {
		p.FirstFailure = &FirstFailure{
			Invariant: f.Invariant, Seed: f.Seed, Scenario: f.Run.Scenario.Name(), Steps: f.Steps(),
			Replay: harness.ReplayCommand(name, strconv.FormatUint(f.Seed, 10), harness.ReplayFlags(e.AllFaults, r.Mode)...),
		}
	}
	r.Policies = append(r.Policies, p)
}

// Replay returns the replay line of a policy's counterexample for an
// invariant, with the flags its exploration ran under.
func (p Policy) Replay(id invariants.ID) string {
	f := p.Failures[id]
	if f == nil {
		return ""
	}
	name := p.Name
	if p.Source != "" && p.Source != "builtin" {
		name = p.Source
	}
	return harness.ReplayCommand(name, strconv.FormatUint(f.Seed, 10), harness.ReplayFlags(p.AllFaults, p.Mode)...)
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

// Elapsed returns the policy's exploration time.
func (p Policy) Elapsed() time.Duration { return time.Duration(p.ElapsedMS) * time.Millisecond }
