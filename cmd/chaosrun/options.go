package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// options are the flags shared by compare and run (DESIGN section 6).
type options struct {
	policies  []string
	runs      int
	seed      uint64
	duration  time.Duration
	mode      string
	store     string
	shard     int
	shards    int
	allFaults bool
	outputs   map[string]string // format -> path
	quiet     bool
	wide      bool // the whole table, whatever the terminal's width
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// reportFormats are the report flags, in the order reports are written.
var reportFormats = []string{"json", "markdown", "junit", "html"}

func parseOptions(cmd string, args []string, getenv func(string) string) (*options, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := &options{outputs: map[string]string{}}
	var pols repeated
	var shard string
	fs.Var(&pols, "policy", "")
	fs.IntVar(&o.runs, "runs", 500, "")
	fs.Uint64Var(&o.seed, "seed", 1, "")
	fs.DurationVar(&o.duration, "duration", 0, "")
	fs.StringVar(&o.mode, "mode", "sim", "")
	fs.StringVar(&o.store, "store", "", "")
	fs.StringVar(&shard, "shard", "", "")
	fs.BoolVar(&o.allFaults, "all-faults", false, "")
	fs.BoolVar(&o.quiet, "quiet", false, "")
	fs.BoolVar(&o.wide, "wide", false, "")
	outs := map[string]*string{}
	for _, f := range reportFormats {
		outs[f] = fs.String(f, "", "")
	}
	if err := fs.Parse(args); err != nil {
		return nil, usagef(fmt.Sprintf("run 'chaosrun help %s' for its flags", cmd), "%s: %v", cmd, err)
	}
	if fs.NArg() > 0 {
		return nil, usagef(fmt.Sprintf("policies are given with --policy; run 'chaosrun help %s'", cmd), "%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	o.policies = pols
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.validate(set, shard, getenv); err != nil {
		return nil, err
	}
	for f, p := range outs {
		if *p != "" {
			o.outputs[f] = *p
		}
	}
	return o, o.checkOutputs()
}

func (o *options) validate(set map[string]bool, shard string, getenv func(string) string) error {
	switch {
	case o.runs <= 0:
		return usagef("use --runs 1 or more", "--runs must be positive, got %d", o.runs)
	case set["duration"] && o.duration <= 0:
		return usagef("use e.g. --duration 10m", "--duration must be positive, got %s", o.duration)
	case set["duration"] && set["runs"]:
		return usagef("keep one of them", "--runs and --duration both say when to stop")
	case set["seed"] && o.seed == 0:
		return usagef("seeds start at 1", "--seed must be positive")
	}
	if err := o.validateMode(getenv); err != nil {
		return err
	}
	if shard != "" {
		i, n, err := parseShard(shard)
		if err != nil {
			return err
		}
		o.shard, o.shards = i, n
		if !set["duration"] && shardRuns(o.runs, i, n) == 0 {
			return usagef(fmt.Sprintf("use --runs %d or more, or fewer shards", i),
				"--shard %s gets none of --runs %d: shard i takes runs i, i+n, i+2n, ...", shard, o.runs)
		}
	} else {
		o.shard, o.shards = 1, 1
	}
	return nil
}

// validateMode checks --mode and --store, reading CHAOS_PG_DSN in net mode.
func (o *options) validateMode(getenv func(string) string) error {
	switch o.mode {
	case "sim":
		if o.store != "" && o.store != "memory" {
			return usagef("drop --store, or use --mode net", "--store %s: sim mode always runs on the in-memory store", redact(o.store))
		}
	case "net":
		if o.store == "" {
			o.store = getenv("CHAOS_PG_DSN")
		}
		if o.store == "memory" {
			o.store = ""
		}
		if o.store != "" && !strings.HasPrefix(o.store, "postgres://") && !strings.HasPrefix(o.store, "postgresql://") {
			return usagef("use --store memory or --store postgres://user@host:5432/db", "--store %s is neither memory nor a Postgres URL", redact(o.store))
		}
	default:
		return usagef("use --mode sim or --mode net", "unknown mode %q", o.mode)
	}
	return nil
}

func parseShard(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, usagef("write it as i/n with 1 <= i <= n, e.g. --shard 2/4", "bad --shard %q", s)
	}
	return i, n, nil
}

// checkOutputs refuses report paths that cannot be written before any work
// starts, so that a long run never ends without its reports.
func (o *options) checkOutputs() error {
	seen := map[string]string{}
	for _, f := range reportFormats {
		p := o.outputs[f]
		if p == "" {
			continue
		}
		if prev, dup := seen[p]; dup {
			return usagef("give each report its own file", "--%s and --%s both write %s", prev, f, p)
		}
		seen[p] = f
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return usagef("name a file, not a directory", "--%s %s is a directory", f, p)
		}
		dir := filepath.Dir(p)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("create the directory first", "--%s %s: directory %s does not exist", f, p, dir)
		}
		// Probe the directory the way the report will be written (a file
		// beside it, then renamed), so that a long run never ends unwritten.
		probe, err := os.CreateTemp(dir, ".chaosrun-probe-*")
		if err != nil {
			return usagef("make the directory writable, or write the report elsewhere", "--%s %s: cannot write in %s: %v", f, p, dir, errors.Unwrap(err))
		}
		probe.Close()
		os.Remove(probe.Name())
	}
	return nil
}

// shardRuns is how many of the first total runs fall in shard i of n.
func shardRuns(total, i, n int) int {
	if total < i {
		return 0
	}
	return (total-i)/n + 1
}

// redact hides a password in a DSN.
func redact(dsn string) string {
	if at := strings.Index(dsn, "@"); at > 0 {
		if c := strings.LastIndex(dsn[:at], ":"); c > strings.Index(dsn, "://")+2 {
			return dsn[:c] + ":***" + dsn[at:]
		}
	}
	return dsn
}
