package faults_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/faults"
)

func only(k faults.Kind, rate uint16) faults.Schedule {
	s := faults.Schedule{Seed: 7}
	s.Rates[k] = rate
	return s
}

func call(tool string, attempt int, stream bool) wire.Site {
	return wire.Site{Phase: wire.Call, Tool: tool, Op: fakes.Op{Tenant: "acme", Exec: "e1", Step: 0, Sub: -1}, Attempt: attempt, Tenant: "acme", Stream: stream}
}

func isModel(tool string) bool { return tool == fakes.LLMComplete }

// Each kind, on at every site, lands at a call as the wire's fault.
func TestWireFaultsLandAsTheirKinds(t *testing.T) {
	t.Parallel()
	crash := func(wire.Site, bool) func() { return func() {} }
	for _, tc := range []struct {
		kind  faults.Kind
		site  wire.Site
		crash func(wire.Site, bool) func()
		want  []wire.Kind // any of
	}{
		{faults.Refused, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Refuse}},
		{faults.Unavailable, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Unavailable, wire.Outage}},
		{faults.RateLimit, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.RateLimit}},
		{faults.Reset, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Reset}},
		{faults.LostResponse, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Timeout}},
		{faults.StreamCut, call(fakes.LLMComplete, 1, true), nil, []wire.Kind{wire.StreamCut}},
		{faults.StreamCut, call(fakes.LLMComplete, 1, false), nil, []wire.Kind{wire.None}},
		{faults.BadResponse, call(fakes.LLMComplete, 1, false), nil, []wire.Kind{wire.Status}},
		{faults.BadResponse, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.None}},
		{faults.Crash, call(fakes.SendEmail, 1, false), crash, []wire.Kind{wire.Refuse, wire.Reset}},
		{faults.Crash, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.None}},
		{faults.CommitFail, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.None}},
	} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			var fired []faults.Applied
			in := faults.NewInjector(only(tc.kind, 1000), nil, func(a faults.Applied) { fired = append(fired, a) })
			f := in.Wire(&faults.WireOpts{Model: isModel, Crash: tc.crash}).Fault(tc.site)
			ok := false
			for _, k := range tc.want {
				ok = ok || f.Kind == k
			}
			if !ok {
				t.Fatalf("%s at %+v landed as %s, want one of %v", tc.kind, tc.site, f.Kind, tc.want)
			}
			if (f.Kind != wire.None) != (len(fired) == 1) || len(fired) == 1 && fired[0].Kind != tc.kind {
				t.Fatalf("recorded %v for a %s fault", fired, f.Kind)
			}
			if tc.kind == faults.Crash && f.Kind != wire.None && f.Then == nil {
				t.Fatal("a crash without the caller's crash to run")
			}
		})
	}
}

// The wire's own cases are drawn with the rate of the kind nearest them:
// at every site with the rate at its maximum, some calls meet each.
func TestTheWiresOwnCasesFollowTheirKindsRate(t *testing.T) {
	t.Parallel()
	count := func(s faults.Schedule, site func(i int) wire.Site) map[wire.Kind]int {
		w := faults.NewInjector(s, nil, nil).Wire(&faults.WireOpts{Model: isModel})
		n := map[wire.Kind]int{}
		for i := 1; i <= 2000; i++ {
			n[w.Fault(site(i)).Kind]++
		}
		return n
	}
	emails := func(i int) wire.Site { return call(fakes.SendEmail, i, false) }
	if n := count(only(faults.Reset, 120), emails); n[wire.Status] == 0 || n[wire.Reset] == 0 {
		t.Errorf("reset at 120‰: %v, want resets and statuses after the effect", n)
	}
	if n := count(only(faults.LostResponse, 120), emails); n[wire.Zombie] == 0 || n[wire.Timeout] == 0 {
		t.Errorf("lost-response at 120‰: %v, want held replies and zombies", n)
	}
	lookups := func(i int) wire.Site {
		return wire.Site{Phase: wire.Lookup, Tool: fakes.CreateCharge, Attempt: 1, Key: string(rune('a'+i%26)) + string(rune('a'+i/26)), Tenant: "acme"}
	}
	if n := count(only(faults.LostResponse, 120), lookups); n[wire.Lag] == 0 {
		t.Errorf("lost-response at 120‰ at lookups: %v, want lagging ones", n)
	}
	if n := count(only(faults.Unavailable, 120), emails); n[wire.Outage] == 0 || n[wire.Unavailable] == 0 {
		t.Errorf("unavailable at 120‰: %v, want 503s and outages", n)
	}
	if n := count(faults.Schedule{Seed: 7}, emails); n[wire.None] != 2000 {
		t.Errorf("no kind on: %v", n)
	}
}

// The same schedule puts the same fault at the same site, however many
// sites were asked before.
func TestWireFaultsAreAFunctionOfTheSite(t *testing.T) {
	t.Parallel()
	s := faults.Schedule{Seed: 42}
	for _, k := range faults.Kinds() {
		s.Rates[k] = 100
	}
	a := faults.NewInjector(s, nil, nil).Wire(&faults.WireOpts{Model: isModel})
	b := faults.NewInjector(s, nil, nil).Wire(&faults.WireOpts{Model: isModel})
	for i := 1; i <= 50; i++ {
		b.Fault(call(fakes.InsertRecord, i, false)) // other sites first
	}
	for i := 1; i <= 200; i++ {
		site := call(fakes.CreateCharge, i, false)
		if fa, fb := a.Fault(site), b.Fault(site); fa.Kind != fb.Kind || fa.RetryAfter != fb.RetryAfter || fa.Status != fb.Status {
			t.Fatalf("attempt %d: %+v and %+v", i, fa, fb)
		}
	}
}
