package faults_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// calls returns the calls of every tool of the built-in world, for every
// tenant, in three attempts of two steps, as a tool's server receives
// them (no Deliver).
func calls() []engine.Call {
	var out []engine.Call
	for _, tenant := range fakes.Default().Tenants() {
		for _, tool := range fakes.StepTools {
			for step := range 2 {
				for attempt := 1; attempt <= 3; attempt++ {
					out = append(out, engine.Call{AttemptID: store.AttemptID{Tenant: tenant, Exec: "e1", Step: step, Attempt: attempt}, Tool: tool, Key: "k"})
				}
			}
		}
	}
	return out
}

// ToolFault, which net mode's engine side asks so as to step aside, says
// exactly where the tool's server then holds the call or fails it after
// acting — and a streamed model call, whose head a server answers at once,
// is never held.
func TestToolFaultIsWhereTheToolHoldsOrFailsTheCall(t *testing.T) {
	t.Parallel()
	held, failed := 0, 0
	for seed := uint64(1); seed <= 20; seed++ {
		s := all(200, seed)
		ask := faults.NewInjector(s, nil, nil)
		ask.UseWorld(fakes.Default())
		tool := faults.NewInjector(s, nil, nil)
		tool.Drift(fakes.Default())
		for _, c := range calls() {
			h := tool.Hold(c, "")
			f := !h && tool.AfterEffect(c, "") != nil
			if h && c.Tool == fakes.LLMComplete {
				t.Fatalf("seed %d: a streamed model call was held: %+v", seed, c)
			}
			if got := ask.ToolFault(c); got != (h || f) {
				t.Fatalf("seed %d: ToolFault(%+v) = %v; the tool held it %v, failed it %v", seed, c, got, h, f)
			}
			held, failed = held+btoi(h), failed+btoi(f)
		}
	}
	if held == 0 || failed == 0 {
		t.Fatalf("held %d, failed %d: the test saw nothing", held, failed)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A rejection after the effect is the same on every attempt and run of the
// operation; an error status after it is 500 or 502.
func TestAfterEffect(t *testing.T) {
	t.Parallel()
	in := faults.NewInjector(every(faults.Rejected, 1000, 3), nil, nil)
	for _, c := range calls()[:6] {
		var rj *outcome.RejectedError
		if err := in.AfterEffect(c, ""); !errors.As(err, &rj) {
			t.Fatalf("%+v: %v; want a rejection", c, err)
		}
	}
	undo := calls()[0]
	undo.Ref = "insert_record-1"
	if err := in.AfterEffect(undo, ""); err != nil {
		t.Errorf("a compensation by reference: %v; want no rejection", err)
	}
	var fired []faults.Applied
	in = faults.NewInjector(every(faults.ErrorAfter, 1000, 3), nil, func(a faults.Applied) { fired = append(fired, a) })
	codes := map[int]bool{}
	for _, c := range calls() {
		var se *outcome.StatusError
		if err := in.AfterEffect(c, "(the server's answer)"); !errors.As(err, &se) {
			t.Fatalf("%+v: %v; want a status", c, err)
		}
		codes[se.Code] = true
	}
	if len(codes) != 2 || !codes[500] || !codes[502] {
		t.Errorf("statuses %v; want 500 and 502", codes)
	}
	if d := fired[0].Detail; d != "the tool acted, then answered 500 (the server's answer)" && d != "the tool acted, then answered 502 (the server's answer)" {
		t.Errorf("recorded %q", d)
	}
}

// clock is a clock that moves only when told.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time                                 { return c.now }
func (c *clock) Sleep(_ context.Context, d time.Duration) error { c.now = c.now.Add(d); return nil }

// An outage that begins at one call takes the tool down for every
// execution until its window ends; without the run's clock, none fires.
func TestAnOutageTakesTheToolDownForEveryExecution(t *testing.T) {
	t.Parallel()
	first := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Attempt: 1}, Tool: fakes.InsertRecord}
	if _, down := faults.NewInjector(every(faults.Outage, 1000, 1), nil, nil).Down(first); down {
		t.Fatal("an outage fired without the run's clock")
	}
	// A seed whose outage begins at e1's call and not at e2's.
	other := first
	other.Exec = "e2"
	for seed := uint64(1); seed < 1000; seed++ {
		probe := faults.NewInjector(every(faults.Outage, 500, seed), nil, nil)
		probe.UseClock(&clock{})
		if _, down := probe.Down(other); down {
			continue
		}
		c := &clock{now: time.Unix(0, 0)}
		in := faults.NewInjector(every(faults.Outage, 500, seed), nil, nil)
		in.UseClock(c)
		until, down := in.Down(first)
		if !down {
			continue
		}
		if w := until.Sub(c.now); w < 5*time.Second || w > 60*time.Second {
			t.Fatalf("an outage of %s; want 5s to 60s", w)
		}
		c.now = until.Add(-time.Millisecond)
		if _, down := in.Down(other); !down {
			t.Fatal("another execution's call reached the tool during its outage")
		}
		c.now = until
		if _, down := in.Down(other); down {
			t.Fatal("the tool is still down after its outage's window")
		}
		return
	}
	t.Fatal("no seed begins an outage at e1's call and not at e2's")
}
