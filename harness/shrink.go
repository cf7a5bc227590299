package harness

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// ShrinkOptions configure Shrink. The zero value means swarm schedules and
// at most 10s of minimisation.
type ShrinkOptions struct {
	AllFaults bool
	Time      time.Duration
	Sim       *Options
}

// Shrink minimises the counterexample of a seed for one invariant with
// rapid's shrinker: the seed's scenario is the first case rapid draws for it,
// and rapid reduces it while the invariant stays violated. It returns the
// minimal failing run, or nil when the seed does not violate the invariant.
// Shrinking is deterministic while it finishes within its time bound.
func Shrink(ctx context.Context, p policy.Policy, seed uint64, id invariants.ID, opts *ShrinkOptions) (*Run, error) {
	var o ShrinkOptions
	if opts != nil {
		o = *opts
	}
	if o.Time <= 0 {
		o.Time = 10 * time.Second
	}
	gen := scenarios.Generator(o.AllFaults)
	var last *Run
	var simErr error
	prop := func(t *rapid.T) {
		sc := gen.Draw(t, "scenario")
		run, err := Simulate(ctx, sc, p, o.Sim)
		if err != nil {
			simErr = err
			return
		}
		if res := run.Result(id); res.Status == invariants.Violated {
			last = run
			t.Fatalf("%s", res.Violations[0])
		}
	}
	// rapid's flags are process-wide: Shrink sets them for the time of one
	// minimisation and puts them back, while nobody else reads them.
	scenarios.RapidFlags.Lock()
	defer scenarios.RapidFlags.Unlock()
	restore, err := setRapidFlags(map[string]string{
		"rapid.seed": strconv.FormatUint(seed, 10), "rapid.checks": "1", "rapid.nofailfile": "true",
		"rapid.shrinktime": o.Time.String(), "rapid.v": "false", "rapid.log": "false",
	})
	if err != nil {
		return nil, err
	}
	defer restore()
	tb := &quietTB{name: fmt.Sprintf("chaosrun/%s/%s/%d", p.Name(), id, seed)}
	tb.run(func() { rapid.Check(tb, prop) })
	if simErr != nil {
		return nil, simErr
	}
	if !tb.failed {
		return nil, nil
	}
	return last, nil
}

var initOnce sync.Once

// setRapidFlags sets rapid's flags and returns a function that restores
// them. Outside a test binary, rapid needs the testing flags registered and
// the command line parsed; the program's own flags are its business (the
// chaosrun CLI uses its own flag sets).
func setRapidFlags(values map[string]string) (func(), error) {
	initOnce.Do(func() {
		testing.Init()
		if !flag.Parsed() {
			_ = flag.CommandLine.Parse(nil)
		}
	})
	old := map[string]string{}
	for name, v := range values {
		f := flag.Lookup(name)
		if f == nil {
			return nil, fmt.Errorf("rapid flag %s is not registered", name)
		}
		old[name] = f.Value.String()
		if err := f.Value.Set(v); err != nil {
			return nil, fmt.Errorf("set %s: %w", name, err)
		}
	}
	return func() {
		for name, v := range old {
			_ = flag.Lookup(name).Value.Set(v)
		}
	}, nil
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
