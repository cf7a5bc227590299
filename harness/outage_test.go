package harness_test

import (
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
)

func TestOutagesMergeWhatOverlapsOrTouches(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	cases := []struct {
		name    string
		spans   [][2]int
		count   int
		longest time.Duration
	}{
		{"none", nil, 0, 0},
		{"one", [][2]int{{1, 4}}, 1, 3 * time.Second},
		{"apart", [][2]int{{10, 12}, {1, 4}}, 2, 3 * time.Second},
		{"overlapping, as several rigs see one outage", [][2]int{{1, 4}, {2, 6}, {3, 5}}, 1, 5 * time.Second},
		{"touching, as one outage reported by two runs", [][2]int{{1, 4}, {4, 9}}, 1, 8 * time.Second},
		{"one bridging two", [][2]int{{1, 2}, {5, 6}, {2, 5}}, 1, 5 * time.Second},
		{"inside another", [][2]int{{1, 9}, {3, 4}}, 1, 8 * time.Second},
		{"reversed ends", [][2]int{{4, 1}}, 1, 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var o, merged harness.Outages
			for _, s := range c.spans {
				o.Add(at(s[0]), at(s[1]))
			}
			merged.Merge(o)
			merged.Merge(o) // the same outages again change nothing
			for _, got := range []harness.Outages{o, merged} {
				if got.Count() != c.count || got.Longest() != c.longest {
					t.Errorf("%v: %d outages, longest %s; want %d, %s (%v)", c.spans, got.Count(), got.Longest(), c.count, c.longest, got.Spans())
				}
			}
		})
	}
}
