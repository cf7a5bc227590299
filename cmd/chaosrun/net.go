package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// engineCommand is the hidden command an engine process of net mode runs.
const engineCommand = "__engine"

// netWorkers is how many rigs run net-mode scenarios at once: the work
// waits on sockets and timeouts more than on the CPU (a run in memory spends
// a sixth of its wall time on the CPU), and each rig holds a handful of
// Postgres connections at most (one per execution, one of its own, its
// probe's).
const netWorkers = 8

// netRunner makes net-mode rigs: on Postgres (dsn) with the engine as a
// child process of this binary, killed with SIGKILL at crash points;
// without, in memory with the engine in this process.
//
// An exploration asks each of its phases' workers for a rig, and net mode's
// second phase runs nothing (its runs are all swarm runs: targeting needs
// the simulation). The first netWorkers rigs are made at once, so that a
// server that does not let them in stops the exploration with its hint; any
// after them only when they run a scenario, so that a phase with nothing to
// run makes no database.
func netRunner(ctx context.Context, dsn, ref string) func() (harness.Runner, error) {
	made := 0
	var mu sync.Mutex
	return func() (harness.Runner, error) {
		o := &netrig.Options{DSN: dsn, Ref: func(policy.Policy) string { return ref }}
		if dsn != "" {
			o.Child = childCommand
		}
		mu.Lock()
		made++
		eager := made <= netWorkers
		mu.Unlock()
		if !eager {
			return &lazyRig{make: func() (*netrig.Rig, error) { return netrig.New(ctx, o) }}, nil
		}
		return netrig.New(ctx, o) // its errors get their hints from storeError
	}
}

// lazyRig is a rig made when it first runs a scenario.
type lazyRig struct {
	make func() (*netrig.Rig, error)
	rig  *netrig.Rig
}

func (l *lazyRig) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*harness.Run, error) {
	if l.rig == nil {
		r, err := l.make()
		if err != nil {
			return nil, storeError(err)
		}
		l.rig = r
	}
	return l.rig.Run(ctx, sc, p)
}

// Close closes the rig, if it was made.
func (l *lazyRig) Close() error {
	if l.rig == nil {
		return nil
	}
	return l.rig.Close()
}

func childCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, engineCommand)
}

// engine is the engine process of net mode: its spec on stdin, its events
// on stdout.
func (e *env) engine(ctx context.Context) error {
	return netrig.ChildMain(ctx, os.Stdin, e.stdout, resolveRef)
}

// runErrors is the error of an exploration in which runs ended in an error
// instead of a verdict (net mode: a store that did not come back within the
// rig's patience): the reports are written and count them, the other runs'
// verdicts stand, and the command exits 2, after the gate's exit 1 for a
// violation, since the verdict is incomplete.
func runErrors(sums []*harness.Summary) error {
	n, first := 0, ""
	for _, s := range sums {
		n += len(s.Errors)
		if first == "" && len(s.Errors) > 0 {
			first = fmt.Sprintf("%s, %v", s.Policy, s.Errors[0].Err)
		}
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("%d runs ended in an error instead of a verdict (the reports count them); the first: %s", n, first)
}
