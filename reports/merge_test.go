package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
)

const (
	shardedRuns = 24
	shardCount  = 4
)

var sharded = struct {
	once   sync.Once
	whole  *Report
	shards []*Report
	err    error
}{}

// setupShards explores a few catalog policies once unsharded and once in
// four shards, on the same seeds and runs.
func setupShards(t *testing.T) (*Report, []*Report) {
	t.Helper()
	sharded.once.Do(func() {
		sharded.whole, sharded.err = explore(1, 1)
		for i := 1; i <= shardCount && sharded.err == nil; i++ {
			var r *Report
			r, sharded.err = explore(i, shardCount)
			sharded.shards = append(sharded.shards, r)
		}
	})
	if sharded.err != nil {
		t.Fatal(sharded.err)
	}
	return sharded.whole, sharded.shards
}

func explore(shard, shards int) (*Report, error) {
	r := New(Setup{Seed: 3, Runs: shardedRuns, Shard: shard, Shards: shards, Version: "(test)"})
	for _, name := range []string{"reference", "naive-backoff"} {
		e, err := policies.Lookup(name)
		if err != nil {
			return nil, err
		}
		s, err := harness.Explore(context.Background(), e.Go(), &harness.ExploreOpts{Runs: r.RunsPerPolicy, Seed: 3, Shard: shard, Shards: shards, ShrinkTime: 5 * time.Minute})
		if err != nil {
			return nil, err
		}
		r.Add(s, Entry{Source: "builtin", Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy})
	}
	return r, nil
}

var elapsedMS = regexp.MustCompile(`"elapsed_ms": \d+`)

// jsonOf renders a report as JSON with its wall times zeroed.
func jsonOf(t *testing.T, r *Report) string {
	t.Helper()
	return elapsedMS.ReplaceAllString(string(render(t, JSON, r)), `"elapsed_ms": 0`)
}

// readBack renders a report as JSON and decodes it, as merge reads it.
func readBack(t *testing.T, r *Report) *Report {
	t.Helper()
	back, err := ReadJSON(bytes.NewReader(render(t, JSON, r)))
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func parts(t *testing.T, rs []*Report, fromJSON bool) []Part {
	t.Helper()
	var out []Part
	for i, r := range rs {
		if fromJSON {
			r = readBack(t, r)
		}
		out = append(out, Part{Name: fmt.Sprintf("shard-%d.json", i+1), Report: r})
	}
	return out
}

// TestMergedShardsAreTheUnshardedReport merges the JSON reports of shards
// 1/4...4/4 and gets the unsharded report's JSON, wall times apart.
func TestMergedShardsAreTheUnshardedReport(t *testing.T) {
	t.Parallel()
	whole, shards := setupShards(t)
	if whole.Policies[1].FirstFailure == nil {
		t.Fatal("the fixture should have counterexamples to merge")
	}
	merged, err := Merge(parts(t, shards, true))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonOf(t, merged), jsonOf(t, whole); got != want {
		t.Errorf("the merged report differs from the unsharded one:\n%s", firstDiff([]byte(want), []byte(got)))
	}
	var wallTime, sum int64
	for _, s := range shards {
		wallTime += s.Policies[0].ElapsedMS
	}
	sum = merged.Policies[0].ElapsedMS
	if sum != wallTime {
		t.Errorf("merged elapsed %dms, the shards' sum %dms", sum, wallTime)
	}
}

// TestMergedReportsRenderInEveryFormat: merged in memory, the shards'
// runs are still there and every format renders as the unsharded report
// does (JUnit's times apart); merged from JSON, the formats say where the
// timelines are.
func TestMergedReportsRenderInEveryFormat(t *testing.T) {
	t.Parallel()
	whole, shards := setupShards(t)
	inMemory, err := Merge(parts(t, shards, false))
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, err := Merge(parts(t, shards, true))
	if err != nil {
		t.Fatal(err)
	}
	times := regexp.MustCompile(`time="[0-9.]+"`)
	for _, f := range formats {
		want, got := render(t, f.render, whole), render(t, f.render, inMemory)
		if f.name == "junit" || f.name == "json" {
			want, got = times.ReplaceAll(elapsedMS.ReplaceAll(want, nil), nil), times.ReplaceAll(elapsedMS.ReplaceAll(got, nil), nil)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s of the merged report differs from the unsharded one:\n%s", f.name, firstDiff(want, got))
		}
		out := render(t, f.render, fromJSON)
		if f.name == "table" || f.name == "json" {
			continue
		}
		for _, s := range []string{`chaosrun replay --policy naive-backoff --seed`, `not in this merged report`, `shard [1-4]/4 \(shard-[1-4]\.json\)`} {
			if !regexp.MustCompile(s).Match(out) {
				t.Errorf("%s of the report merged from JSON lacks %q", f.name, s)
			}
		}
	}
}

// TestMergeIsAssociative: the merge of some shards is a report of those
// shards, which merges with the rest into the whole.
func TestMergeIsAssociative(t *testing.T) {
	t.Parallel()
	whole, shards := setupShards(t)
	ps := parts(t, shards, true)
	odd, err := Merge([]Part{ps[0], ps[2]})
	if err != nil {
		t.Fatal(err)
	}
	if odd.Shard.String() != "1,3/4" || odd.RunsPerPolicy != ShardRuns(shardedRuns, 1, 4)+ShardRuns(shardedRuns, 3, 4) {
		t.Fatalf("shards 1 and 3 merge into shard %s with %d runs", odd.Shard, odd.RunsPerPolicy)
	}
	all, err := Merge([]Part{{Name: "odd.json", Report: readBack(t, odd)}, ps[3], ps[1]})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := jsonOf(t, all), jsonOf(t, whole); got != want {
		t.Errorf("merging in two steps differs from the unsharded report:\n%s", firstDiff([]byte(want), []byte(got)))
	}
	if _, err := Merge([]Part{{Name: "odd.json", Report: odd}, ps[2]}); err == nil || !strings.Contains(err.Error(), "both cover shard 3/4") {
		t.Errorf("merging shards 1,3/4 with 3/4: %v", err)
	}
}

// tiny returns the report of shard i of n of an exploration of runs runs,
// with one clean policy and no exploration behind it.
func tiny(i, n, runs int) *Report {
	r := New(Setup{Runs: runs, Shard: i, Shards: n, Version: "v1"})
	p := Policy{Name: "reference", Source: "builtin", Runs: r.RunsPerPolicy, Violations: map[invariants.ID]int{}, Unknown: map[invariants.ID]int{}}
	for _, id := range r.Invariants {
		p.Violations[id], p.Unknown[id] = 0, 0
	}
	r.Policies = []Policy{p}
	return r
}

func TestMergeRefusesReportsOfDifferentExplorations(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(a, b *Report) // changes shard 1/2 and 2/2
		want   string
	}{
		{"different seeds", func(_, b *Report) { b.Seed, b.Seeds.First, b.Seeds.Last = 2, 2, 11 }, "differ in the first seed: 1 and 2"},
		{"different runs", func(_, b *Report) { b.Seeds.Last = 12; b.RunsPerPolicy = 6; b.Policies[0].Runs = 6 }, "differ in the runs: 10 runs (seeds 1-10) and 12 runs (seeds 1-12)"},
		{"runs and duration", func(_, b *Report) { b.RunsPerPolicy = 0 }, "differ in the runs"},
		{"different worlds", func(_, b *Report) { b.World = "ours" }, "differ in the world: default and ours"},
		{"different modes", func(_, b *Report) { b.Mode = "net" }, "differ in the mode"},
		{"different stores", func(_, b *Report) { b.Store = "postgres" }, "differ in the store"},
		{"different versions", func(_, b *Report) { b.Version = "v2" }, "differ in chaosrun's version"},
		{"different schemas", func(_, b *Report) { b.Schema = "chaosrun.report/v2" }, "differ in the schema"},
		{"different policies", func(_, b *Report) { b.Policies[0].Name = "ours" }, "differ in the policies"},
		{"all faults in one", func(_, b *Report) { b.Policies[0].AllFaults = true }, "differ in the policies"},
		{"different splits", func(_, b *Report) { b.Shard = OneShard(2, 3) }, "differ in the number of shards: 2 and 3"},
		{"one shard twice", func(_, b *Report) { b.Shard = OneShard(1, 2) }, "a.json and b.json both cover shard 1/2"},
		{"a hand-edited run count", func(_, b *Report) { b.Policies[0].Runs = 4 }, "policy reference ran 4 runs"},
		{"runs that are not the shard's", func(_, b *Report) { b.RunsPerPolicy = 6; b.Policies[0].Runs = 6 }, "shard 2/2 of 10 runs has 6 runs per policy, not 5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, b := tiny(1, 2, 10), tiny(2, 2, 10)
			c.change(a, b)
			_, err := Merge([]Part{{"a.json", a}, {"b.json", b}})
			var me *MergeError
			if !errors.As(err, &me) || !strings.Contains(me.Problem, c.want) || me.Hint == "" {
				t.Fatalf("got %v, want a MergeError saying %q, with a hint", err, c.want)
			}
		})
	}
	a := tiny(1, 2, 10)
	if _, err := Merge([]Part{{"a.json", a}, {"a.json", a}}); err == nil || !strings.Contains(err.Error(), "a.json is given twice") {
		t.Errorf("one report twice: %v", err)
	}
	if _, err := Merge(nil); err == nil {
		t.Error("merging nothing succeeded")
	}
}

func TestReadJSONRefusesWhatIsNotAReport(t *testing.T) {
	t.Parallel()
	for name, in := range map[string]string{
		"not JSON":        "<html>",
		"another schema":  `{"schema":"other/v1","shard":"1/1","invariants":["x"],"policies":[]}`,
		"no shard":        `{"schema":"chaosrun.report/v1","invariants":["x"],"policies":[]}`,
		"a bad shard":     `{"schema":"chaosrun.report/v1","shard":"5/4","invariants":["x"],"policies":[]}`,
		"no invariants":   `{"schema":"chaosrun.report/v1","shard":"1/1","policies":[]}`,
		"a policy amiss":  `{"schema":"chaosrun.report/v1","shard":"1/1","invariants":["x"],"policies":[{"name":"p"}]}`,
		"an empty string": "",
	} {
		if _, err := ReadJSON(strings.NewReader(in)); !errors.Is(err, ErrNotAReport) {
			t.Errorf("%s: %v, want ErrNotAReport", name, err)
		}
	}
}
