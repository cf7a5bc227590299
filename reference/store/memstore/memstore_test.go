package memstore_test

import (
	"context"
	"errors"
	"testing"

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
// executions (attempts, commits, dead letters, shared writes) and were
// reset: a reset store is a new one, whatever its memory held.
func TestConformanceAfterReset(t *testing.T) {
	t.Parallel()
	storetest.Exercise(context.Background(), t, func(t *testing.T) store.Store {
		ctx := context.Background()
		s := memstore.New()
		for _, id := range []string{"e1", "e2", "e3"} {
			x := store.Execution{Tenant: "acme", Exec: id, Input: map[string]string{"request": "old"},
				Steps: []store.Step{{Tool: "insert_record", Writes: []string{"old.out", "old.meta"}}, {Tool: "send_email"}}}
			if err := s.Create(ctx, x); err != nil {
				t.Fatal(err)
			}
			a := store.Attempt{AttemptID: store.AttemptID{Tenant: "acme", Exec: id, Attempt: 1}}
			c := store.Commit{AttemptID: a.AttemptID, Context: store.Context{Version: 1, Values: map[string]store.Value{"old.out": {Data: "acme:old"}}}}
			w := store.SharedWrite{Tenant: "acme", Exec: id, Key: "old", Value: store.Value{Data: "acme:old"}}
			for _, err := range []error{s.Begin(ctx, a), s.Commit(ctx, c), s.WriteShared(ctx, w),
				s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: "acme", Exec: id, Step: 1}, Cause: "old"})} {
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		s.Reset()
		return s
	})
}
