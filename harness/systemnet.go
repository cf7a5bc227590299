package harness

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/harness/bubble"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/scenarios"
)

// netGrace is how long a case cut at its wall-clock limit gets to return
// once its contexts are cancelled.
const netGrace = 5 * time.Second

// runNet runs one case on the network of o.Net, on real time.
func runNet(space *scenarios.Space, sc scenarios.Scenario, body func(*System), o SystemOpts) (*SystemRun, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var down func(string, time.Duration)
	if od, ok := o.Net.(Outager); ok {
		down = od.Down
	}
	speedup := o.NetSpeedup
	c := newCase(ctx, space, sc, o, func(f wire.Faults) wire.Faults { return netFaults(f, speedup, down) })
	ep, client, release, err := o.Net.Serve(c.srv)
	if err != nil {
		return nil, fmt.Errorf("net mode: serve the world: %w", err)
	}
	defer release()
	c.sys.client, c.sys.ep = client, ep
	run := &SystemRun{Scenario: sc, start: time.Now()}
	c.rec.begin(c.sys.execs)
	done := make(chan string, 1)
	go func() {
		p := guard(func() { body(c.sys) })
		if p == "" {
			p = guard(func() { c.sys.resume(o.RestartDelay) })
		}
		done <- p
	}()
	limit := time.NewTimer(o.Limit)
	defer limit.Stop()
	select {
	case run.Panic = <-done:
	case <-limit.C:
		c.take(run, invariants.CutAtLimit)
		run.Hang = &bubble.Hang{Reason: fmt.Sprintf("no end by the wall-clock limit of %v", o.Limit), Virtual: o.Limit, Goroutines: bubble.AllStacks()}
		cancel()
		select {
		case <-done:
		case <-time.After(netGrace):
		}
	}
	end := time.Now()
	c.srv.Close() // the zombies still held back land
	sctx, stop := context.WithTimeout(context.Background(), netGrace)
	c.srv.Shutdown(sctx)
	stop()
	if tr, ok := client.Transport.(*http.Transport); ok {
		tr.CloseIdleConnections()
	}
	c.takeAt(run, invariants.NotCut, end)
	run.check()
	return run, nil
}

// netFaults divides the faults' own durations by speedup, so that a case
// on real time takes what a bubble's would at that speed, and tells the
// network of every outage that begins.
func netFaults(f wire.Faults, speedup float64, down func(string, time.Duration)) wire.Faults {
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) / speedup) }
	return wire.FaultsFunc(func(s wire.Site) wire.Fault {
		got := f.Fault(s)
		got.RetryAfter, got.Hold, got.Lag, got.For = scale(got.RetryAfter), scale(got.Hold), scale(got.Lag), scale(got.For)
		if got.Kind == wire.Outage && down != nil {
			down(s.Tool, got.For)
		}
		return got
	})
}

// checkNet is CheckSystem in net mode: rapid's number of cases from
// rapid's seed, each the first case rapid draws for its seed, run on real
// time and not shrunk; the first failing one fails the test with the line
// that runs it again.
func checkNet(t *testing.T, space *scenarios.Space, body func(*System), o SystemOpts) {
	t.Helper()
	seed, checks := rapidFlag("rapid.seed", 0), rapidFlag("rapid.checks", 100)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	run, at, err := netSearch(space, body, o, seed, int(checks))
	switch {
	case err != nil:
		t.Fatal(err)
	case run != nil:
		t.Fatalf("net mode: case %d of %d failed (not shrunk: real time):\n%s\nRun it again with: %s -rapid.checks=1",
			at-seed+1, checks, run.Failure(o.Invariants), GoTestCommand(t.Name(), strconv.FormatUint(at, 10)))
	}
}

// netSearch runs the first case of each seed from seed on, n of them, and
// returns the first that fails and its seed.
func netSearch(space *scenarios.Space, body func(*System), o SystemOpts, seed uint64, n int) (*SystemRun, uint64, error) {
	gen := space.Generator(o.AllFaults)
	for i := range n {
		s := seed + uint64(i)
		run, err := runSystem(nil, space, scenarios.Example(gen, int(s)), body, o)
		if err != nil {
			return nil, 0, err
		}
		if run.Failure(o.Invariants) != "" {
			return run, s, nil
		}
	}
	return nil, 0, nil
}

// rapidFlag reads one of rapid's numeric flags, or def.
func rapidFlag(name string, def uint64) uint64 {
	f := flag.Lookup(name)
	if f == nil {
		return def
	}
	v, err := strconv.ParseUint(f.Value.String(), 10, 64)
	if err != nil {
		return def
	}
	return v
}
