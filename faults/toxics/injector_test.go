package toxics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// links records the toxics put on proxies.
type links struct{ applied []string }

func (l *links) Apply(proxy string, t toxics.Toxic) (func() error, error) {
	l.applied = append(l.applied, proxy+" "+t.Type+" "+t.Stream)
	return func() error { return nil }, nil
}

func (l *links) Cut(proxy string) (func() error, error) {
	l.applied = append(l.applied, proxy+" cut")
	return func() error { return nil }, nil
}

// answer is a tool that answers every call.
type answer struct{}

func (answer) Invoke(context.Context, engine.Call) (engine.Response, error) {
	return engine.Response{Data: "ok"}, nil
}

func schedule(seed uint64, rates map[faults.Kind]uint16) faults.Schedule {
	s := faults.Schedule{Seed: seed}
	for k, r := range rates {
		s.Rates[k] = r
	}
	return s
}

func injector(s faults.Schedule, l *links) *toxics.Injector {
	in := toxics.NewInjector(s, nil, nil, toxics.Opts{Links: l, Proxy: func(exec, tool string) string { return exec + "." + tool }})
	in.UseWorld(fakes.Default())
	return in
}

var charge = engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Attempt: 1}, Tool: fakes.CreateCharge, Key: "k"}

// Where the tool's server fails the call itself after acting, the engine
// side loses no reply on the way: the server's 500 or 502 is what the
// engine gets, as in the simulation, which fires it first.
func TestTheEngineSideStepsAsideForTheToolsOwnFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var l links
	in := injector(schedule(1, map[faults.Kind]uint16{faults.ErrorAfter: 1000, faults.LostResponse: 1000}), &l)
	if _, err := in.Invoker(answer{}).Invoke(ctx, charge); err != nil || len(l.applied) != 0 {
		t.Fatalf("a call the tool fails itself: %v, toxics %v; want none (the server answers)", err, l.applied)
	}
	var se *outcome.StatusError
	if err := in.Fail(charge); !errors.As(err, &se) || (se.Code != 500 && se.Code != 502) {
		t.Fatalf("the server's answer after acting: %v; want 500 or 502", err)
	}
	in = injector(schedule(1, map[faults.Kind]uint16{faults.LostResponse: 1000}), &l)
	if _, err := in.Invoker(answer{}).Invoke(ctx, charge); err != nil || len(l.applied) != 1 || l.applied[0] != "e1.create_charge timeout downstream" {
		t.Fatalf("a lost reply alone: %v, toxics %v; want the reply held", err, l.applied)
	}
}

type clock struct{ now time.Time }

func (c *clock) Now() time.Time                                 { return c.now }
func (c *clock) Sleep(_ context.Context, d time.Duration) error { c.now = c.now.Add(d); return nil }

// The servers' gate answers an outage with 503, timed on the run's clock
// (the window itself is the faults package's); without the clock, none.
func TestTheGateAnswersAnOutage(t *testing.T) {
	t.Parallel()
	var fired []faults.Applied
	in := toxics.NewInjector(schedule(4, map[faults.Kind]uint16{faults.Outage: 1000}), nil, func(a faults.Applied) { fired = append(fired, a) },
		toxics.Opts{Links: &links{}, Proxy: func(exec, tool string) string { return exec + "." + tool }})
	if code, _ := in.Gate(charge); code != 0 {
		t.Fatalf("without the run's clock: %d; want the call let through", code)
	}
	in.UseClock(&clock{now: time.Unix(0, 0)})
	if code, ra := in.Gate(charge); code != 503 || ra != 0 {
		t.Fatalf("during an outage: %d, Retry-After %s; want 503 without one, as in the simulation", code, ra)
	}
	if len(fired) != 1 || fired[0].Kind != faults.Outage {
		t.Errorf("recorded %v; want one outage", fired)
	}
}

// The reconciliation worker's calls (attempt 0) pass the tool servers'
// hooks untouched, as in the simulation, where it calls the world
// directly: its compensation of a step must not draw the faults of the
// site (step, tool, run, attempt 0), which every kind here fires at.
func TestTheServersLetTheReconcilerThrough(t *testing.T) {
	t.Parallel()
	all := map[faults.Kind]uint16{faults.Outage: 1000, faults.Unavailable: 1000, faults.RateLimit: 1000,
		faults.Zombie: 1000, faults.ErrorAfter: 1000, faults.BadResponse: 1000}
	var fired []faults.Applied
	in := toxics.NewInjector(schedule(145, all), nil, func(a faults.Applied) { fired = append(fired, a) },
		toxics.Opts{Links: &links{}, Proxy: func(exec, tool string) string { return exec + "." + tool }})
	in.UseWorld(fakes.Default())
	in.UseClock(&clock{now: time.Unix(0, 0)})
	undo := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Initech, Exec: "n21.e1", Step: 2}, Tool: fakes.DeleteRecord, Ref: "insert_record-1"}
	if code, _ := in.Gate(undo); code != 0 {
		t.Errorf("the gate answered the worker %d; want the call let through", code)
	}
	if in.Held(undo) {
		t.Error("the server held the worker's call")
	}
	if err := in.Fail(undo); err != nil {
		t.Errorf("the server failed the worker's call: %v", err)
	}
	if in.Garble(undo) {
		t.Error("the server garbled its answer to the worker")
	}
	if len(fired) != 0 {
		t.Errorf("recorded %v for the worker's call; want nothing", fired)
	}
	// The same call as an engine's attempt meets the schedule.
	undo.Attempt = 1
	if code, _ := in.Gate(undo); code == 0 {
		t.Error("the gate let an engine's attempt through at a site where every fault fires")
	}
}
