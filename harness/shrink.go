package harness

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"time"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// ShrinkOpts configure Shrink. The zero value means swarm schedules, a
// patience of [DefaultPatience] candidates and at most 10s of minimisation.
type ShrinkOpts struct {
	AllFaults bool
	// Targets are the cells the seed's scenario was aimed at (see
	// [Failure.Targets]).
	Targets []faults.Cell
	// Patience ends the minimisation once this many of rapid's candidates
	// in a row have not reproduced the violation (default
	// [DefaultPatience]; negative: no end but rapid's own and Time). It
	// counts candidates, not time, so the result stays deterministic.
	Patience int
	Time     time.Duration
	Sim      *SimOpts
	// World is the world the seed's scenario is drawn from and run in (nil:
	// the built-in one; Sim.World, when set, wins).
	World *worlds.World
}

// DefaultPatience is Shrink's default patience. rapid spends most of a
// minimisation on candidates that cannot succeed — sorting the bits of
// blocks a threshold reads, one by one, most of them the same scenario
// again — once its early passes have removed what can be removed; [fewer]
// and [quieter] then take out, a simulation each, what it left that the
// violation does not need. Over 96 counterexamples of the catalog (the
// first of each violated invariant in 500 runs from 4 seeds), a patience
// of 300 called the property 137,000 times instead of 289,000 and took
// 0.53 of the time of one of 800; the cases had 206 steps instead of 203
// (272 at 800 before fewer existed) and 110 fault kinds on instead of 109.
const DefaultPatience = 300

// Shrink minimises the counterexample of a seed for one invariant with
// rapid's shrinker: the seed's scenario is the first case rapid draws for it,
// and rapid reduces it while the invariant stays violated. It returns the
// minimal failing run, or nil when the seed does not violate the invariant.
// Shrinking is deterministic while it finishes within its time bound: the
// patience counts candidates.
func Shrink(ctx context.Context, p policy.Policy, seed uint64, id invariants.ID, opts *ShrinkOpts) (*Run, error) {
	var o ShrinkOpts
	if opts != nil {
		o = *opts
	}
	if o.Time <= 0 {
		o.Time = 10 * time.Second
	}
	if o.Patience == 0 {
		o.Patience = DefaultPatience
	}
	sim, space, err := inWorld(o.Sim, o.World)
	if err != nil {
		return nil, err
	}
	gen := space.Targeted(o.AllFaults, o.Targets)
	// A candidate is checked for the invariant being shrunk alone; the run
	// Shrink returns, for every invariant.
	candidate := *sim
	candidate.only = id
	// rapid draws the same scenario again and again while it shrinks (most
	// of its candidates differ in bits no draw reads): each distinct one is
	// simulated once, and its verdict remembered. A scenario and the policy
	// decide the run, so the verdict is the one a new run would give.
	memo := map[string]string{} // scenario key -> the violation ("" when none)
	var key []byte
	violation := func(sc scenarios.Scenario) (string, error) {
		key = appendKey(key[:0], sc)
		if msg, seen := memo[string(key)]; seen {
			return msg, nil
		}
		run, err := Simulate(ctx, sc, p, &candidate)
		if err != nil {
			return "", err
		}
		defer run.Release()
		msg := ""
		if res := run.Result(id); res.Status == invariants.Violated {
			msg = res.Violations[0].String()
		}
		if run.History.Cut != invariants.Aborted {
			memo[string(key)] = msg
		}
		return msg, nil
	}
	var last scenarios.Scenario
	found := false
	var simErr error
	// The bounds are the property's: rapid's own (a flag, shared by every
	// minimisation running beside this one) is only a backstop. Past
	// either (the patience, the time), the property ends the goroutine
	// rapid runs on, which ends the minimisation at once: rapid would go
	// on through its passes, calling the property for each candidate.
	cutoff := time.Now().Add(o.Time)
	calls, failed := 0, 0 // candidates so far; the last that failed
	var started func()
	prop := func(t *rapid.T) {
		started()
		calls++
		// The candidate after one that reproduced the violation is rapid
		// making sure of it: it must see the violation again.
		if found && calls > failed+1 && (o.Patience > 0 && calls-failed > o.Patience || time.Now().After(cutoff)) {
			runtime.Goexit()
		}
		sc := gen.Draw(t, "scenario")
		msg, err := violation(sc)
		if err != nil {
			simErr = err
			return
		}
		if msg != "" {
			last, found, failed = sc, true, calls
			t.Fatalf("%s", msg)
		}
	}
	tb := &quietTB{name: fmt.Sprintf("chaosrun/%s/%s/%d", p.Name(), id, seed)}
	var crash any // a panic of rapid's goroutine, for this one
	err = scenarios.RapidShrink(shrinkFlags, seed, func(s func()) {
		started = s
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer func() { crash = recover() }()
			tb.run(func() { rapid.Check(tb, prop) })
		}()
		<-done
	})
	if crash != nil {
		panic(crash)
	}
	if err != nil {
		return nil, err
	}
	if simErr != nil {
		return nil, simErr
	}
	if !found {
		return nil, nil
	}
	if last, err = fewer(last, violation); err != nil {
		return nil, err
	}
	if last, err = quieter(last, violation); err != nil {
		return nil, err
	}
	return Simulate(ctx, last, p, sim)
}

// fewer takes out, one at a time, each execution and each generated step
// of a minimised scenario the violation does not need, until none can go:
// a step costs one simulation here, where rapid, which sees only the bits
// its draws read, spends hundreds of candidates on the blocks of a
// scenario's length before it removes one, and a minimisation that ends
// on its patience may leave steps in that no fault of the case needs.
func fewer(sc scenarios.Scenario, violation func(scenarios.Scenario) (string, error)) (scenarios.Scenario, error) {
	try := func(next scenarios.Scenario) (bool, error) {
		msg, err := violation(next)
		if err == nil && msg != "" {
			sc = next
		}
		return msg != "", err
	}
	for again := true; again; {
		again = false
		for i := len(sc.Executions) - 1; i >= 0 && len(sc.Executions) > 1; i-- {
			ok, err := try(sc.WithoutExecution(i))
			if err != nil {
				return sc, err
			}
			again = again || ok
		}
		for i := range sc.Executions {
			for j := len(sc.Executions[i].Workflow.Tools) - 1; j >= 0; j-- {
				next, can := sc.WithoutStep(i, j)
				if !can {
					break
				}
				ok, err := try(next)
				if err != nil {
					return sc, err
				}
				again = again || ok
			}
		}
	}
	return sc, nil
}

// quieter turns off, one kind at a time in kind order, each fault kind of
// a minimised scenario the violation does not need. rapid turns a kind
// off when its passes reach the kind's bit, which the schedule draws
// last, so a minimisation that ends on its patience may leave kinds on
// that no fault of the case needs; a kind costs one simulation here.
func quieter(sc scenarios.Scenario, violation func(scenarios.Scenario) (string, error)) (scenarios.Scenario, error) {
	for k, rate := range sc.Faults.Rates {
		if rate == 0 {
			continue
		}
		try := sc
		try.Faults.Rates[k] = 0
		msg, err := violation(try)
		if err != nil {
			return sc, err
		}
		if msg != "" {
			sc = try
		}
	}
	return sc, nil
}

// appendKey appends to b an encoding of everything of a scenario that
// decides its run: two scenarios have the same key exactly when they are
// equal (see TestAppendKeyCoversScenario).
func appendKey(b []byte, sc scenarios.Scenario) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(len(sc.Executions)))
	for _, x := range sc.Executions {
		str(x.ID)
		str(x.Tenant)
		str(x.Workflow.Name)
		b = binary.AppendUvarint(b, uint64(len(x.Workflow.Tools)))
		for _, t := range x.Workflow.Tools {
			str(t)
		}
		b = binary.AppendUvarint(b, uint64(len(x.Workflow.Salts)))
		for _, s := range x.Workflow.Salts {
			b = binary.LittleEndian.AppendUint64(b, s)
		}
		b = append(b, boolByte(x.Workflow.Planned), boolByte(x.Ambiguous))
		b = binary.LittleEndian.AppendUint64(b, x.Salt)
	}
	b = binary.LittleEndian.AppendUint64(b, sc.Faults.Seed)
	for _, r := range sc.Faults.Rates {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// shrinkFlags are rapid's flags for every minimisation: one check (the
// seed's case) and no fail file; rapid's own time bound is a day, the
// property's bound ends it (see Shrink).
var shrinkFlags = map[string]string{
	"rapid.checks": "1", "rapid.nofailfile": "true", "rapid.shrinktime": "24h",
	"rapid.v": "false", "rapid.log": "false",
}

// quietTB is the rapid.TB of a minimisation outside any test: it records
// failure and swallows rapid's report (the caller reports the shrunk run).
type quietTB struct {
	name   string
	failed bool
}

type stopped struct{}

func (tb *quietTB) run(f func()) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopped); !ok {
				panic(r)
			}
		}
	}()
	f()
}

func (tb *quietTB) Helper()               {}
func (tb *quietTB) Name() string          { return tb.name }
func (tb *quietTB) Logf(string, ...any)   {}
func (tb *quietTB) Log(...any)            {}
func (tb *quietTB) Skipf(string, ...any)  { panic(stopped{}) }
func (tb *quietTB) Skip(...any)           { panic(stopped{}) }
func (tb *quietTB) SkipNow()              { panic(stopped{}) }
func (tb *quietTB) Errorf(string, ...any) { tb.failed = true }
func (tb *quietTB) Error(...any)          { tb.failed = true }
func (tb *quietTB) Fatalf(string, ...any) { tb.failed = true; panic(stopped{}) }
func (tb *quietTB) Fatal(...any)          { tb.failed = true; panic(stopped{}) }
func (tb *quietTB) FailNow()              { tb.failed = true; panic(stopped{}) }
func (tb *quietTB) Fail()                 { tb.failed = true }
func (tb *quietTB) Failed() bool          { return tb.failed }
