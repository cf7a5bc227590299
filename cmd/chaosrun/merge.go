package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/chaosrun/chaosrun/reports"
)

// maxReport bounds a shard report read by merge: the JSON of a thousand
// policies is a few megabytes.
const maxReport = 64 << 20

// merge reads the JSON reports of shards and writes the one report of
// them all (DESIGN section 9): the table on stdout, and whatever report
// flags ask for.
func (e *env) merge(ctx context.Context, args []string) error {
	o := &options{outputs: map[string]string{}}
	paths, err := parseArgs("merge", o.mergeFlags(), args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("e.g. chaosrun merge shard-1.json shard-2.json --markdown all.md", "merge needs the JSON reports of the shards")
	}
	for f, p := range o.outputs {
		if p == "" {
			delete(o.outputs, f)
		}
	}
	if err := o.checkOutputs(); err != nil {
		return err
	}
	var parts []reports.Part
	for _, p := range paths {
		r, err := readReport(p)
		if err != nil {
			return err
		}
		parts = append(parts, reports.Part{Name: p, Report: r})
	}
	rep, err := reports.Merge(parts)
	var me *reports.MergeError
	if errors.As(err, &me) {
		return usagef(me.Hint, "merge: %s", me.Problem)
	}
	if err != nil {
		return err
	}
	if err := e.writeReports(ctx, o, rep); err != nil {
		return err
	}
	e = e.forSummary(o)
	if !rep.Shard.Whole() {
		fmt.Fprintf(e.stderr, "chaosrun: warning: the reports cover shard %s only; merge the missing shards' reports for the whole run\n", rep.Shard)
	}
	if o.quiet {
		return nil
	}
	if err := e.table(rep, o.wide); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "merged %d reports: %s, %s, seeds %s\n", len(parts), plural(len(rep.Policies), "policy", "policies"), reports.RunsEach(rep), reports.SeedsText(rep))
	return nil
}

// mergeFlags defines merge's flags: the report flags, --quiet and --wide.
func (o *options) mergeFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range reportFormats {
		fs.Var(output{o.outputs, f}, f, "FILE\t"+reportUsage[f])
	}
	fs.BoolVar(&o.quiet, "quiet", false, "print nothing but errors")
	fs.BoolVar(&o.wide, "wide", false, "every column in one table, however wide")
	return fs
}

// readReport reads one shard report: a regular file of at most maxReport
// bytes holding a chaosrun.report/v1 JSON report.
func readReport(path string) (*reports.Report, error) {
	hint := "name the JSON reports the shards wrote with --json"
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, usagef(hint, "merge: %v", err)
	case !st.Mode().IsRegular():
		return nil, usagef(hint, "merge: %s is not a regular file", path)
	case st.Size() > maxReport:
		return nil, usagef(hint, "merge: %s is %d bytes, more than a report's %d", path, st.Size(), maxReport)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef(hint, "merge: %v", err)
	}
	defer f.Close()
	r, err := reports.ReadJSON(io.LimitReader(f, maxReport))
	if err != nil {
		return nil, usagef("merge reads the JSON reports (--json) that chaosrun run or compare wrote; rerun shards written by an older chaosrun", "merge: %s: %v", path, err)
	}
	return r, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
