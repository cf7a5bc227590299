package faults_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
)

// stub is a tool that answers every call, streaming three chunks to a
// streaming call, and counts the calls that reached it.
type stub struct{ calls int }

func (t *stub) Invoke(_ context.Context, c engine.Call) (engine.Response, error) {
	t.calls++
	for i := range 3 {
		if c.Deliver == nil {
			break
		}
		if err := c.Deliver(i, "chunk"); err != nil {
			return engine.Response{}, err
		}
	}
	return engine.Response{Data: "ok"}, nil
}

// nopStore accepts every begin and commit without keeping them.
type nopStore struct{ store.Store }

func (nopStore) Begin(context.Context, store.Attempt) error { return nil }
func (nopStore) Commit(context.Context, store.Commit) error { return nil }

// every returns a schedule with one kind at the given rate.
func every(k faults.Kind, rate uint16, seed uint64) faults.Schedule {
	s := faults.Schedule{Seed: seed}
	s.Rates[k] = rate
	return s
}

// all returns a schedule with every kind at the given rate.
func all(rate uint16, seed uint64) faults.Schedule {
	s := faults.Schedule{Seed: seed}
	for _, k := range faults.Kinds() {
		s.Rates[k] = rate
	}
	return s
}

// workflowTools are the tools of the steps drive passes through.
var workflowTools = []string{fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord, fakes.CreateCharge, fakes.SendEmail, fakes.PublishReport}

// drive passes every fault site of the first steps steps of a workflow of
// workflowTools (three attempts each) and returns the faults that fired.
func drive(s faults.Schedule, unit func(string, int) uint64, exec string, steps int) []faults.Applied {
	return driveTools(s, unit, exec, workflowTools[:steps])
}

// driveTools passes every fault site of a workflow calling tools, in order,
// and returns the faults that fired.
func driveTools(s faults.Schedule, unit func(string, int) uint64, exec string, tools []string) []faults.Applied {
	ctx := context.Background()
	var fired []faults.Applied
	in := faults.NewInjector(s, unit, func(a faults.Applied) { fired = append(fired, a) })
	inv := in.Invoker(&stub{})
	st := in.Store(nopStore{})
	for step, tool := range tools {
		for attempt := 1; attempt <= 3; attempt++ {
			site := engine.Site{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: exec, Step: step, Attempt: attempt}, Tool: tool}
			for i, p := range []engine.Point{engine.BeforeBegin, engine.AfterBegin, engine.AfterInvoke, engine.ContextWrite, engine.ContextWrite, engine.BeforeCommit, engine.AfterCommit} {
				site.Point, site.Index = p, i
				_ = in.At(ctx, site)
			}
			call := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: exec, Step: step, Attempt: attempt}, Tool: tool}
			if tool == fakes.LLMComplete {
				call.Deliver = func(int, string) error { return nil }
			}
			_, _ = inv.Invoke(ctx, call)
			in.Quirk(call)
			_ = st.Begin(ctx, store.Attempt{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: exec, Step: step, Attempt: attempt}})
			_ = st.Commit(ctx, store.Commit{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: exec, Step: step, Attempt: attempt}})
		}
	}
	return fired
}

func render(as []faults.Applied) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

func TestRateZeroNeverFires(t *testing.T) {
	t.Parallel()
	for seed := range uint64(20) {
		s := faults.Schedule{Seed: seed}
		if fired := drive(s, nil, "e1", 6); len(fired) != 0 {
			t.Fatalf("seed %d: a schedule with every rate at zero fired %v", seed, render(fired))
		}
		in := faults.NewInjector(s, nil, nil)
		if d := in.Drift(fakes.Default()); d != nil {
			t.Fatalf("seed %d: drift %v with a zero rate", seed, d)
		}
	}
}

func TestSameScheduleFiresTheSame(t *testing.T) {
	t.Parallel()
	for seed := range uint64(10) {
		s := all(300, seed)
		first, second := render(drive(s, nil, "e1", 6)), render(drive(s, nil, "e1", 6))
		if len(first) == 0 {
			t.Fatalf("seed %d: nothing fired at 300‰ over every site", seed)
		}
		if !slices.Equal(first, second) {
			t.Fatalf("seed %d: the same schedule fired\n%q\nthen\n%q", seed, first, second)
		}
	}
}

func TestSeedChangesOutcomes(t *testing.T) {
	t.Parallel()
	base := render(drive(all(300, 1), nil, "e1", 6))
	differ := 0
	for seed := uint64(2); seed < 12; seed++ {
		if !slices.Equal(base, render(drive(all(300, seed), nil, "e1", 6))) {
			differ++
		}
	}
	if differ < 9 {
		t.Errorf("only %d of 10 other seeds changed which faults fire", differ)
	}
	// Compared without the execution id, which every record names.
	where := func(as []faults.Applied) []string {
		out := make([]string, len(as))
		for i, a := range as {
			out[i] = fmt.Sprintf("%s step %d attempt %d %s", a.Kind, a.Step, a.Attempt, a.Detail)
		}
		return out
	}
	if slices.Equal(where(drive(all(300, 1), nil, "e1", 6)), where(drive(all(300, 1), nil, "e2", 6))) {
		t.Error("two executions with different ids draw the same faults")
	}
}

// TestAddingAStepKeepsTheOthersFaults compares the faults of a workflow with
// those of the same workflow and one more step: the steps they share fire
// the same faults.
func TestAddingAStepKeepsTheOthersFaults(t *testing.T) {
	t.Parallel()
	salts := []uint64{0x51, 0x7a, 0x03, 0xee, 0x42, 0x99}
	units := map[string]func(string, int) uint64{
		"default units":  nil,
		"units of salts": func(_ string, step int) uint64 { return salts[step] },
	}
	for name, unit := range units {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for seed := range uint64(10) {
				s := all(200, seed)
				before := render(drive(s, unit, "e1", 5))
				var after []string
				for _, a := range drive(s, unit, "e1", 6) {
					if a.Step < 5 {
						after = append(after, a.String())
					}
				}
				if !slices.Equal(before, after) {
					t.Fatalf("seed %d: appending a step changed the faults of the others:\n%q\nthen\n%q", seed, before, after)
				}
			}
		})
	}
	t.Run("removing a step with its salt keeps the others' faults", func(t *testing.T) {
		t.Parallel()
		// Without step 1, steps 2.. keep their salts and their tools.
		kept := []int{0, 2, 3, 4, 5}
		var keptTools []string
		for _, i := range kept {
			keptTools = append(keptTools, workflowTools[i])
		}
		bySalt := func(as []faults.Applied, stepSalt func(int) uint64) []string {
			var out []string
			for _, a := range as {
				out = append(out, fmt.Sprintf("%s salt %x attempt %d %s", a.Kind, stepSalt(a.Step), a.Attempt, a.Detail))
			}
			return out
		}
		for seed := range uint64(10) {
			s := all(200, seed)
			var whole []faults.Applied
			for _, a := range drive(s, func(_ string, step int) uint64 { return salts[step] }, "e1", 6) {
				if a.Step != 1 {
					whole = append(whole, a)
				}
			}
			shrunk := driveTools(s, func(_ string, step int) uint64 { return salts[kept[step]] }, "e1", keptTools)
			want := bySalt(whole, func(step int) uint64 { return salts[step] })
			got := bySalt(shrunk, func(step int) uint64 { return salts[kept[step]] })
			if !slices.Equal(want, got) {
				t.Fatalf("seed %d: removing step 1 changed the others' faults:\n%q\nthen\n%q", seed, want, got)
			}
		}
	})
}

func TestRateThousandAlwaysFires(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	call := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 0, Attempt: 1}, Tool: fakes.InsertRecord}
	streaming := call
	streaming.Tool = fakes.LLMComplete
	var delivered []int
	streaming.Deliver = func(i int, _ string) error { delivered = append(delivered, i); return nil }

	invokes := []struct {
		kind    faults.Kind
		call    engine.Call
		err     error // nil: the call succeeds
		reached bool  // the tool was called
	}{
		{faults.Refused, call, outcome.ErrRefused, false},
		{faults.Unavailable, call, &outcome.StatusError{Code: 503}, false},
		{faults.RateLimit, call, &outcome.StatusError{Code: 429}, false},
		{faults.LostResponse, call, outcome.ErrTimeout, true},
		{faults.Reset, call, outcome.ErrReset, true},
		{faults.StreamCut, streaming, outcome.ErrStreamCut, true},
		{faults.StreamCut, call, nil, true},
		{faults.BadResponse, streaming, outcome.ErrBadResponse, true},
		{faults.BadResponse, call, nil, true},
	}
	for _, c := range invokes {
		t.Run(fmt.Sprintf("%s on %s", c.kind, c.call.Tool), func(t *testing.T) {
			for seed := range uint64(20) {
				var fired []faults.Applied
				in := faults.NewInjector(every(c.kind, 1000, seed), nil, func(a faults.Applied) { fired = append(fired, a) })
				tl := &stub{}
				delivered = nil
				_, err := in.Invoker(tl).Invoke(ctx, c.call)
				var se, want *outcome.StatusError
				switch {
				case errors.As(c.err, &want):
					if !errors.As(err, &se) || se.Code != want.Code {
						t.Fatalf("seed %d: error %v, want status %d", seed, err, want.Code)
					}
					if c.kind == faults.RateLimit && (se.RetryAfter < 200*time.Millisecond || se.RetryAfter >= 2*time.Second) {
						t.Errorf("seed %d: Retry-After %s outside [200ms, 2s)", seed, se.RetryAfter)
					}
				case !errors.Is(err, c.err) || (c.err == nil) != (err == nil):
					t.Fatalf("seed %d: error %v, want %v", seed, err, c.err)
				}
				if (tl.calls > 0) != c.reached {
					t.Errorf("seed %d: the tool was called %d times; reached: want %v", seed, tl.calls, c.reached)
				}
				if wantFired := c.err != nil; (len(fired) == 1 && fired[0].Kind == c.kind) != wantFired {
					t.Errorf("seed %d: recorded %q", seed, render(fired))
				}
				if c.kind == faults.StreamCut && c.call.Deliver != nil && len(delivered) > 2 {
					t.Errorf("seed %d: a cut stream delivered %v", seed, delivered)
				}
			}
		})
	}

	t.Run("crash at every point", func(t *testing.T) {
		in := faults.NewInjector(every(faults.Crash, 1000, 3), nil, nil)
		for p := engine.BeforeBegin; p <= engine.AfterCommit; p++ {
			if err := in.At(ctx, engine.Site{Point: p, AttemptID: store.AttemptID{Exec: "e1", Attempt: 1}}); !errors.Is(err, engine.ErrCrash) {
				t.Errorf("At(%s) = %v, want ErrCrash", p, err)
			}
		}
	})
	t.Run("partial write inside context writes only", func(t *testing.T) {
		in := faults.NewInjector(every(faults.PartialWrite, 1000, 3), nil, nil)
		for p := engine.BeforeBegin; p <= engine.AfterCommit; p++ {
			err := in.At(ctx, engine.Site{Point: p, AttemptID: store.AttemptID{Exec: "e1", Attempt: 1}, Index: 1})
			if (err != nil) != (p == engine.ContextWrite) || errors.Is(err, engine.ErrCrash) {
				t.Errorf("At(%s) = %v", p, err)
			}
		}
	})
	t.Run("quirks", func(t *testing.T) {
		for k, want := range map[faults.Kind]fakes.Quirk{faults.DoubleDelivery: fakes.DoubleDelivery, faults.LostWrite: fakes.LostWrite} {
			if got := faults.NewInjector(every(k, 1000, 3), nil, nil).Quirk(call); got != want {
				t.Errorf("%s: Quirk = %d, want %d", k, got, want)
			}
		}
		if got := faults.NewInjector(every(faults.Refused, 1000, 3), nil, nil).Quirk(call); got != fakes.NoQuirk {
			t.Errorf("a schedule without quirks: Quirk = %d", got)
		}
	})
	t.Run("drift", func(t *testing.T) {
		for seed := range uint64(10) {
			var fired []faults.Applied
			d := faults.NewInjector(every(faults.Drift, 1000, seed), nil, func(a faults.Applied) { fired = append(fired, a) }).Drift(fakes.Default())
			if len(d) != 2 || d[0].Tenant != d[1].Tenant || !slices.Contains(fakes.TenantNames, d[0].Tenant) ||
				d[0].Tool != fakes.InsertRecord || d[1].Tool != fakes.PublishReport {
				t.Fatalf("seed %d: Drift() = %v", seed, d)
			}
			if len(fired) != 1 || fired[0].Kind != faults.Drift || fired[0].Tenant != d[0].Tenant {
				t.Errorf("seed %d: recorded %q", seed, render(fired))
			}
			if again := faults.NewInjector(every(faults.Drift, 1, seed), nil, nil).Drift(fakes.Default()); again[0].Tenant != d[0].Tenant {
				t.Errorf("seed %d: the drifted tenant depends on the rate: %s then %s", seed, d[0].Tenant, again[0].Tenant)
			}
		}
	})
}

func TestStoreFaults(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T, k faults.Kind) (store.Store, *memstore.Store) {
		t.Helper()
		mem := memstore.New()
		if err := mem.Create(ctx, store.Execution{Tenant: fakes.Acme, Exec: "e1", Steps: []store.Step{{Tool: fakes.InsertRecord}}}); err != nil {
			t.Fatal(err)
		}
		return faults.NewInjector(every(k, 1000, 1), nil, nil).Store(mem), mem
	}
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 0, Attempt: 1}}
	c := store.Commit{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 0, Attempt: 1}, Context: store.Context{Version: 1}}
	cases := []struct {
		kind    faults.Kind
		begun   int
		commits int
	}{
		{faults.BeginFail, 0, 1},
		{faults.CommitFail, 1, 0},
		{faults.CommitAmbiguous, 1, 1},
	}
	for _, cs := range cases {
		t.Run(cs.kind.String(), func(t *testing.T) {
			t.Parallel()
			st, mem := setup(t, cs.kind)
			beginErr, commitErr := st.Begin(ctx, a), st.Commit(ctx, c)
			if (beginErr != nil) != (cs.kind == faults.BeginFail) || (commitErr != nil) != (cs.kind != faults.BeginFail) {
				t.Fatalf("Begin: %v, Commit: %v", beginErr, commitErr)
			}
			for _, err := range []error{beginErr, commitErr} {
				if err != nil && !errors.Is(err, store.ErrUnavailable) {
					t.Errorf("%v is not ErrUnavailable", err)
				}
			}
			snap, err := mem.Load(ctx, fakes.Acme, "e1")
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Attempts) != cs.begun || len(snap.Commits) != cs.commits {
				t.Errorf("stored %d attempts and %d commits, want %d and %d", len(snap.Attempts), len(snap.Commits), cs.begun, cs.commits)
			}
		})
	}
}

func TestCrashFiresAtMostOncePerSite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	site := engine.Site{Point: engine.AfterInvoke, AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 2, Attempt: 1}, Tool: fakes.InsertRecord}
	var fired []faults.Applied
	in := faults.NewInjector(every(faults.Crash, 1000, 9), nil, func(a faults.Applied) { fired = append(fired, a) })
	if err := in.At(ctx, site); !errors.Is(err, engine.ErrCrash) {
		t.Fatalf("first visit: %v, want ErrCrash", err)
	}
	for range 3 {
		if err := in.At(ctx, site); err != nil {
			t.Fatalf("a rebuilt engine passing the same site: %v", err)
		}
	}
	other := site
	other.Attempt = 2
	if err := in.At(ctx, other); !errors.Is(err, engine.ErrCrash) {
		t.Errorf("another site: %v, want ErrCrash", err)
	}
	if len(fired) != 2 || fired[0].Kind != faults.Crash || fired[0].Detail != "after-invoke" || fired[0].Step != 2 {
		t.Errorf("recorded %q", render(fired))
	}
	if err := faults.NewInjector(every(faults.Crash, 1000, 9), nil, nil).At(ctx, site); !errors.Is(err, engine.ErrCrash) {
		t.Errorf("a new injector: %v, want ErrCrash", err)
	}
}

func TestInvokerKeepsTheLookupAbility(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	world := fakes.NewWorld(nil)
	call := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1"}, Tool: fakes.InsertRecord, Key: "k1"}
	resp, err := world.Invoke(ctx, call)
	if err != nil {
		t.Fatal(err)
	}
	in := faults.NewInjector(all(1000, 5), nil, nil)
	wrapped := in.Invoker(world)
	l, ok := wrapped.(engine.Lookuper)
	if !ok {
		t.Fatal("the wrapped world answers no lookups")
	}
	res, err := l.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.InsertRecord, Key: "k1"})
	if err != nil || !res.Found || res.Response.Ref != resp.Ref {
		t.Errorf("Lookup through the wrapper = %+v, %v; want the world's %s (faults do not touch lookups)", res, err, resp.Ref)
	}
	if _, ok := in.Invoker(&stub{}).(engine.Lookuper); ok {
		t.Error("a wrapped tool that answers no lookups gained the ability")
	}
}
