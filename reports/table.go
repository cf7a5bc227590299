package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Short column labels for the terminal table, in contract order.
var shortNames = map[string]string{
	"no-duplicate-side-effects": "dup", "no-lost-effects": "lost", "no-poisoned-context-reads": "poison",
	"tenant-isolation": "iso", "tenant-contract-honored": "contract", "resume-from-checkpoint": "resume",
	"no-orchestrator-retry": "orch", "no-orphaned-side-effects": "orphan", "reconciliation-complete": "recon",
	"terminal-state": "term",
}

// Short returns the table label of an invariant.
func Short(id string) string {
	if s, ok := shortNames[id]; ok {
		return s
	}
	return id
}

// Table renders the report as a terminal table: policies in rows, the
// runs violating each invariant in columns (a mistake's expected invariants
// marked with *), then what the work became and what it cost.
func Table(w io.Writer, r *Report) error {
	header := []string{"policy", "runs"}
	for _, id := range r.Invariants {
		header = append(header, Short(id))
	}
	header = append(header, "completed", "dead-lettered", "compensated", "dup charges", "wasted tokens", "verdict")
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignment(tw.AlignRight),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
	)
	t.Header(header)
	for _, p := range r.Policies {
		row := []string{p.Name, strconv.Itoa(p.Runs)}
		for _, id := range r.Invariants {
			cell := strconv.Itoa(p.Violations[id])
			if p.Violations[id] == 0 {
				cell = "·"
			}
			if contains(p.CaughtBy, id) {
				cell += "*"
			}
			row = append(row, cell)
		}
		row = append(row,
			fmt.Sprintf("%.1f%%", 100*p.Executions.CompletionRate()),
			strconv.Itoa(p.Executions.DeadLettered),
			strconv.Itoa(p.Executions.Compensated),
			money(p.Cost.DuplicateChargesCents),
			strconv.Itoa(p.Cost.LLMTokensWasted),
			Verdict(p),
		)
		if err := t.Append(row); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	var legend []string
	for _, id := range r.Invariants {
		legend = append(legend, Short(id)+"="+id)
	}
	_, err := fmt.Fprintf(w, "Cells count runs that violated the invariant; * marks what the mistake must break.\n%s\n", strings.Join(legend, "  "))
	return err
}

// Verdict says, in a word or two, what the exploration concluded.
func Verdict(p Policy) string {
	switch {
	case len(p.CaughtBy) > 0 && caughtAll(p):
		return "caught"
	case len(p.CaughtBy) > 0:
		return "NOT caught"
	case p.Violated():
		return "UNSAFE"
	case len(p.Unknown) > 0:
		return "undecided"
	}
	return "clean"
}

func caughtAll(p Policy) bool {
	for _, id := range p.CaughtBy {
		if p.Violations[id] == 0 {
			return false
		}
	}
	return true
}

func money(cents int) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
