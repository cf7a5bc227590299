package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// refusedThenLost refuses a tool's first call (nothing reaches it) and
// loses the response of its second after the tool acted.
type refusedThenLost struct {
	*fakes.World
	tool  string
	mu    sync.Mutex
	calls int
}

func (r *refusedThenLost) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	r.mu.Lock()
	n := 0
	if c.Tool == r.tool {
		r.calls++
		n = r.calls
	}
	r.mu.Unlock()
	switch n {
	case 1:
		return engine.Response{}, outcome.ErrRefused
	case 2:
		if _, err := r.World.Invoke(ctx, c); err != nil {
			return engine.Response{}, err
		}
		return engine.Response{}, outcome.ErrTimeout
	}
	return r.World.Invoke(ctx, c)
}

// retryThen retries a failure before the tool acted and takes action on
// any other, with a key per attempt: the architecture under which a step's
// attempts carry different keys.
type retryThen struct {
	action  policy.Action
	without policy.Safeguards
}

func (p retryThen) Name() string { return "retry-then-" + p.action.String() }

func (p retryThen) Architecture() policy.Architecture {
	a := policy.DefaultArchitecture()
	a.Keys, a.Without = policy.PerAttempt, p.without
	return a
}

func (p retryThen) Decide(in policy.Input) policy.Decision {
	if in.Outcome.Phase == outcome.PhasePre {
		return policy.RetryUpTo(3, "the tool did not act")
	}
	return policy.Decide(p.action, "the test's policy")
}

// The two loops over a step's keys matter once its attempts carry
// different keys. A charge refused, then made with its response lost: the
// second attempt's key holds the charge. Compensating or reconciling by the
// first key only misses it: the charge stays, or is made again. (The
// reference's keys are per operation, so its steps carry one key, and a
// weakened reference never shows this: see the harness's regression suite.)
func TestEveryKeyOfTheStep(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		p       retryThen
		want    store.Status
		charges int // live at the end
	}{
		{"compensation undoes every key", retryThen{action: policy.Compensate}, store.Compensated, 0},
		{"compensation by the first key only leaves the charge",
			retryThen{action: policy.Compensate, without: policy.SafeguardSet(policy.CompensateEveryKey)}, store.Compensated, 1},
		{"reconciliation finds the charge by its key", retryThen{action: policy.Reconcile}, store.Completed, 1},
		{"reconciliation by the first key only charges again",
			retryThen{action: policy.Reconcile, without: policy.SafeguardSet(policy.ReconcileEveryKey)}, store.Completed, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.CreateCharge)
			eng := e.engine(c.p, &refusedThenLost{World: e.world, tool: fakes.CreateCharge}, nil)
			if got := e.run(eng, x); got != c.want {
				t.Fatalf("ended %s, want %s", got, c.want)
			}
			live := map[string]bool{}
			for _, ef := range e.world.Ledger().Effects() {
				switch {
				case ef.Kind == fakes.Applied && ef.Tool == fakes.CreateCharge:
					live[ef.Ref] = true
				case ef.Kind == fakes.Compensated:
					delete(live, ef.Ref)
				}
			}
			if len(live) != c.charges {
				t.Errorf("%d live charges, want %d", len(live), c.charges)
			}
		})
	}
}
