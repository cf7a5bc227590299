package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/reports"
)

// options are the flags shared by compare and run (DESIGN section 6).
type options struct {
	policies  repeated
	runs      int
	seed      uint64
	duration  time.Duration
	mode      string
	store     string
	shardArg  string
	shard     int
	shards    int
	allFaults bool
	noShrink  bool              // counterexamples reported as found, not minimised
	outputs   map[string]string // format -> path
	quiet     bool
	wide      bool // the whole table, whatever the terminal's width
	world     worldArg
}

type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// output is a report flag: it records its path under its format.
type output struct {
	outputs map[string]string
	format  string
}

func (o output) String() string {
	if o.outputs == nil {
		return ""
	}
	return o.outputs[o.format]
}
func (o output) Set(v string) error { o.outputs[o.format] = v; return nil }

// reportFormats are the report flags, in the order reports are written.
var reportFormats = []string{"json", "markdown", "junit", "html"}

// reportUsage says what each report flag writes.
var reportUsage = map[string]string{
	"json":     "JSON report, schema chaosrun.report/v1",
	"markdown": "Markdown report (for $GITHUB_STEP_SUMMARY)",
	"junit":    "JUnit XML: a testsuite per policy, a testcase per invariant",
	"html":     "self-contained HTML report, with each counterexample's timeline",
}

// flags defines the flags of compare and run on a new flag set; their
// usage strings are what 'chaosrun help COMMAND' prints.
func (o *options) flags(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Var(&o.policies, "policy", "NAME|FILE\ta built-in policy or a policy file (repeatable)")
	o.world.define(fs)
	fs.IntVar(&o.runs, "runs", 500, "N\tscenarios per policy")
	fs.Uint64Var(&o.seed, "seed", 1, "S\tfirst seed: run i uses seed S+i")
	fs.DurationVar(&o.duration, "duration", 0, "D\trun for D (e.g. 10m) instead of --runs, the policies side by side, each for D (net mode: sharing D)")
	fs.StringVar(&o.mode, "mode", "sim", "sim|net\tsim: deterministic, in one process, on a virtual clock;\n"+
		"net: real HTTP to the tools and pgx to Postgres through Toxiproxy")
	fs.StringVar(&o.store, "store", "", "memory|DSN\tnet mode's store (default memory, or CHAOS_PG_DSN when set); on\n"+
		"Postgres the engine runs as a child process killed with SIGKILL at crashes")
	fs.StringVar(&o.shardArg, "shard", "", "i/n\trun only the i-th of n slices of the seed space (CI matrices)")
	fs.BoolVar(&o.allFaults, "all-faults", false, "enable every fault kind in every scenario (default: a random subset each)")
	fs.BoolVar(&o.noShrink, "no-shrink", false, "report each counterexample as found, without minimising it (sim mode;\n"+
		"net mode never minimises: its replay lines minimise in the simulation)")
	fs.BoolVar(&o.wide, "wide", false, "every column in one table, however wide (default: the table fits the\n"+
		"terminal, from COLUMNS or stdout's width; a pipe gets the wide table)")
	for _, f := range reportFormats {
		fs.Var(output{o.outputs, f}, f, "FILE\t"+reportUsage[f])
	}
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	expect(fs, "runs", refuseRuns)
	expect(fs, "seed", refuseSeed)
	expect(fs, "duration", refuseDuration)
	return fs
}

// refuseRuns, refuseSeed and refuseDuration say what --runs, --seed and
// --duration take, for a value that is not one.
func refuseRuns(v string) error {
	hint := "give a count of scenarios per policy, or run for a time instead with --duration, e.g. --duration 10m"
	switch {
	case digits(v):
		return usagef(hint, "--runs %s is more runs than chaosrun counts", v)
	case strings.HasPrefix(v, "-") && digits(v[1:]):
		return usagef(hint, "--runs must be positive, got %s", v)
	}
	return usagef(hint, "--runs takes a whole number of runs, such as 500, not %q", v)
}

func refuseSeed(v string) error {
	hint := "seeds start at 1"
	switch {
	case strings.HasPrefix(v, "-") && digits(v[1:]):
		return usagef(hint, "--seed must be positive, got %s", v)
	case digits(v):
		return usagef(hint+", and go up to 18446744073709551615", "--seed %s is too large", v)
	}
	return usagef(hint+"; a report's replay line names the seed of each counterexample", "--seed takes a whole number, such as 42, not %q", v)
}

func refuseDuration(v string) error {
	return usagef("units are ns, us, ms, s, m and h; 1h30m is an hour and a half", "--duration takes a Go duration such as 30s or 5m, not %q", v)
}

func parseOptions(cmd string, args []string, getenv func(string) string) (*options, error) {
	o := &options{outputs: map[string]string{}}
	fs := o.flags(cmd)
	pos, err := parseArgs(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) > 0 {
		return nil, usagef(fmt.Sprintf("policies are given with --policy; run 'chaosrun help %s'", cmd), "%s: unexpected argument %q", cmd, pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if err := o.validate(set, getenv); err != nil {
		return nil, err
	}
	for f, p := range o.outputs {
		if p == "" {
			delete(o.outputs, f)
		}
	}
	return o, o.checkOutputs()
}

// errHelp is a command's -h or --help: its help is printed, and it exits 0.
type errHelp struct{ cmd string }

func (e errHelp) Error() string { return "help requested for " + e.cmd }

// flagError is a flag set's parse error as the command reports it.
func flagError(cmd string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return errHelp{cmd}
	}
	hint := fmt.Sprintf("run 'chaosrun help %s' for its flags", cmd)
	msg := err.Error()
	if m := flagUndefined.FindStringSubmatch(msg); m != nil {
		return usagef(hint, "%s: unknown flag --%s", cmd, m[1])
	}
	if m := flagNoValue.FindStringSubmatch(msg); m != nil {
		return usagef(hint, "%s: --%s needs a value", cmd, m[1])
	}
	if m := flagNotBool.FindStringSubmatch(msg); m != nil {
		return usagef(fmt.Sprintf("write --%s alone to turn it on", m[2]), "%s: --%s is a switch: it takes true or false, not %s", cmd, m[2], m[1])
	}
	return usagef(hint, "%s: %v", cmd, err)
}

// The flag package's own messages, which name a flag with one dash and,
// for a switch, end in its parser's "parse error": flagError says them in
// the words of the rest of the command line.
var (
	flagUndefined = regexp.MustCompile(`^flag provided but not defined: -+(.+)$`)
	flagNoValue   = regexp.MustCompile(`^flag needs an argument: -+(.+)$`)
	flagNotBool   = regexp.MustCompile(`^invalid boolean value ("(?:[^"\\]|\\.)*") for -+([^:]+): `)
)

func (o *options) validate(set map[string]bool, getenv func(string) string) error {
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
	if err := o.world.load(); err != nil {
		return err
	}
	if o.mode == "net" && o.world.world != nil {
		return usagef("drop --world to run net mode, or run this world in sim mode", "--world %s: net mode runs the built-in world only", o.world.path)
	}
	if shard := o.shardArg; shard != "" {
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
// starts, so that a long run never ends without its reports. It resolves
// each path as the writing will (reports.Resolve): "-" and /dev/stdout are
// standard output, a device or a named pipe is written through, a symbolic
// link leads to its target; two flags that lead to the same place are
// refused.
func (o *options) checkOutputs() error {
	type seen struct {
		flag, place string
		st          os.FileInfo
	}
	var prev []seen
	for _, f := range reportFormats {
		p := o.outputs[f]
		if p == "" {
			continue
		}
		d, err := reports.Resolve(p)
		if err != nil {
			if err := notDirectory(f, p); err != nil {
				return err
			}
			return usagef("name a file, a device or a named pipe", "--%s %s: %v", f, p, err)
		}
		cur := seen{flag: f, place: d.Path}
		if d.Sink == reports.ToStdout {
			cur.place = "standard output"
		} else if st, err := os.Stat(d.Path); err == nil {
			cur.st = st
		}
		for _, s := range prev {
			if s.place == cur.place || s.st != nil && cur.st != nil && os.SameFile(s.st, cur.st) {
				return usagef("give each report its own file", "--%s and --%s both write %s", s.flag, f, cur.place)
			}
		}
		prev = append(prev, cur)
		if d.Sink == reports.ToFile {
			if err := probe(f, p, filepath.Dir(d.Path)); err != nil {
				return err
			}
		}
	}
	return nil
}

// notDirectory refuses a path that names a directory where a flag names a
// file to write.
func notDirectory(flag, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("name a file, not a directory", "--%s %s is a directory", flag, path)
	}
	return nil
}

// probe checks that a report can be written in dir the way it will be (a
// file beside its target, then renamed), so that a long run never ends
// unwritten.
func probe(flag, path, dir string) error {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("create the directory first", "--%s %s: directory %s does not exist", flag, path, dir)
	}
	f, err := os.CreateTemp(dir, ".chaosrun-probe-*")
	if err != nil {
		return usagef("make the directory writable, or name a file elsewhere", "--%s %s: cannot write in %s: %v", flag, path, dir, errors.Unwrap(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// toStdout reports whether a report is written on standard output; the
// summary then goes to stderr, so that stdout carries the report alone.
func (o *options) toStdout() bool {
	for _, p := range o.outputs {
		if d, err := reports.Resolve(p); err == nil && d.Sink == reports.ToStdout {
			return true
		}
	}
	return false
}

// writeReports writes every requested report, all or none (reports.WriteAll).
func (e *env) writeReports(ctx context.Context, o *options, rep *reports.Report) error {
	var outs []reports.Output
	for _, f := range reportFormats {
		if p := o.outputs[f]; p != "" {
			outs = append(outs, reports.Output{Path: p, Render: renderers[f]})
		}
	}
	err := reports.WriteAll(ctx, rep, e.stdout, outs...)
	if err == nil || ctx.Err() != nil {
		return err
	}
	return usagef("check the path's permissions and free space, then run again", "%v; no report written", err)
}

// forSummary is the env the summary prints to: stderr stands in for stdout
// when a report took stdout.
func (e *env) forSummary(o *options) *env {
	if !o.toStdout() {
		return e
	}
	s := *e
	s.stdout = e.stderr
	return &s
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

// storeError gives a Postgres failure of net mode the hint that fixes it:
// a server that does not answer, a host that does not resolve, a password
// or role the server refuses, a database that does not exist, a user that
// may not create databases. Other errors pass unchanged.
func storeError(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.Join(strings.Fields(err.Error()), " ")
	var pg *pgconn.PgError
	var dns *net.DNSError
	switch {
	case errors.As(err, &pg):
		if hint, ok := postgresHints[pg.Code]; ok {
			return usagef(hint, "%s", msg)
		}
		return usagef("the server's message above names the problem; --store memory runs net mode without Postgres", "%s", msg)
	case errors.As(err, &dns):
		return usagef(fmt.Sprintf("check the host name %s in --store or CHAOS_PG_DSN", dns.Name), "%s", msg)
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, netrig.ErrPostgresUnreachable):
		return usagef("start Postgres (pg_isready says whether it answers), or point --store or CHAOS_PG_DSN at one that runs; --store memory runs net mode without it", "%s", msg)
	}
	return err
}

// postgresHints are the fixes of what a server refuses at connection or
// database creation, by SQLSTATE.
var postgresHints = map[string]string{
	"28P01": "the server refused the password: correct it in --store or CHAOS_PG_DSN (or in ~/.pgpass)",
	"28000": "the server refused the role: name a role that exists and may connect (pg_hba.conf) in the DSN, or create it (createuser --createdb NAME)",
	"3D000": "the DSN names a database that does not exist: name one that does (postgres always does); chaosrun creates its throwaway databases beside it",
	"42501": "the DSN's user may not create databases: ALTER ROLE ... CREATEDB, or use a user that may",
	"53300": "the server has no connection left: close other clients, or raise max_connections",
}
