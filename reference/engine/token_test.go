package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
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

// Keys are made per tool: a team that sends keys to its payment provider
// and none to its CRM says so per tool, and each call carries what its
// tool's mode makes.
func TestKeysAreMadePerTool(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := reference(func(a *policy.Architecture) {
		a.ToolKeys = map[string]policy.KeyMode{"insert_record": policy.NoKeys, "create_charge": policy.PerAttempt}
	})
	x := workflow("acme", "e1", "insert_record", "create_charge", "llm_complete")
	if status := e.run(e.engine(p, e.world, nil), x); status != store.Completed {
		t.Fatalf("status %s", status)
	}
	inv := e.rec.of(engine.EvInvoke)
	want := []struct{ key, token string }{{"", ""}, {"key:acme/e1/1/r0.a1", ""}, {"", "tok:acme/e1/2"}}
	if len(inv) != len(want) {
		t.Fatalf("%d invocations, want %d", len(inv), len(want))
	}
	for i, w := range want {
		if inv[i].Key != w.key || inv[i].Token != w.token {
			t.Errorf("step %d (%s) carried key %q token %q, want %q %q", i, inv[i].Tool, inv[i].Key, inv[i].Token, w.key, w.token)
		}
	}
}

// down refuses every call: a tool in a long outage.
type down struct{ *fakes.World }

func (down) Invoke(context.Context, engine.Call) (engine.Response, error) {
	return engine.Response{}, outcome.ErrRefused
}

// With unlimited retries only an elapsed-time budget ends a retry loop
// against a tool that stays down: it runs out where its clock says, and
// the failure is escalated like a spent budget.
func TestAnElapsedTimeBudgetEndsUnlimitedRetries(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := &policy.Rules{PolicyName: "patient", Arch: policy.DefaultArchitecture(), List: []policy.Rule{{Do: policy.Retry, MaxRetries: policy.Unlimited}}}
	p.Arch.Budget.MaxElapsed = 30 * time.Second
	p.Arch.Backoff = policy.Backoff{Initial: time.Second, Multiplier: 1, Max: time.Second, Jitter: policy.NoJitter}
	x := workflow("acme", "e1", "vector_search")
	if status := e.run(e.engine(p, down{e.world}, nil), x); status != store.Failed {
		t.Fatalf("status %s, want failed", status)
	}
	inv := e.rec.of(engine.EvInvoke)
	// One attempt a second (plus the engine's own moments), for 30 seconds.
	if n := len(inv); n < 25 || n > 31 {
		t.Errorf("%d attempts in a 30s budget of retries a second apart", n)
	}
	dec := e.rec.of(engine.EvDecision)
	if last := dec[len(dec)-1].Decision; !strings.Contains(last.Reason, "elapsed-time budget spent") {
		t.Errorf("the last decision is %s", last)
	}
}
