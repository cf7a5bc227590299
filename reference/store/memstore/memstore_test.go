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
