package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/scenarios"
)

// replayFlags are replay's flags.
type replayFlags struct {
	policy, invariant, mode, store, target string
	seed                                   uint64
	allFaults, noShrink                    bool
	world                                  worldArg
}

// flags defines replay's flags; their usage strings are what 'chaosrun help
// replay' prints.
func (r *replayFlags) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&r.policy, "policy", "", "NAME|FILE\tthe built-in policy or policy file of the replay line")
	r.world.define(fs)
	fs.Uint64Var(&r.seed, "seed", 0, "S\tthe seed of the replay line")
	fs.BoolVar(&r.allFaults, "all-faults", false, "every fault kind in the scenario, as in the run that found the case")
	fs.StringVar(&r.target, "target", "", "CELLS\tthe cells the case's scenario was aimed at, as in the replay line\n"+
		"(tenant/tool/phase/kind, comma-separated)")
	fs.StringVar(&r.invariant, "invariant", "", "ID\tminimise this invariant's counterexample (default: the first violated)")
	fs.BoolVar(&r.noShrink, "no-shrink", false, "print the case as it is, without minimising it")
	fs.StringVar(&r.mode, "mode", "sim", "sim|net\tnet runs the case once more over real connections, not minimised")
	fs.StringVar(&r.store, "store", "", "memory|DSN\tnet mode's store (default memory, or CHAOS_PG_DSN when set)")
	expect(fs, "seed", refuseSeed)
	return fs
}

// replay re-runs the scenario of one seed, prints its timeline and
// violations, and minimises the counterexample.
func (e *env) replay(ctx context.Context, args []string) error {
	var rf replayFlags
	pos, err := parseArgs("replay", rf.flags(), args)
	if err != nil {
		return err
	}
	name, seed, all, only, noShrink := &rf.policy, &rf.seed, &rf.allFaults, &rf.invariant, &rf.noShrink
	switch {
	case len(pos) > 0:
		return usagef("run 'chaosrun help replay'", "replay: unexpected argument %q", pos[0])
	case *name == "":
		return usagef("e.g. chaosrun replay --policy naive-backoff --seed 4", "replay needs --policy")
	case *seed == 0:
		return usagef("copy the seed from the report's replay line", "replay needs --seed (1 or more)")
	}
	var focus invariants.ID
	if *only != "" {
		if _, err := invariants.Lookup(invariants.ID(*only)); err != nil {
			return usagef("'chaosrun list invariants' names them", "--invariant %s: %v", *only, err)
		}
		focus = invariants.ID(*only)
	}
	if err := rf.world.load(); err != nil {
		return err
	}
	t, err := resolve(*name, rf.world.world)
	if err != nil {
		return err
	}
	o := &options{mode: rf.mode, store: rf.store, world: rf.world}
	if err := o.validateMode(e.getenv); err != nil {
		return err
	}
	if o.mode == "net" && o.world.world != nil {
		return usagef("drop --world to replay in net mode, or replay this world in sim mode", "--world %s: net mode runs the built-in world only", o.world.path)
	}
	targets, err := rf.targets()
	if err != nil {
		return err
	}
	sc := rf.world.space.SeededAt(*seed, *all, targets)
	run, err := replayRun(ctx, o, t, sc)
	if err != nil && o.mode == "net" && ctx.Err() == nil {
		err = storeError(err)
	}
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "policy %s, seed %d (%s)\n", t.policy.Name(), *seed, harness.Replay{Policy: t.policy.Name(), Source: t.entry.Source, Seed: *seed, AllFaults: *all, Targets: targets, Mode: o.mode, World: rf.world.path}.Line())
	if o.mode == "net" {
		on := "the memory store"
		if o.store != "" {
			on = "Postgres" // its address stays out of the output, as out of reports
		}
		fmt.Fprintf(w, "net mode, on %s: the same scenario and fault schedule over real connections; real timing can make two replays differ\n", on)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s\n\ntimeline:\n", harness.DescribeScenario(sc))
	for i, ev := range run.History.Events {
		fmt.Fprintf(w, "  %3d %9s  %s\n", i, ev.At.Sub(harness.Epoch), ev)
	}
	violated := run.Violated()
	fmt.Fprintln(w)
	printVerdicts(w, run)
	if len(violated) == 0 {
		return nil
	}
	if focus == "" {
		focus = violated[0]
	} else if run.Result(focus).Status != invariants.Violated {
		fmt.Fprintf(w, "\n%s holds in this case; nothing to minimise for it.\n", focus)
		return errViolations
	}
	if !*noShrink && o.mode == "sim" {
		shrunk, err := harness.Shrink(ctx, t.policy, *seed, focus, &harness.ShrinkOpts{AllFaults: *all, Targets: targets, World: rf.world.world})
		if err != nil {
			return err
		}
		if shrunk != nil && shrunk.Scenario.Steps() <= sc.Steps() {
			fmt.Fprintf(w, "\nminimised for %s: %s instead of %d\n\n%s", focus, plural(shrunk.Scenario.Steps(), "step", "steps"), sc.Steps(), harness.Explain(shrunk, focus))
		}
	}
	return errViolations
}

// targets parses --target: cells of the fault model that some run can
// hit in the world (once it is loaded).
func (r *replayFlags) targets() ([]faults.Cell, error) {
	if r.target == "" {
		return nil, nil
	}
	cat := r.world.space.World()
	var cells []faults.Cell
	for _, s := range strings.Split(r.target, ",") {
		c, err := faults.ParseCell(strings.TrimSpace(s))
		if err != nil {
			return nil, usagef("copy --target from the report's replay line", "--target: %v", err)
		}
		if !faults.Reaches(cat, c.Tenant, c.Tool, c.Kind) {
			return nil, usagef("'chaosrun list tools' and 'chaosrun list tenants' name the world's; copy --target from the report's replay line",
				"--target: no %s fault can land on %s's calls of %s in world %s", c.Kind, c.Tenant, c.Tool, r.world.name())
		}
		cells = append(cells, c)
	}
	return cells, nil
}

func printVerdicts(w io.Writer, run *harness.Run) {
	for _, res := range run.Results {
		fmt.Fprintf(w, "%-26s %s", res.Invariant, res.Status)
		if res.Reason != "" {
			fmt.Fprintf(w, " (%s)", res.Reason)
		}
		fmt.Fprintln(w)
		for _, v := range res.Violations {
			at := ""
			if v.Event >= 0 {
				at = fmt.Sprintf(" [event %d]", v.Event)
			}
			fmt.Fprintf(w, "    - %s%s\n", v.Message, at)
		}
	}
}

// replayRun runs one scenario in the replay's mode.
func replayRun(ctx context.Context, o *options, t target, sc scenarios.Scenario) (*harness.Run, error) {
	if o.mode == "sim" {
		return harness.Simulate(ctx, sc, t.policy, &harness.SimOpts{World: o.world.world})
	}
	r, err := netRunner(ctx, o.store, t.ref())()
	if err != nil {
		return nil, err
	}
	defer r.(interface{ Close() error }).Close()
	return r.Run(ctx, sc, t.policy)
}
