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
		{faults.Unavailable, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Unavailable}},
		{faults.Outage, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Outage}},
		{faults.ErrorAfter, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Status}},
		{faults.Zombie, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.Zombie}},
		{faults.Zombie, call(fakes.LLMComplete, 1, false), nil, []wire.Kind{wire.None}},
		{faults.LookupLag, wire.Site{Phase: wire.Lookup, Tool: fakes.CreateCharge, Attempt: 1, Key: "k", Tenant: "acme"}, nil, []wire.Kind{wire.Lag}},
		{faults.Rejected, call(fakes.SendEmail, 1, false), nil, []wire.Kind{wire.None}},
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

// A kind's rate is the wire's: at its maximum some sites meet it and most
// do not; with no kind on, none does.
func TestWireFaultsFollowTheirKindsRate(t *testing.T) {
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
	lookups := func(i int) wire.Site {
		return wire.Site{Phase: wire.Lookup, Tool: fakes.CreateCharge, Attempt: 1, Key: string(rune('a'+i%26)) + string(rune('a'+i/26)), Tenant: "acme"}
	}
	for _, tc := range []struct {
		k    faults.Kind
		site func(int) wire.Site
		want wire.Kind
	}{
		{faults.ErrorAfter, emails, wire.Status},
		{faults.Zombie, emails, wire.Zombie},
		{faults.Outage, emails, wire.Outage},
		{faults.LookupLag, lookups, wire.Lag},
	} {
		r := faults.MaxRate(tc.k)
		n := count(only(tc.k, r), tc.site)
		if got, want := float64(n[tc.want])/2000, float64(r)/1000; got < want/2 || got > 2*want {
			t.Errorf("%s at %d‰: %v, want about %.0f %s", tc.k, r, n, 2000*want, tc.want)
		}
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
