package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reports"
)

// renderers are the report formats by flag name.
var renderers = map[string]func(io.Writer, *reports.Report) error{
	"json":     reports.JSON,
	"markdown": reports.Markdown,
	"junit":    reports.JUnit,
	"html":     reports.HTML,
}

// shrinkTime bounds the minimisation of one counterexample. Minimising
// takes well under a second here; the bound only stops a pathological
// case. A report of one seed is the same from run to run, and the merge of
// its shards equals it, only while every minimisation finishes within the
// bound, so it is generous: a loaded CI machine runs many times slower.
const shrinkTime = 60 * time.Second

// compare is both `compare` (the catalog and every --policy; exit 0) and,
// with gate, `run` (the named policies only; exit 1 on any violation).
func (e *env) compare(ctx context.Context, args []string, gate bool) error {
	cmd := map[bool]string{false: "compare", true: "run"}[gate]
	o, err := parseOptions(cmd, args, e.getenv)
	if err != nil {
		return err
	}
	var targets []target
	if !gate {
		for _, c := range policies.Catalog() {
			targets = append(targets, builtin(c))
		}
	}
	for _, arg := range o.policies {
		t, err := resolve(arg, o.world.world)
		if err != nil {
			return err
		}
		targets = append(targets, t)
	}
	if err := distinct(targets, !gate); err != nil {
		return err
	}
	if len(targets) == 0 {
		return usagef("e.g. chaosrun run --policy policies/reference.yaml", "run needs at least one --policy")
	}
	setup := reports.Setup{Mode: o.mode, Seed: o.seed, Runs: o.runs, Shard: o.shard, Shards: o.shards,
		Store: storeKind(o), World: o.world.name(), WorldFile: o.world.path, Version: strings.TrimPrefix(version(), "chaosrun ")}
	if o.duration > 0 {
		setup.Runs = 0 // each policy's own count is in its row
	}
	rep := reports.New(setup)
	runs := rep.RunsPerPolicy
	bar := e.progress(o, len(targets), runs)
	start := time.Now()
	sums, err := explore(ctx, cmd, o, targets, runs, bar)
	if err != nil {
		bar.done()
		return err
	}
	for i, t := range targets {
		t.entry.AllFaults = o.allFaults
		rep.Add(sums[i], t.entry)
	}
	bar.done()
	if err := e.writeReports(ctx, o, rep); err != nil {
		return err
	}
	if !o.quiet {
		if err := e.forSummary(o).summary(rep, o.wide, time.Since(start)); err != nil {
			return err
		}
	}
	thin := gate && e.inconclusive(rep)
	if gate {
		for _, p := range rep.Policies {
			if p.Violated() {
				return errViolations
			}
		}
	}
	if err := runErrors(sums); err != nil {
		return err
	}
	if thin {
		return errInconclusive
	}
	return nil
}

// stderrCells is how many missing cells the gate names on stderr; the
// reports list them all.
const stderrCells = 40

// inconclusive says on stderr, even with --quiet, which policies violated
// nothing on thin evidence, and why — the reachable cells no fault
// reached, the invariants left undecided — and reports whether there are
// any: the gate exits 3 on them (1 wins, for a violation). Compare's table
// says the same on stdout, and it exits 0.
func (e *env) inconclusive(rep *reports.Report) bool {
	thin := false
	for _, p := range rep.Policies {
		if !p.Inconclusive() {
			continue
		}
		thin = true
		fmt.Fprintf(e.stderr, "chaosrun: inconclusive: %s\n", reports.Inconclusiveness(p, rep.Invariants))
		if m := p.Missing(); len(m) > 0 {
			more := ""
			if len(m) > stderrCells {
				m, more = m[:stderrCells], fmt.Sprintf(" (and %d more: the reports list them all)", len(m)-stderrCells)
			}
			fmt.Fprintf(e.stderr, "  never received a fault: %s%s\n", strings.Join(m, " "), more)
		}
	}
	if thin {
		fmt.Fprintln(e.stderr, "hint: give it more runs (--runs, --duration): the second half of them is aimed at the cells the first half left without a fault")
	}
	return thin
}

// explore explores every target's policy. In the simulation the policies
// explore side by side (each on every core, its counterexamples minimised
// while the others still run), each for the whole --duration; net mode
// runs one policy at a time, each with its rigs, sharing --duration. The
// summaries are in target order, and do not depend on the order the
// explorations end in.
func explore(ctx context.Context, cmd string, o *options, targets []target, runs int, bar *bar) ([]*harness.Summary, error) {
	sums := make([]*harness.Summary, len(targets))
	errs := make([]error, len(targets))
	one := func(i int) {
		t := targets[i]
		track := bar.policy(i, t.policy.Name())
		opts := &harness.ExploreOpts{World: o.world.world, Runs: runs, TotalRuns: o.runs, Seed: o.seed, Shard: o.shard, Shards: o.shards, AllFaults: o.allFaults,
			Progress: track.step, Shrinking: track.shrinking, Shrunk: track.shrunk, ShrinkTime: shrinkTime, Duration: o.duration, NoShrink: o.noShrink}
		if o.mode == "net" {
			opts.NewRunner, opts.NoShrink, opts.Workers = netRunner(ctx, o.store, t.ref()), true, netWorkers
			if o.duration > 0 {
				opts.Duration = o.duration / time.Duration(len(targets))
			}
		}
		s, err := harness.Explore(ctx, t.policy, opts)
		if err == nil && s.Runs == 0 && len(s.Errors) == 0 {
			err = usagef("give --duration more time",
				"%s: no run of %s finished within %s, so there is nothing to report", cmd, t.policy.Name(), opts.Duration)
		}
		if err != nil && o.mode == "net" && ctx.Err() == nil {
			err = storeError(err)
		}
		sums[i], errs[i] = s, err
	}
	if o.mode == "net" {
		for i := range targets {
			if one(i); errs[i] != nil {
				return nil, errs[i]
			}
		}
		return sums, nil
	}
	var wg sync.WaitGroup
	for i := range targets {
		wg.Go(func() { one(i) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return sums, nil
}

// table prints the table, fitted to the terminal, and for each policy that
// broke an invariant its first counterexample's replay line.
func (e *env) table(rep *reports.Report, wide bool) error {
	return reports.Terminal(e.stdout, rep, &reports.TerminalOptions{Width: e.columns(wide)})
}

// columns is the width the table must fit: none with --wide; else COLUMNS
// when it is set; else the width of the terminal on stdout; else none (a
// pipe or a file gets the wide table, as a CI log does).
func (e *env) columns(wide bool) int {
	if wide {
		return 0
	}
	if n, err := strconv.Atoi(e.getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if f, ok := e.stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
			return w
		}
	}
	return 0
}

// storeKind names the kind of store the engine runs on, for the reports:
// never the address, which may hold a password.
func storeKind(o *options) string {
	if o.mode == "net" && o.store != "" {
		return "postgres"
	}
	return "memory"
}

// summary prints the table, the replay lines and how long it took.
func (e *env) summary(rep *reports.Report, wide bool, took time.Duration) error {
	if err := e.table(rep, wide); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s, %s, in %s\n", plural(len(rep.Policies), "policy", "policies"), reports.RunsEach(rep), took.Round(time.Millisecond))
	return nil
}
