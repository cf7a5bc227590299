package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// beginOnceDown is a store whose first begin record cannot be written.
type beginOnceDown struct {
	store.Store
	failed bool
}

func (s *beginOnceDown) Begin(ctx context.Context, a store.Attempt) error {
	if !s.failed {
		s.failed = true
		return fmt.Errorf("link cut: %w", store.ErrUnavailable)
	}
	return s.Store.Begin(ctx, a)
}

// A model call streams under its operation's dedup token whatever happened
// before its first invocation: a begin record the store could not write
// must not make the call look like a retry that dropped the token.
func TestTheFirstInvocationCarriesTheOperationsToken(t *testing.T) {
	t.Parallel()
	e := setup(t)
	st := &beginOnceDown{Store: e.store}
	eng, err := engine.New(st, e.reg, policy.Reference(), e.world, &engine.Opts{Clock: e.clock, Observer: e.rec, Downstream: e.world})
	if err != nil {
		t.Fatal(err)
	}
	x := workflow("acme", "e1", "llm_complete")
	if status := e.run(eng, x); status != store.Completed {
		t.Fatalf("status %s", status)
	}
	inv := e.rec.of(engine.EvInvoke)
	if len(inv) != 1 || inv[0].Token != "tok:acme/e1/0" {
		t.Fatalf("invocations %v: want one, under the operation's token", inv)
	}
	if len(e.rec.of(engine.EvFailure)) != 0 || len(e.rec.of(engine.EvStoreError)) != 1 {
		t.Fatal("an unavailable store is waited out, not a failure of the step")
	}
}
