package harness

import (
	"context"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/scenarios"
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

// TestRecorderKeepsEachFactOnceWhenThereAreMany records more facts than
// the recorder searches, each reported twice, some before the recorder
// maps them and some after, and checks that each is recorded once.
func TestRecorderKeepsEachFactOnceWhenThereAreMany(t *testing.T) {
	rec := &recorder{clock: NewVirtualClock()}
	commit := func(step int, recovered bool) engine.Event {
		return engine.Event{Kind: engine.EvCommit, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: step, Attempt: 1}, Recovered: recovered}
	}
	for round := range 2 { // the second round reuses the recorder, as the next run does
		rec.reset(NewVirtualClock(), rec.events)
		for step := range 3 * factSearch {
			rec.Observe(commit(step, false))
			rec.Observe(commit(step/2, true))
			rec.Observe(engine.Event{Kind: engine.EvInvoke, AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: step, Attempt: 1}})
		}
		if n := len(rec.events); n != 2*3*factSearch {
			t.Errorf("round %d: %d events recorded, want %d (each commit once, each invocation)", round, n, 2*3*factSearch)
		}
	}
}

// BenchmarkRecorder records, again and again, the events of simulated
// runs of 1 to 3 executions, into one recorder reset between runs as a
// simulation's is.
func BenchmarkRecorder(b *testing.B) {
	var histories [][]engine.Event
	e, _ := policies.Lookup("reference")
	p := e.Go()
	for seed := uint64(1); seed <= 32; seed++ {
		r, err := Simulate(context.Background(), scenarios.Seeded(seed, false), p, nil)
		if err != nil {
			b.Fatal(err)
		}
		histories = append(histories, r.History.Events)
	}
	rec, clock := &recorder{}, NewVirtualClock()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		rec.reset(clock, rec.events)
		for _, e := range histories[i%len(histories)] {
			rec.Observe(e)
		}
		i++
	}
}

// TestFactDependsOnTheKindAlone holds engine.Event.Fact to what the
// recorder's table of fact kinds assumes: an event of any kind reports a
// fact, or not, whatever its other fields hold.
func TestFactDependsOnTheKindAlone(t *testing.T) {
	for k := range 256 {
		full := engine.Event{Kind: engine.EventKind(k), AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Run: 1, Step: 2, Attempt: 3},
			Tool: "t", Key: "k", Token: "tok", Ref: "r", Version: 1, Found: true, Seq: 1, Tools: []string{"t"}, Status: store.Completed, Detail: "d", Recovered: true}
		_, zero := engine.Event{Kind: engine.EventKind(k)}.Fact()
		_, some := full.Fact()
		if zero != some || zero != factKinds[k] {
			t.Errorf("kind %d: an empty event reports a fact: %t, a full one: %t, the table says %t", k, zero, some, factKinds[k])
		}
	}
}
