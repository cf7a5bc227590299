package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// payloads records the payload of every call.
type payloads struct {
	*fakes.World
	mu   sync.Mutex
	seen []string
}

func (p *payloads) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	p.mu.Lock()
	p.seen = append(p.seen, c.Payload)
	p.mu.Unlock()
	return p.World.Invoke(ctx, c)
}

// render writes down what the events and calls hold, through their
// pointers and slices: what a scratch lends them.
func render(events []engine.Event, calls []string) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "%s tools=%v reads=%+v", e, e.Tools, e.Reads)
		if e.Outcome != nil {
			fmt.Fprintf(&b, " outcome=%+v", *e.Outcome)
		}
		if e.Decision != nil {
			fmt.Fprintf(&b, " decision=%+v", *e.Decision)
		}
		b.WriteByte('\n')
	}
	for _, c := range calls {
		fmt.Fprintf(&b, "payload %q\n", c)
	}
	return b.String()
}

// TestScratchLendsUntilReset runs a workflow with a failure on an engine
// given a scratch, then, without a Reset, another workflow on the engine
// the first one's Release handed back: what the first one reported and
// sent (its events' reads, outcomes, decisions and tools, its calls'
// payloads) must not change.
func TestScratchLendsUntilReset(t *testing.T) {
	t.Parallel()
	e := setup(t)
	scratch := new(engine.Scratch)
	tools := &payloads{World: e.world}
	newEngine := func() *engine.Engine {
		opts := &engine.Opts{Clock: e.clock, Faults: &faultAt{when: at(engine.ContextWrite, 1, 1), err: errContextStore},
			Observer: e.rec, Downstream: e.world, Contracts: fakes.Contracts{}, Seed: 7, Scratch: scratch}
		eng, err := engine.New(e.store, e.reg, policy.Reference(), tools, opts)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	first := newEngine()
	x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord)
	if got := e.run(first, x); got != store.Completed {
		t.Fatalf("status %s, want completed", got)
	}
	if len(e.rec.of(engine.EvFailure)) == 0 || len(e.rec.of(engine.EvDecision)) == 0 {
		t.Fatal("the first workflow reported no failure and no decision")
	}
	e.rec.mu.Lock()
	events := append([]engine.Event(nil), e.rec.events...)
	e.rec.mu.Unlock()
	tools.mu.Lock()
	calls := append([]string(nil), tools.seen...)
	tools.mu.Unlock()
	want := render(events, calls)

	first.Release()
	second := newEngine()
	if second != first {
		t.Errorf("New made a new engine; the released one was there to take")
	}
	y := workflow(fakes.Globex, "e2", fakes.InsertRecord, fakes.LLMComplete, fakes.VectorSearch, fakes.SendEmail)
	y.Input["request"] = strings.Repeat("globex:other ", 8)
	if got := e.run(second, y); got != store.Completed {
		t.Fatalf("status %s, want completed", got)
	}
	if got := render(events, calls); got != want {
		t.Fatalf("what the first workflow reported changed before the Reset:\n%s\nwant\n%s", got, want)
	}
}

// TestExecutionsAdvanceConcurrently runs executions of one engine, on one
// scratch, each from a goroutine of its own: the engine is safe for
// concurrent use (run it with -race).
func TestExecutionsAdvanceConcurrently(t *testing.T) {
	t.Parallel()
	e := setup(t)
	opts := &engine.Opts{Clock: e.clock, Observer: e.rec, Downstream: e.world, Contracts: fakes.Contracts{}, Seed: 7, Scratch: new(engine.Scratch)}
	eng, err := engine.New(e.store, e.reg, policy.Reference(), e.world, opts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		x := workflow(fakes.Acme, fmt.Sprint("e", i), fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord)
		if err := eng.Start(e.ctx, x); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if status, err := eng.Run(e.ctx, x.Tenant, x.Exec); err != nil || status != store.Completed {
				t.Errorf("%s: %s, %v; want completed", x.Exec, status, err)
			}
		})
	}
	wg.Wait()
}
