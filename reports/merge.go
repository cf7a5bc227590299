package reports

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
)

// A nightly run is split by seed range across machines (--shard i/n) and
// its shard reports are merged back into one. Merging is exact: counts add
// up, and of the counterexamples of one policy and one invariant the one of
// the lowest seed wins, as it does in an unsharded exploration (which
// aggregates runs in seed order). The merged report of every shard is
// therefore the unsharded report, apart from the wall times, which add up.
//
// Only shards of one exploration merge: the same schema, mode, store,
// world, chaosrun version, invariants, first seed and runs (or all under
// --duration), the same policies in the same order, each shard at most
// once. A merge of some shards only is a report of those shards ("1,3/4"),
// which merges in turn with the others.
//
// What a JSON report does not hold cannot be merged back: the shrunk runs
// behind the timelines. A merged counterexample remembers the shard report
// it came from, and the formats say that its timeline is there, and one
// replay line away.

// MergeError is a set of reports that are not shards of one exploration:
// what differs, and how to get reports that merge.
type MergeError struct {
	Problem string
	Hint    string
}

func (e *MergeError) Error() string { return e.Problem }

func mergeErr(hint, format string, args ...any) error {
	return &MergeError{Problem: fmt.Sprintf(format, args...), Hint: hint}
}

// ErrNotAReport is returned by ReadJSON for input that is not a
// chaosrun.report/v1 report.
var ErrNotAReport = errors.New("not a chaosrun.report/v1 report")

// ReadJSON decodes a JSON report, which must be of schema
// chaosrun.report/v1 and say which shard it covers. Keys it does not know
// are ignored, so that a report written by a later chaosrun, with keys
// added to v1, still reads.
func ReadJSON(in io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(in).Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotAReport, err)
	}
	switch {
	case r.Schema != Schema:
		return nil, fmt.Errorf("%w: its schema is %q", ErrNotAReport, r.Schema)
	case r.Shard.Of == 0:
		return nil, fmt.Errorf("%w: it does not say which shard it covers (written by a chaosrun before merge)", ErrNotAReport)
	case len(r.Invariants) == 0:
		return nil, fmt.Errorf("%w: it lists no invariants", ErrNotAReport)
	}
	for i := range r.Policies {
		p := &r.Policies[i]
		if p.Violations == nil || p.Unknown == nil {
			return nil, fmt.Errorf("%w: policy %q has no violations or unknown counts", ErrNotAReport, p.Name)
		}
	}
	return &r, nil
}

// Part is one report to merge, and where it came from (its path), which
// the errors and the merged counterexamples name.
type Part struct {
	Name   string
	Report *Report
}

// Merge combines the reports of shards of one exploration into one.
func Merge(parts []Part) (*Report, error) {
	if len(parts) == 0 {
		return nil, mergeErr("name the JSON reports of the shards, e.g. chaosrun merge shard-*.json --markdown all.md", "nothing to merge")
	}
	if err := sameExploration(parts); err != nil {
		return nil, err
	}
	if err := disjointShards(parts); err != nil {
		return nil, err
	}
	first := parts[0].Report
	out := *first
	out.Policies = nil
	out.Invariants = slices.Clone(first.Invariants)
	var covered []int
	for _, pt := range parts {
		covered = append(covered, pt.Report.Shard.Parts...)
		out.Seeds.Last = max(out.Seeds.Last, pt.Report.Seeds.Last)
	}
	slices.Sort(covered)
	out.Shard = normal(Shard{Parts: covered, Of: first.Shard.Of})
	if first.RunsPerPolicy > 0 {
		out.RunsPerPolicy = 0
		for _, pt := range parts {
			out.RunsPerPolicy += pt.Report.RunsPerPolicy
		}
	}
	for i := range first.Policies {
		out.Policies = append(out.Policies, mergePolicy(parts, i, out.Invariants))
	}
	return &out, nil
}

// sameExploration refuses reports that are not of one exploration.
func sameExploration(parts []Part) error {
	a := parts[0]
	for _, b := range parts[1:] {
		ra, rb := a.Report, b.Report
		for _, d := range []struct{ what, x, y, hint string }{
			{"the schema", ra.Schema, rb.Schema, "merge reports written by one chaosrun version"},
			{"the mode", ra.Mode, rb.Mode, "merge the shards of one run: the same --mode"},
			{"the store", ra.Store, rb.Store, "merge the shards of one run: the same --store"},
			{"the world", ra.World, rb.World, "merge the shards of one run: the same --world"},
			{"chaosrun's version", ra.Version, rb.Version, "run every shard with the same chaosrun, then merge"},
			{"the first seed", fmt.Sprint(ra.Seed), fmt.Sprint(rb.Seed), "merge the shards of one run: the same --seed"},
			{"the runs", runsText(ra), runsText(rb), "merge the shards of one run: the same --runs (or --duration)"},
			{"the number of shards", fmt.Sprint(ra.Shard.Of), fmt.Sprint(rb.Shard.Of), "merge the shards of one split: --shard i/n with the same n"},
			{"the invariants", joinIDs(ra.Invariants, ","), joinIDs(rb.Invariants, ","), "run every shard with the same chaosrun, then merge"},
			{"the policies", policyList(ra), policyList(rb), "merge the shards of one run: the same --policy flags, in the same order"},
		} {
			if d.x != d.y {
				return mergeErr(d.hint, "%s and %s differ in %s: %s and %s", a.Name, b.Name, d.what, d.x, d.y)
			}
		}
	}
	for _, pt := range parts {
		if err := runsMatchShard(pt); err != nil {
			return err
		}
	}
	return nil
}

// runsText says how many runs the whole exploration had: the seed range
// under --runs, "--duration" under it.
func runsText(r *Report) string {
	if r.RunsPerPolicy == 0 {
		return "--duration"
	}
	return fmt.Sprintf("%d runs (seeds %d-%d)", r.Seeds.Last-r.Seeds.First+1, r.Seeds.First, r.Seeds.Last)
}

// policyList names a report's policies with what their replay lines depend on.
func policyList(r *Report) string {
	names := make([]string, len(r.Policies))
	for i, p := range r.Policies {
		names[i] = p.Name + "=" + p.Source
		if p.AllFaults {
			names[i] += " (all faults)"
		}
	}
	return strings.Join(names, ", ")
}

// runsMatchShard checks a report's run counts against its shards' share
// of the exploration's runs.
func runsMatchShard(pt Part) error {
	r := pt.Report
	if r.RunsPerPolicy == 0 {
		return nil
	}
	total := int(r.Seeds.Last - r.Seeds.First + 1)
	if want := r.Shard.runs(total); r.RunsPerPolicy != want {
		return mergeErr("merge the reports as chaosrun wrote them", "%s: shard %s of %d runs has %d runs per policy, not %d", pt.Name, r.Shard, total, r.RunsPerPolicy, want)
	}
	for _, p := range r.Policies {
		if p.Runs != r.RunsPerPolicy {
			return mergeErr("merge the reports as chaosrun wrote them", "%s: policy %s ran %d runs, the report %d per policy", pt.Name, p.Name, p.Runs, r.RunsPerPolicy)
		}
	}
	return nil
}

// disjointShards refuses two reports covering one shard.
func disjointShards(parts []Part) error {
	by := map[int]string{}
	for _, pt := range parts {
		for _, i := range pt.Report.Shard.Parts {
			if prev, dup := by[i]; dup {
				of := pt.Report.Shard.Of
				if prev == pt.Name {
					return mergeErr("name each shard's report once", "%s is given twice (shard %d/%d)", pt.Name, i, of)
				}
				return mergeErr("name each shard's report once; shards that overlap ran the same seeds twice",
					"%s and %s both cover shard %d/%d", prev, pt.Name, i, of)
			}
			by[i] = pt.Name
		}
	}
	return nil
}

// normal writes every shard of n as the whole, 1/1.
func normal(s Shard) Shard {
	if s.Whole() {
		return OneShard(1, 1)
	}
	return s
}

// mergePolicy adds up the i-th policy of every part.
func mergePolicy(parts []Part, i int, ids []invariants.ID) Policy {
	p := parts[0].Report.Policies[i]
	p.Runs, p.ElapsedMS = 0, 0
	p.Violations, p.Unknown = map[invariants.ID]int{}, map[invariants.ID]int{}
	p.Executions, p.Cost, p.Coverage = Executions{}, Cost{}, nil
	p.Failures, p.FirstFailure = []Counterexample{}, nil
	p.CaughtBy = slices.Clone(p.CaughtBy)
	for _, pt := range parts {
		q := pt.Report.Policies[i]
		p.Runs += q.Runs
		p.ElapsedMS += q.ElapsedMS
		for _, id := range ids {
			p.Violations[id] += q.Violations[id]
			p.Unknown[id] += q.Unknown[id]
		}
		p.Executions = p.Executions.add(q.Executions)
		p.Cost = p.Cost.add(q.Cost)
		p.Coverage = p.Coverage.merge(q.Coverage)
		if ff := q.FirstFailure; ff != nil && (p.FirstFailure == nil || ff.Seed < p.FirstFailure.Seed) {
			c := *ff
			p.FirstFailure = &c
		}
	}
	for _, id := range ids {
		if c := lowest(parts, i, id); c != nil {
			p.Failures = append(p.Failures, *c)
		}
	}
	return p
}

// lowest returns the counterexample of the lowest seed among the parts'
// counterexamples of policy i and one invariant, marked with the shard
// report it came from.
func lowest(parts []Part, i int, id invariants.ID) *Counterexample {
	var best *Counterexample
	for _, pt := range parts {
		c := pt.Report.Policies[i].Failure(id)
		if c == nil || (best != nil && best.Seed <= c.Seed) {
			continue
		}
		cp := *c
		if cp.From == "" {
			cp.From = fmt.Sprintf("shard %s (%s)", pt.Report.Shard, pt.Name)
		}
		best = &cp
	}
	return best
}
