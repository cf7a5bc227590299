package main

import (
	"context"
	"errors"
	"os"
	"os/exec"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// engineCommand is the hidden command an engine process of net mode runs.
const engineCommand = "__engine"

// netWorkers is how many rigs run net-mode scenarios at once: the work
// waits on sockets more than on the CPU.
const netWorkers = 4

// netRunner makes net-mode rigs: on Postgres (dsn) with the engine as a
// child process of this binary, killed with SIGKILL at crash points;
// without, in memory with the engine in this process.
func netRunner(ctx context.Context, dsn, ref string) func() (harness.Runner, error) {
	return func() (harness.Runner, error) {
		o := &netrig.Options{DSN: dsn, Ref: func(policy.Policy) string { return ref }}
		if dsn != "" {
			o.Child = childCommand
		}
		r, err := netrig.New(ctx, o)
		if errors.Is(err, netrig.ErrPostgresUnreachable) {
			return nil, usagef("start Postgres (pg_isready says whether it answers), or point --store or CHAOS_PG_DSN at one that runs; --store memory runs net mode without it", "%v", err)
		}
		return r, err
	}
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
