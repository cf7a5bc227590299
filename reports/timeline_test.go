package reports

import (
	"testing"
)

// TestTimelineShowsEveryEffect: every event has its row, every ledger
// effect appears beside exactly one event, the breaching event is marked,
// and the duplicates marked are as many as the cost counts.
func TestTimelineShowsEveryEffect(t *testing.T) {
	t.Parallel()
	r := setup(t)
	for _, p := range r.Policies {
		for _, c := range p.Failures {
			id, f := c.Invariant, c.Failure
			tl := newTimeline(f.Run, f.Violation.Event)
			if len(tl.Rows) != len(f.Run.History.Events) {
				t.Errorf("%s/%s: %d rows for %d events", p.Name, id, len(tl.Rows), len(f.Run.History.Events))
			}
			seen := map[int]int{}
			dups, breaches := 0, 0
			for _, row := range tl.Rows {
				if row.Breach {
					breaches++
				}
				if row.What == "" {
					t.Errorf("%s/%s: event %d says nothing", p.Name, id, row.Index)
				}
				for _, fx := range row.Effects {
					seen[fx.Seq]++
					if fx.Dup {
						dups++
					}
				}
			}
			for _, fx := range f.Run.Ledger.Effects() {
				if seen[fx.Seq] != 1 {
					t.Errorf("%s/%s: ledger #%d shown %d times", p.Name, id, fx.Seq, seen[fx.Seq])
				}
			}
			if want := f.Run.Cost().DuplicateEffects; dups != want {
				t.Errorf("%s/%s: %d duplicates marked, the cost counts %d", p.Name, id, dups, want)
			}
			if want := map[bool]int{true: 1, false: 0}[f.Violation.Event >= 0]; breaches != want {
				t.Errorf("%s/%s: %d rows marked as the breach, want %d", p.Name, id, breaches, want)
			}
		}
	}
}
