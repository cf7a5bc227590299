package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reports"
)

// Exit statuses.
const (
	exitOK         = 0
	exitViolations = 1
	exitUsage      = 2
)

// usageError is bad usage or bad input: one line with the cause and a hint.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

const helpText = `chaosrun — chaos testing for AI-agent retry setups

Usage:
  chaosrun                      same as 'chaosrun compare'
  chaosrun compare [flags]      the catalog (reference + seven mistakes) and every --policy
  chaosrun help                 this text

Flags:
  --policy NAME    a built-in policy (repeatable)
  --runs N         scenarios per policy (default 500)
  --seed S         first seed (default 1)
  --json FILE      write the JSON report (schema chaosrun.report/v1)
  --quiet          print nothing but errors
`

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cmd, rest := "compare", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "compare":
		err = compare(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, helpText)
		return exitOK
	default:
		err = usagef("run 'chaosrun help' for the commands", "unknown command %q", cmd)
	}
	return report(err, stderr)
}

func report(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errViolations):
		return exitViolations
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "chaosrun: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(stderr, "hint: %s\n", ue.hint)
		}
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitUsage
	}
	fmt.Fprintf(stderr, "chaosrun: %v\n", err)
	return exitUsage
}

var errViolations = errors.New("violations found")

type policyFlags []string

func (p *policyFlags) String() string     { return strings.Join(*p, ",") }
func (p *policyFlags) Set(v string) error { *p = append(*p, v); return nil }

func compare(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var named policyFlags
	fs.Var(&named, "policy", "")
	runs := fs.Int("runs", 500, "")
	seed := fs.Uint64("seed", 1, "")
	jsonOut := fs.String("json", "", "")
	quiet := fs.Bool("quiet", false, "")
	if err := fs.Parse(args); err != nil {
		return usagef("run 'chaosrun help'", "compare: %v", err)
	}
	if *runs <= 0 {
		return usagef("use --runs 1 or more", "--runs must be positive, got %d", *runs)
	}
	entries := policies.Catalog()
	for _, name := range named {
		e, err := policies.Lookup(name)
		if err != nil {
			return usagef("run 'chaosrun help' for the built-in policies", "%v", err)
		}
		entries = append(entries, e)
	}
	rep := reports.New("sim", *seed, *runs)
	start := time.Now()
	for _, e := range entries {
		s, err := harness.Explore(ctx, e.Go(), &harness.ExploreOptions{Runs: *runs, Seed: *seed})
		if err != nil {
			return err
		}
		rep.Add(s, reports.Entry{Source: "builtin", Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy})
	}
	if *jsonOut != "" {
		if err := reports.WriteFile(*jsonOut, rep, reports.JSON); err != nil {
			return err
		}
	}
	if *quiet {
		return nil
	}
	if err := reports.Table(stdout, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d policies x %d runs in %s\n", len(entries), *runs, time.Since(start).Round(time.Millisecond))
	return nil
}
