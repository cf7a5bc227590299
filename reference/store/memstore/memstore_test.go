package memstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/reference/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(context.Background(), t, func(*testing.T) store.Store { return memstore.New() })
}

// TestDeadLettersAreLoadsOwn checks that DeadLetters answers what a
// snapshot holds, and that an unknown execution is not found.
func TestDeadLettersAreLoadsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := memstore.New()
	x := store.Execution{Tenant: "acme", Exec: "e1", Steps: []store.Step{{Tool: "insert_record"}}}
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	d := store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1"}, Cause: "gave up"}
	if err := s.DeadLetter(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeadLetters(ctx, "acme", "e1")
	snap, _ := s.Load(ctx, "acme", "e1")
	if err != nil || len(got) != 1 || got[0] != snap.DeadLetters[0] || got[0].Cause != "gave up" {
		t.Fatalf("DeadLetters = %+v, %v; the snapshot holds %+v", got, err, snap.DeadLetters)
	}
	if _, err := s.DeadLetters(ctx, "acme", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeadLetters of an unknown execution: %v, want ErrNotFound", err)
	}
}

// TestConformanceAfterReset runs the conformance suite on stores that held
// executions (attempts, commits, dead letters, shared writes), were read
// (loaded, an attempt ended after the load, audited) and were reset, or
// recycled: a reset store is a new one, whatever its memory held.
func TestConformanceAfterReset(t *testing.T) {
	t.Parallel()
	for name, reset := range map[string]func(*memstore.Store){"reset": (*memstore.Store).Reset, "recycle": (*memstore.Store).Recycle} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			storetest.Exercise(context.Background(), t, func(t *testing.T) store.Store {
				s := memstore.New()
				fillAndRead(t, s)
				reset(s)
				return s
			})
		})
	}
}

// fillAndRead stores three executions and reads them as an engine and an
// audit do.
func fillAndRead(t *testing.T, s *memstore.Store) {
	t.Helper()
	ctx := context.Background()
	for _, id := range []string{"e1", "e2", "e3"} {
		x := store.Execution{Tenant: "acme", Exec: id, Input: map[string]string{"request": "old"},
			Steps: []store.Step{{Tool: "insert_record", Writes: []string{"old.out", "old.meta"}}, {Tool: "send_email"}}}
		if err := s.Create(ctx, x); err != nil {
			t.Fatal(err)
		}
		a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: id, Attempt: 1}}
		c := store.Commit{AttemptID: a.AttemptID, Context: store.Context{Version: 1, Values: map[string]store.Value{"old.out": {Data: "acme:old"}}}}
		w := store.SharedWrite{Tenant: "acme", Exec: id, Key: "old", Value: store.Value{Data: "acme:old"}}
		for _, err := range []error{s.Begin(ctx, a), s.Commit(ctx, c), s.WriteShared(ctx, w)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Load(ctx, "acme", id); err != nil {
			t.Fatal(err)
		}
		a.Outcome = outcome.Outcome{Effects: 1}
		for _, err := range []error{s.End(ctx, a),
			s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: id, Step: 1}, Cause: "old"})} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Audit(ctx, 10, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
}

// TestLoadsKeepTheirSnapshot: Load's snapshot is a copy in memory the
// store lends, and what it read stays as it was when the store is reset
// and filled again.
func TestLoadsKeepTheirSnapshot(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	fillAndRead(t, s)
	snap, err := s.Load(ctx, "acme", "e2")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", snap)
	s.Reset()
	fillAndRead(t, s)
	if got := fmt.Sprintf("%+v", snap); got != want {
		t.Fatalf("after a reset the snapshot holds\n%s\nwant\n%s", got, want)
	}
}

// TestSnapshotsKeepTheirAttempts: a snapshot shares the store's attempts
// (Load copies none of them), yet what it read stays as it was when the
// store ends one of those attempts, begins and ends others, and is reset
// and filled again.
func TestSnapshotsKeepTheirAttempts(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	x := store.Execution{Tenant: "acme", Exec: "e1", Steps: []store.Step{{Tool: "send_email"}, {Tool: "send_email"}}}
	begin := func(attempt int) store.Attempt {
		a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Attempt: attempt}, Key: fmt.Sprint("k", attempt)}
		if err := s.Begin(ctx, a); err != nil {
			t.Fatal(err)
		}
		return a
	}
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	a1 := begin(1)
	snap, err := s.Load(ctx, "acme", "e1")
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(snap.Attempts)
	a1.Outcome = outcome.Outcome{Effects: 1}
	if err := s.End(ctx, a1); err != nil {
		t.Fatal(err)
	}
	begin(2)
	if !reflect.DeepEqual(snap.Attempts, want) {
		t.Fatalf("after End and Begin the snapshot holds %+v, want %+v", snap.Attempts, want)
	}
	again, err := s.Load(ctx, "acme", "e1")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Attempts) != 2 || !again.Attempts[0].Ended || again.Attempts[0].Outcome.Effects != 1 {
		t.Fatalf("a new snapshot holds %+v, want attempt 1 ended and attempt 2 begun", again.Attempts)
	}
	held := slices.Clone(again.Attempts)
	// An attempt begun after the snapshot is ended in place (the array is
	// not copied): the snapshot does not see it.
	a3 := begin(3)
	a3.Outcome = outcome.Outcome{Effects: 1}
	if err := s.End(ctx, a3); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Attempts, held) {
		t.Fatalf("after an attempt it does not see ended, the snapshot holds %+v, want %+v", again.Attempts, held)
	}
	if last, err := s.Load(ctx, "acme", "e1"); err != nil || len(last.Attempts) != 3 || !last.Attempts[2].Ended {
		t.Fatalf("a third snapshot holds %+v (%v), want attempt 3 ended", last.Attempts, err)
	}
	s.Reset()
	if err := s.Create(ctx, x); err != nil {
		t.Fatal(err)
	}
	begin(7)
	begin(8)
	if !reflect.DeepEqual(again.Attempts, held) {
		t.Fatalf("after a reset the snapshot holds %+v, want %+v", again.Attempts, held)
	}
}

// TestAuditSnapshotsKeepTheirRecord: an audit's snapshot shares the
// terminal record (its steps, input, commits and dead letters), yet what
// it read stays as it was when the store is reset and filled again.
func TestAuditSnapshotsKeepTheirRecord(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	fill := func(data string) {
		x := store.Execution{Tenant: "acme", Exec: "e1", Input: map[string]string{"request": data},
			Steps: []store.Step{{Tool: "insert_record", Writes: []string{data + ".out"}}, {Tool: "send_email"}}}
		a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Attempt: 1}, Key: data}
		c := store.Commit{AttemptID: a.AttemptID, Result: store.Result{Ref: data},
			Context: store.Context{Version: 1, Values: map[string]store.Value{data + ".out": {Data: data}}}}
		d := store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 1}, Cause: data}
		for _, err := range []error{s.Create(ctx, x), s.Begin(ctx, a), s.Commit(ctx, c), s.End(ctx, a), s.DeadLetter(ctx, d)} {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	fill("old")
	var held store.Snapshot
	if _, err := s.Audit(ctx, 10, func(snap store.Snapshot) ([]store.ReconEvent, error) {
		held = snap
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("%+v", held)
	s.Reset()
	fill("new")
	if got := fmt.Sprintf("%+v", held); got != want {
		t.Fatalf("after a reset the audit's snapshot holds\n%s\nwant\n%s", got, want)
	}
}
