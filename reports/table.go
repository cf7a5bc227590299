package reports

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/pkg/twwarp"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// The terminal table fits the terminal. Every column in one table is about
// 200 columns wide; on a narrower terminal it would wrap into a mess, so
// there are layouts for narrower ones, tried from the widest down, the
// first that fits chosen:
//
//   - wide: every column, the invariants under their short names (what
//     --wide prints, and what a pipe gets);
//   - full: the same with compact invariant labels (about 200 columns);
//   - 120: the matrix of policies and invariants, then what the work became
//     and cost in a table apart;
//   - 80: the same, borderless, with two-letter invariant labels, the runs
//     moved to the cost table and its headers on two lines.
//
// Policy names longer than the room left are folded at their hyphens (to
// no less than 8 columns), so that no line of the 80-column layout exceeds
// the width as long as the count columns fit: about 72 columns for counts
// in the thousands. Widths are display widths (twwidth), not bytes.
// Legends and sentences are wrapped to the width; a replay line is never
// broken, so that it copies whole.

// Short column labels for the wide table, in contract order.
var shortNames = map[invariants.ID]string{
	"no-duplicate-side-effects": "dup", "no-lost-effects": "lost", "no-poisoned-context-reads": "poison",
	"tenant-isolation": "iso", "tenant-contract-honored": "contract", "resume-from-checkpoint": "resume",
	"no-orchestrator-retry": "orch", "no-orphaned-side-effects": "orphan", "reconciliation-complete": "recon",
	"terminal-state": "term", "retry-after-honored": "retry-after",
}

// compactNames label the invariants in the full and 120-column layouts,
// tinyNames in the 80-column one.
var (
	compactNames = map[invariants.ID]string{
		"no-duplicate-side-effects": "dup", "no-lost-effects": "lost", "no-poisoned-context-reads": "pois",
		"tenant-isolation": "iso", "tenant-contract-honored": "ctr", "resume-from-checkpoint": "res",
		"no-orchestrator-retry": "orch", "no-orphaned-side-effects": "orph", "reconciliation-complete": "rec",
		"terminal-state": "term", "retry-after-honored": "wait",
	}
	tinyNames = map[invariants.ID]string{
		"no-duplicate-side-effects": "du", "no-lost-effects": "lo", "no-poisoned-context-reads": "po",
		"tenant-isolation": "is", "tenant-contract-honored": "co", "resume-from-checkpoint": "rs",
		"no-orchestrator-retry": "or", "no-orphaned-side-effects": "op", "reconciliation-complete": "rc",
		"terminal-state": "te", "retry-after-honored": "ra",
	}
)

// Short returns the table label of an invariant.
func Short(id invariants.ID) string { return label(shortNames, id) }

func label(names map[invariants.ID]string, id invariants.ID) string {
	if s, ok := names[id]; ok {
		return s
	}
	return string(id)
}

const (
	cellsNote = "Cells count runs that violated the invariant (· none, ?N undecided in N runs); * marks what the mistake must break."
	moneyNote = "Work and cost are of the swarm runs. dup charges: money a charging tool took twice from a customer, who gets it back only by a refund; dup cost: other paid calls made again, paid by you."
)

// TerminalOptions configure what the terminal shows. The zero value means
// no width limit: the wide table, and each first failure on one line.
type TerminalOptions struct {
	// Width is the terminal's width in columns.
	Width int
}

// Table renders the report as the wide terminal table: policies in rows,
// the runs violating each invariant in columns (a mistake's expected
// invariants marked with *), then what the work became and what it cost,
// and a legend of the column labels.
func Table(w io.Writer, r *Report) error {
	return renderLayout(w, r, layouts[0], 0)
}

// Terminal renders what the CLI prints: the table in the widest layout
// that fits o.Width, its legends, and each violating policy's first
// counterexample with the line that replays it.
func Terminal(w io.Writer, r *Report, o *TerminalOptions) error {
	width := 0
	if o != nil {
		width = o.Width
	}
	if err := fitTable(w, r, width); err != nil {
		return err
	}
	if err := firstFailures(w, r, width); err != nil {
		return err
	}
	var thin []string
	for _, p := range r.Policies {
		if s := Inconclusiveness(p, r.Invariants); s != "" {
			thin = append(thin, s+".")
		}
	}
	writeLines(w, thin, width)
	return nil
}

// tableLayout is one way of laying the table out.
type tableLayout struct {
	names map[invariants.ID]string
	// apart puts the work and cost in a table of their own.
	apart bool
	// bare drops the box: columns separated by one space, a rule under the header.
	bare bool
}

var layouts = []tableLayout{
	{names: shortNames},
	{names: compactNames},
	{names: compactNames, apart: true},
	{names: tinyNames, apart: true, bare: true},
}

// fitTable renders the first layout whose every line fits the width,
// folding policy names in the last one if nothing else fits.
func fitTable(w io.Writer, r *Report, width int) error {
	if width <= 0 {
		return renderLayout(w, r, layouts[0], 0)
	}
	for _, l := range layouts[:len(layouts)-1] {
		var b bytes.Buffer
		if err := renderLayout(&b, r, l, width); err != nil {
			return err
		}
		if widest(b.String()) <= width {
			_, err := w.Write(b.Bytes())
			return err
		}
	}
	return renderLayout(w, r, layouts[len(layouts)-1], width)
}

// renderLayout renders the tables of a layout and their legends, wrapped
// to width (0: not wrapped), policy names folded to fit it in a bare layout.
func renderLayout(w io.Writer, r *Report, l tableLayout, width int) error {
	var b bytes.Buffer
	matrix, cost := l.tables(r)
	if err := matrix.render(&b, l, width); err != nil {
		return err
	}
	legend := []string{cellsNote}
	var labels []string
	for _, id := range r.Invariants {
		labels = append(labels, label(l.names, id)+"="+string(id))
	}
	legend = append(legend, strings.Join(labels, "  "))
	if cost != nil {
		legend = append(legend, "")
		writeLines(&b, legend, width)
		if err := cost.render(&b, l, width); err != nil {
			return err
		}
		legend = nil
	}
	legend = append(legend, moneyNote)
	if c := CoverageLine(r); c != "" {
		legend = append(legend, c)
	}
	writeLines(&b, legend, width)
	_, err := w.Write(b.Bytes())
	return err
}

// CoverageLine says, on one line, how many of the reachable cells of the
// fault model each policy's runs put a fault in: "" when the report judges
// no coverage (net mode).
func CoverageLine(r *Report) string {
	var parts []string
	for _, p := range r.Policies {
		if c := p.Coverage; c != nil {
			parts = append(parts, fmt.Sprintf("%s %d/%d", p.Name, c.Hit, c.Reachable))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "cells (tenant x tool x phase x fault kind) that received a fault, of those reachable: " + strings.Join(parts, ", ") + "."
}

// grid is one table: header lines, rows, and which columns align left.
type grid struct {
	header [][]string // one or two header lines
	rows   [][]string
	left   map[int]bool
}

// tables lays out the report's rows: one table, or the matrix and the cost apart.
func (l tableLayout) tables(r *Report) (matrix grid, cost *grid) {
	matrix = grid{left: map[int]bool{0: true}}
	head := []string{"policy"}
	if !l.bare {
		head = append(head, "runs")
	}
	for _, id := range r.Invariants {
		head = append(head, label(l.names, id))
	}
	costHead := []string{"completed", "dead-lettered", "compensated", "dup charges", "dup cost", "wasted tokens"}
	if !l.apart {
		head = append(head, costHead...)
	}
	head = append(head, "verdict")
	matrix.header = [][]string{head}
	matrix.left[len(head)-1] = true
	for _, p := range r.Policies {
		row := []string{p.Name}
		if !l.bare {
			row = append(row, strconv.Itoa(p.Runs))
		}
		row = append(row, cells(r, p)...)
		if !l.apart {
			row = append(row, costCells(p)...)
		}
		matrix.rows = append(matrix.rows, append(row, Verdict(p)))
	}
	if !l.apart {
		return matrix, nil
	}
	cost = &grid{left: map[int]bool{0: true}, header: [][]string{append([]string{"policy"}, costHead...)}}
	if l.bare {
		cost.header = [][]string{
			{"", "", "", "dead-", "compen-", "dup", "dup", "wasted"},
			{"policy", "runs", "completed", "lettered", "sated", "charges", "cost", "tokens"},
		}
	}
	for _, p := range r.Policies {
		row := []string{p.Name}
		if l.bare {
			row = append(row, strconv.Itoa(p.Runs))
		}
		cost.rows = append(cost.rows, append(row, costCells(p)...))
	}
	return matrix, cost
}

// cells are a policy's counts, one per invariant.
func cells(r *Report, p Policy) []string {
	var out []string
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
		out = append(out, cell)
	}
	return out
}

// costCells are what a policy's work became and what it cost.
func costCells(p Policy) []string {
	return []string{
		percent(p.Executions.CompletionRate()),
		strconv.Itoa(p.Executions.DeadLettered),
		strconv.Itoa(p.Executions.Compensated),
		money(p.Cost.DuplicateChargesCents),
		money(p.Cost.DuplicateCostCents),
		strconv.Itoa(p.Cost.LLMTokensWasted),
	}
}

// render draws the grid with tablewriter, folding the policy names of a
// bare layout to what the width leaves them.
func (g grid) render(w io.Writer, l tableLayout, width int) error {
	rows := g.rows
	if l.bare && width > 0 {
		rows = g.folded(width)
	}
	align := make([]tw.Align, len(g.header[0]))
	for i := range align {
		align[i] = tw.AlignRight
		if g.left[i] {
			align[i] = tw.AlignLeft
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignRight, PerColumn: align}),
		tablewriter.WithHeaderAlignment(tw.AlignCenter),
	}
	if l.bare {
		opts = append(opts,
			tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
				Borders: tw.BorderNone,
				Symbols: tw.NewSymbols(tw.StyleLight),
				Settings: tw.Settings{
					Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
					Lines:      tw.Lines{ShowHeaderLine: tw.On},
				},
			})),
			tablewriter.WithPadding(tw.Padding{Left: "", Right: " ", Overwrite: true}),
			tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignRight, PerColumn: align}),
		)
	}
	var b bytes.Buffer
	t := tablewriter.NewTable(&b, opts...)
	header := g.header[0]
	if len(g.header) > 1 {
		header = make([]string, len(g.header[0]))
		for i := range header {
			header[i] = g.header[0][i] + "\n" + g.header[1][i]
		}
	}
	t.Header(header)
	for _, row := range rows {
		if err := t.Append(row); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	// A bare table's lines end in padding, trimmed here; its rule spans
	// the padding too, and is cut to the widest line.
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	text := 0
	for i, line := range lines {
		lines[i] = strings.TrimRight(line, " ")
		if strings.Trim(lines[i], "─") != "" {
			text = max(text, twwidth.Width(lines[i]))
		}
	}
	for _, line := range lines {
		if strings.Trim(line, "─") == "" {
			line = strings.Repeat("─", min(twwidth.Width(line), text))
		}
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// folded returns the rows with policy names folded at hyphens so that the
// bare table fits the width: one space between columns.
func (g grid) folded(width int) [][]string {
	others := 0
	for i := 1; i < len(g.header[0]); i++ {
		col := 0
		for _, h := range g.header {
			col = max(col, twwidth.Width(h[i]))
		}
		for _, row := range g.rows {
			col = max(col, twwidth.Width(row[i]))
		}
		others += col + 1
	}
	room := max(width-others, 8)
	out := make([][]string, len(g.rows))
	for i, row := range g.rows {
		out[i] = append([]string{fold(row[0], room)}, row[1:]...)
	}
	return out
}

// fold breaks a name into lines of at most room columns, after hyphens
// where it can and anywhere where it must.
func fold(name string, room int) string {
	var lines []string
	line := ""
	for _, part := range strings.SplitAfter(name, "-") {
		for twwidth.Width(part) > room {
			if line != "" {
				lines, line = append(lines, line), ""
			}
			cut := twwidth.Truncate(part, room)
			lines, part = append(lines, cut), part[len(cut):]
		}
		if twwidth.Width(line+part) > room {
			lines, line = append(lines, line), ""
		}
		line += part
	}
	return strings.Join(append(lines, line), "\n")
}

// writeLines writes lines of prose, each wrapped to width (0: as they are).
func writeLines(w io.Writer, lines []string, width int) {
	for _, l := range lines {
		if width <= 0 || twwidth.Width(l) <= width {
			fmt.Fprintln(w, l)
			continue
		}
		wrapped, _ := twwarp.WrapString(l, width)
		for _, wl := range wrapped {
			fmt.Fprintln(w, wl)
		}
	}
}

// widest returns the display width of the longest line.
func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, twwidth.Width(l))
	}
	return n
}

// firstFailures prints each violating policy's first counterexample and
// its replay line: on one line with no width, else wrapped, the replay
// line on a line of its own so that it copies whole.
func firstFailures(w io.Writer, r *Report, width int) error {
	for _, p := range r.Policies {
		f := p.FirstFailure
		if f == nil {
			continue
		}
		c, _ := invariants.Lookup(f.Invariant)
		what := fmt.Sprintf("%s breaks %s (%s): %d-step counterexample, replay with:", p.Name, f.Invariant, c.Doc, f.Steps)
		if width <= 0 {
			if _, err := fmt.Fprintf(w, "%s %s\n", what, f.Replay); err != nil {
				return err
			}
			continue
		}
		writeLines(w, []string{what}, width)
		if _, err := fmt.Fprintf(w, "  %s\n", f.Replay); err != nil {
			return err
		}
	}
	return nil
}
