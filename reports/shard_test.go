package reports

import (
	"bytes"
	"encoding/xml"
	"testing"
)

func TestShardText(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"1/1": "1/1", "2/4": "2/4", "3,1/4": "1,3/4", "1,2,3,4/4": "1/1", "4,3,2,1/4": "1/1",
	} {
		s, err := ParseShard(text)
		if err != nil {
			t.Errorf("ParseShard(%q): %v", text, err)
			continue
		}
		if s.String() != want {
			t.Errorf("ParseShard(%q) = %s, want %s", text, s, want)
		}
		again, err := ParseShard(s.String())
		if err != nil || again.String() != want {
			t.Errorf("%s does not read back: %v %v", s, again, err)
		}
	}
	for _, bad := range []string{"", "1", "0/4", "5/4", "1/0", "a/b", "1,1/4", "1,/4", "-1/4", "2/-1"} {
		if s, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) = %v, want an error", bad, s)
		}
	}
}

// TestShardsCoverTheSeedsOnce: the runs of shards 1/n...n/n add up to the
// unsharded runs, whatever the remainder.
func TestShardsCoverTheSeedsOnce(t *testing.T) {
	t.Parallel()
	for _, total := range []int{1, 2, 7, 10, 500} {
		for n := 1; n <= 6; n++ {
			sum := 0
			for i := 1; i <= n; i++ {
				sum += ShardRuns(total, i, n)
			}
			all := Shard{Parts: []int{1, 2, 3, 4, 5, 6}[:n], Of: n}
			if sum != total || all.runs(total) != total {
				t.Errorf("%d runs in %d shards: the shards run %d (%d)", total, n, sum, all.runs(total))
			}
		}
	}
}

func TestSeedsText(t *testing.T) {
	t.Parallel()
	cases := []struct {
		setup Setup
		want  string
	}{
		{Setup{Runs: 500}, "1-500"},
		{Setup{Seed: 7, Runs: 10, Shard: 2, Shards: 4}, "7-16, every 4th from 8"},
		{Setup{Runs: 1}, "1"},
		{Setup{Runs: 30, Shard: 1, Shards: 21}, "1-30, every 21st from 1"},
	}
	for _, c := range cases {
		if got := SeedsText(New(c.setup)); got != c.want {
			t.Errorf("%+v: seeds %q, want %q", c.setup, got, c.want)
		}
	}
}

// TestJUnitSuitesOfShardsDoNotCollide: CI systems file test suites and
// cases by name, so the JUnit reports of two shards must not share one.
func TestJUnitSuitesOfShardsDoNotCollide(t *testing.T) {
	t.Parallel()
	fix := setup(t)
	names := map[string]int{}
	for i := 1; i <= 2; i++ {
		r := New(Setup{Runs: fixtureRuns, Shard: i, Shards: 2})
		r.Policies = fix.Policies
		var doc parsedSuites
		if err := xml.Unmarshal(render(t, JUnit, r), &doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range doc.Suites {
			names[s.Name]++
			for _, c := range s.Cases {
				names[c.Classname+"/"+c.Name]++
			}
		}
	}
	for name, n := range names {
		if n > 1 {
			t.Errorf("%q appears in %d shards' reports", name, n)
		}
	}
	if want := 2 * len(fix.Policies) * (1 + len(fix.Invariants) + 1); len(names) != want { // the suite, its invariants, its coverage
		t.Errorf("%d suites and cases in two shards' reports, want %d", len(names), want)
	}
	r := New(Setup{Runs: fixtureRuns, Shard: 2, Shards: 4})
	r.Policies = fix.Policies
	if !bytes.Contains(render(t, JUnit, r), []byte(`<property name="shard" value="2/4">`)) {
		t.Error("a shard's suites do not say which shard they ran")
	}
}
