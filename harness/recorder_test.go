package harness

import (
	"testing"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// TestRecorderKeepsEachFactOnce feeds the recorder what a rebuilt engine
// reports again (start, restart, commit, dead letter, end) and checks that
// each fact is recorded once, while attempts are recorded every time.
func TestRecorderKeepsEachFactOnce(t *testing.T) {
	rec := &recorder{clock: NewVirtualClock()}
	ev := func(k engine.EventKind, run, step, attempt int, recovered bool) engine.Event {
		return engine.Event{Kind: k, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: run, Step: step, Attempt: attempt}, Recovered: recovered}
	}
	for _, e := range []engine.Event{
		ev(engine.EvStart, 0, 0, 0, false),
		ev(engine.EvCommit, 0, 0, 1, false),
		ev(engine.EvRestart, 1, 0, 0, false),
		ev(engine.EvInvoke, 1, 0, 1, false),
		// a crash; the rebuilt engine reports what it found
		ev(engine.EvStart, 0, 0, 0, true),
		ev(engine.EvCommit, 0, 0, 1, true),
		ev(engine.EvRestart, 1, 0, 0, true),
		ev(engine.EvInvoke, 1, 0, 1, false),
		ev(engine.EvCommit, 1, 0, 1, false),
		ev(engine.EvRestart, 2, 0, 0, true), // a restart whose maker died before reporting it
		{Kind: engine.EvFinish, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 2, Step: 3}, Status: store.Completed},
		{Kind: engine.EvFinish, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 2, Step: 3}, Status: store.Completed, Recovered: true},
	} {
		rec.Observe(e)
	}
	count := map[engine.EventKind]int{}
	for _, e := range rec.events {
		count[e.Kind]++
	}
	want := map[engine.EventKind]int{engine.EvStart: 1, engine.EvCommit: 2, engine.EvRestart: 2, engine.EvInvoke: 2, engine.EvFinish: 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %v events recorded, want %d (all: %v)", count[k], k, n, rec.events)
		}
	}
}
