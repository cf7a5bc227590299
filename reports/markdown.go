package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// Markdown renders the report as GitHub-flavoured Markdown, ready for a
// job summary ($GITHUB_STEP_SUMMARY): a heading, the verdict on one line,
// the matrix of policies and invariants, a table of what the work became
// and what recovering it cost, and for each violating policy its first
// counterexample with the line that replays it (its timeline folded under
// it).
func Markdown(w io.Writer, r *Report) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "## chaosrun report\n\n**Verdict:** %s\n\n<sub>%s</sub>\n\n", mdEscape(Headline(r)), mdEscape(Provenance(r)))
	mdMatrix(b, r)
	mdWork(b, r)
	mdCoverage(b, r)
	for _, p := range r.Policies {
		if cs := p.counterexamples(r.Invariants); len(cs) > 0 {
			mdCounterexample(b, p, cs)
		}
	}
	return b.Flush()
}

func mdMatrix(b *bufio.Writer, r *Report) {
	b.WriteString("### Invariants by policy\n\nRuns in which each invariant was violated. `*` marks an invariant the policy's mistake must break; · means it held in every run; ? counts runs where the checker could not decide.\n\n")
	header := []string{"policy", "runs"}
	align := []string{"---", "---:"}
	for _, id := range r.Invariants {
		header = append(header, Short(id))
		align = append(align, ":---:")
	}
	header = append(header, "verdict")
	align = append(align, "---")
	mdRow(b, header)
	mdRow(b, align)
	for _, p := range r.Policies {
		row := []string{"`" + p.Name + "`", strconv.Itoa(p.Runs)}
		for _, id := range r.Invariants {
			row = append(row, mdCell(p, id))
		}
		row = append(row, mdVerdict(Verdict(p)))
		mdRow(b, row)
	}
	var legend []string
	for _, id := range r.Invariants {
		legend = append(legend, "**"+mdEscape(Short(id))+"** "+mdEscape(string(id)))
	}
	fmt.Fprintf(b, "\n<sub>%s</sub>\n\n", strings.Join(legend, " · "))
}

func mdCell(p Policy, id invariants.ID) string {
	n, u := p.Violations[id], p.Unknown[id]
	cell := "·"
	switch {
	case n > 0:
		cell = "**" + strconv.Itoa(n) + "**"
	case u > 0:
		cell = "?" + strconv.Itoa(u)
	}
	if p.Expected(id) {
		cell += `\*`
	}
	return cell
}

func mdVerdict(v string) string {
	switch v {
	case VerdictUnsafe, VerdictNotCaught:
		return "**" + v + "**"
	}
	return v
}

func mdWork(b *bufio.Writer, r *Report) {
	b.WriteString("### What the work became, and what it cost\n\n")
	mdRow(b, []string{"policy", "completion", "dead-lettered", "compensated", "duplicate effects", "duplicate charges", "duplicate cost", "wasted LLM tokens", "retries", "reconciliation events"})
	mdRow(b, []string{"---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"})
	for _, p := range r.Policies {
		x, c := p.Executions, p.Cost
		mdRow(b, []string{
			"`" + p.Name + "`",
			fmt.Sprintf("%s (%d/%d)", percent(x.CompletionRate()), x.Completed, x.Total),
			strconv.Itoa(x.DeadLettered), strconv.Itoa(x.Compensated),
			strconv.Itoa(c.DuplicateEffects), money(c.DuplicateChargesCents), money(c.DuplicateCostCents),
			strconv.Itoa(c.LLMTokensWasted), strconv.Itoa(c.Retries), strconv.Itoa(c.ReconciliationEvents),
		})
	}
	b.WriteString("\n<sub>Over the swarm runs (targeted runs raise a few kinds of fault far above what swarm schedules draw). Duplicate charges: money a charging tool took twice from a customer, who gets it back only by a refund. Duplicate cost: other paid calls made again (an enrichment, a paid webhook), paid by you.</sub>\n\n")
}

// mdMissing is how many missing cells a row of the coverage table names.
const mdMissing = 8

func mdCoverage(b *bufio.Writer, r *Report) {
	var rows [][]string
	var thin []string
	for _, p := range r.Policies {
		c := p.Coverage
		if c == nil {
			continue
		}
		missing := "none"
		if len(c.Missing) > 0 {
			names := make([]string, 0, mdMissing)
			for _, m := range c.Missing[:min(len(c.Missing), mdMissing)] {
				names = append(names, "`"+m+"`")
			}
			missing = strings.Join(names, ", ")
			if n := len(c.Missing) - mdMissing; n > 0 {
				missing += fmt.Sprintf(" and %d more", n)
			}
		}
		rows = append(rows, []string{"`" + p.Name + "`", fmt.Sprintf("%d/%d", c.Hit, c.Reachable), strconv.Itoa(c.TargetedRuns), missing})
		if s := Inconclusiveness(p, r.Invariants); s != "" {
			thin = append(thin, "- "+mdEscape(s)+".")
		}
	}
	if len(rows) == 0 {
		return
	}
	b.WriteString("### Coverage of the fault model\n\nCells are tenant × tool × phase × fault kind. A policy that violated nothing is clean only when every reachable cell received a fault in some run, and inconclusive otherwise. Targeted runs are aimed at the cells the swarm runs left without a fault.\n\n")
	mdRow(b, []string{"policy", "cells hit", "targeted runs", "never received a fault"})
	mdRow(b, []string{"---", "---:", "---:", "---"})
	for _, row := range rows {
		mdRow(b, row)
	}
	b.WriteString("\n")
	if len(thin) > 0 {
		b.WriteString(strings.Join(thin, "\n") + "\n\n")
	}
}

func mdCounterexample(b *bufio.Writer, p Policy, cs []counterexample) {
	c := cs[0]
	fmt.Fprintf(b, "### `%s` violates %s\n\n", p.Name, c.Invariant)
	fmt.Fprintf(b, "> %s\n\n", mdEscape(c.What()))
	steps := plural(c.Steps, "step", "steps")
	if c.Shrunk {
		steps += ", shrunk"
	}
	fmt.Fprintf(b, "Seed %d, scenario `%s`, %s. Replay it:\n\n", c.Seed, c.Scenario, steps)
	fmt.Fprintf(b, "```sh\n%s\n```\n\n", c.Replay)
	if c.Failure != nil {
		fmt.Fprintf(b, "<details><summary>Scenario and timeline</summary>\n\n```text\n%s```\n\n</details>\n\n",
			harness.Explain(c.Failure.Run, c.Invariant))
	} else {
		fmt.Fprintf(b, "_%s_\n\n", mdEscape(c.Elsewhere()))
	}
	if len(cs) > 1 {
		b.WriteString("It also violates:\n\n")
		for _, o := range cs[1:] {
			fmt.Fprintf(b, "- **%s**: %s — `%s`\n", o.Invariant, mdEscape(o.What()), o.Replay)
		}
		b.WriteString("\n")
	}
}

// mdRow writes one table row; cells are escaped where they need it.
func mdRow(b *bufio.Writer, cells []string) {
	b.WriteString("|")
	for _, c := range cells {
		b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
	}
	b.WriteString("\n")
}

// mdEscape keeps text that is not Markdown from being read as Markdown:
// the characters that start emphasis, code, links, tables or HTML.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "|", `\|`, "<", "&lt;", ">", "&gt;", "[", `\[`, "]", `\]`)

func mdEscape(s string) string { return mdEscaper.Replace(s) }
