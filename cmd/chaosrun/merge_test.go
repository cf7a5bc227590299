package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMergeOfEveryShardIsTheUnshardedRun runs shards 1/4...4/4 and the
// unsharded run on the same seed and runs: merged, the shards' JSON
// reports are the unsharded report, apart from elapsed_ms; the merge writes
// every format.
func TestMergeOfEveryShardIsTheUnshardedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := []string{"run", "--policy", "naive-backoff", "--policy", "reference", "--runs", "30", "--seed", "5", "--quiet"}
	whole := filepath.Join(dir, "whole.json")
	chaosrun(t, append(run, "--json", whole)...).want(t, 1)
	merge := []string{"merge"}
	for _, i := range []string{"1", "2", "3", "4"} {
		p := filepath.Join(dir, "shard-"+i+".json")
		// A shard of so few runs may violate nothing: it is then inconclusive.
		if r := chaosrun(t, append(run, "--shard", i+"/4", "--json", p)...); r.code != 1 && r.code != 3 {
			t.Fatalf("shard %s/4: exit %d, want 1 or 3\n%s", i, r.code, r.stderr)
		}
		merge = append(merge, p)
	}
	out := map[string]string{}
	for _, f := range []string{"json", "markdown", "junit", "html"} {
		out[f] = filepath.Join(dir, "merged."+f)
		merge = append(merge, "--"+f, out[f])
	}
	chaosrun(t, merge...).want(t, 0, "naive-backoff", "caught", "merged 4 reports: 2 policies, 30 runs each, seeds 5-34")
	want, _ := readJSON(t, whole)
	got, v := readJSON(t, out["json"])
	if got != want {
		t.Errorf("the merged report differs from the unsharded one:\n%s", got)
	}
	if v["shard"] != "1/1" {
		t.Errorf("merged shard %v, want 1/1", v["shard"])
	}
	for f, path := range out {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if f != "json" && !strings.Contains(string(b), "chaosrun replay --policy naive-backoff --seed") {
			t.Errorf("the merged %s report lacks the replay line", f)
		}
	}
}

// TestMergeRefusesWhatIsNotOneRun: shards of different seeds, one shard
// twice, shards that overlap, a file that is not a report: exit 2, one line
// and a hint, and no report written.
func TestMergeRefusesWhatIsNotOneRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	shard := func(name string, args ...string) string {
		p := filepath.Join(dir, name)
		chaosrun(t, append([]string{"run", "--policy", "reference", "--runs", "8", "--quiet", "--json", p}, args...)...).want(t, 3) // inconclusive, reported
		return p
	}
	a, b := shard("a.json", "--shard", "1/2"), shard("b.json", "--shard", "2/2")
	other := shard("other.json", "--shard", "2/2", "--seed", "9")
	all := shard("all.json")
	notJSON := filepath.Join(dir, "r.md")
	if err := os.WriteFile(notJSON, []byte("## chaosrun report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "merged.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{a, other}, "differ in the first seed: 1 and 9"},
		{[]string{a, a}, "is given twice"},
		{[]string{a, b, all}, "differ in the number of shards"},
		{[]string{a, notJSON}, "not a chaosrun.report/v1 report"},
		{[]string{a, filepath.Join(dir, "missing.json")}, "no such file"},
		{nil, "merge needs the JSON reports of the shards"},
	} {
		r := chaosrun(t, append(append([]string{"merge"}, c.args...), "--json", out)...)
		r.want(t, 2, c.want, "hint: ")
		if strings.Count(strings.TrimSpace(r.stderr), "\n") != 1 {
			t.Errorf("merge %v: want one line and a hint, got:\n%s", c.args, r.stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("merge %v wrote a report", c.args)
		}
	}
	chaosrun(t, "merge", a, "--quiet").want(t, 0, "the reports cover shard 1/2 only")
}
