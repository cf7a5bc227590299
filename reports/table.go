package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Short column labels for the terminal table, in contract order.
var shortNames = map[invariants.ID]string{
	"no-duplicate-side-effects": "dup", "no-lost-effects": "lost", "no-poisoned-context-reads": "poison",
	"tenant-isolation": "iso", "tenant-contract-honored": "contract", "resume-from-checkpoint": "resume",
	"no-orchestrator-retry": "orch", "no-orphaned-side-effects": "orphan", "reconciliation-complete": "recon",
	"terminal-state": "term",
}

// Short returns the table label of an invariant.
func Short(id invariants.ID) string {
	if s, ok := shortNames[id]; ok {
		return s
	}
	return string(id)
}

// Table renders the report as a terminal table: policies in rows, the
// runs violating each invariant in columns (a mistake's expected invariants
// marked with *), then what the work became and what it cost, and a legend
// of the column labels.
func Table(w io.Writer, r *Report) error {
	header := []string{"policy", "runs"}
	for _, id := range r.Invariants {
		header = append(header, Short(id))
	}
	header = append(header, "completed", "dead-lettered", "compensated", "dup charges", "dup cost", "wasted tokens", "verdict")
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignRight
	}
	align[0], align[len(align)-1] = tw.AlignLeft, tw.AlignLeft
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignRight, PerColumn: align}),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
	)
	t.Header(header)
	for _, p := range r.Policies {
		if err := t.Append(tableRow(r, p)); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	var legend []string
	for _, id := range r.Invariants {
		legend = append(legend, Short(id)+"="+string(id))
	}
	_, err := fmt.Fprintf(w, "Cells count runs that violated the invariant (· none, ?N undecided in N runs); * marks what the mistake must break.\n%s\n", strings.Join(legend, "  "))
	return err
}

func tableRow(r *Report, p Policy) []string {
	row := []string{p.Name, strconv.Itoa(p.Runs)}
	for _, id := range r.Invariants {
		cell := "·"
		switch n, u := p.Violations[id], p.Unknown[id]; {
		case n > 0:
			cell = strconv.Itoa(n)
		case u > 0:
			cell = "?" + strconv.Itoa(u)
		}
		if p.Expected(id) {
			cell += "*"
		}
		row = append(row, cell)
	}
	return append(row,
		percent(p.Executions.CompletionRate()),
		strconv.Itoa(p.Executions.DeadLettered),
		strconv.Itoa(p.Executions.Compensated),
		money(p.Cost.DuplicateChargesCents),
		money(p.Cost.DuplicateCostCents),
		strconv.Itoa(p.Cost.LLMTokensWasted),
		Verdict(p),
	)
}
