package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// flakyConsumer refuses the second chunk it is given, once.
type flakyConsumer struct {
	w     *fakes.World
	calls int
}

func (f *flakyConsumer) Deliver(ctx context.Context, c engine.Chunk) error {
	f.calls++
	if f.calls == 2 {
		return outcome.ErrRefused
	}
	return f.w.Deliver(ctx, c)
}

// A consumer that fails mid-generation cuts the stream: the failure is
// mid-inference with the delivered chunk as a confirmed effect, never a
// refusal before the model began.
func TestDownstreamFailureIsAStreamCut(t *testing.T) {
	t.Parallel()
	e := setup(t)
	consumer := &flakyConsumer{w: e.world}
	opts := &engine.Opts{Clock: e.clock, Observer: e.rec, Downstream: consumer, Contracts: fakes.Contracts{}}
	eng, err := engine.New(e.store, e.reg, policy.Reference(), e.world, opts)
	if err != nil {
		t.Fatal(err)
	}
	x := workflow("acme", "e1", "llm_complete")
	if err := eng.Start(e.ctx, x); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Run(e.ctx, x.Tenant, x.Exec); err != nil {
		t.Fatal(err)
	}
	fails := e.rec.of(engine.EvFailure, 0)
	if len(fails) == 0 {
		t.Fatal("the refused delivery should have failed the attempt")
	}
	o := fails[0].Outcome
	if o.LLM != outcome.MidInference || o.Effects != outcome.ConfirmedEffects || !strings.Contains(o.Cause, outcome.ErrStreamCut.Error()) {
		t.Fatalf("outcome %s, want mid-inference with confirmed effects", o)
	}
}
