package reports

import (
	"embed"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
)

// The HTML report is one file a CI system can keep as an artifact and a
// reader can open anywhere: the template and the stylesheet are embedded in
// the binary and inlined in the page, the chart is inline SVG, and there is
// no script. Its Content-Security-Policy forbids loading anything, so that
// a reference to an outside asset would show as an error, not as a page
// that only works online.
//
//go:embed assets/report.html assets/report.css
var assets embed.FS

var (
	page = template.Must(template.New("report.html").Funcs(template.FuncMap{"plural": plural}).ParseFS(assets, "assets/report.html"))
	css  = mustRead("assets/report.css")
)

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// HTML renders the report as one self-contained HTML page: the verdict,
// the matrix of policies and invariants, a chart of what the recoveries
// cost, and for each violating policy the timeline of its first
// counterexample, shrunk, with the ledger's effects beside the events that
// caused them and the line that replays it.
func HTML(w io.Writer, r *Report) error {
	return page.Execute(w, newHTMLPage(r))
}

// htmlPage is what the template renders.
type htmlPage struct {
	Title      string
	Headline   string
	Report     *Report
	RunsEach   string
	Seeds      string
	CSS        template.CSS
	Invariants []htmlInvariant
	Policies   []htmlPolicy
	Panels     []panel
	Failures   []htmlFailure
	Coverage   []htmlCoverage
}

// htmlCoverage is one row of the coverage table: the first missing cells
// named, how many more there are.
type htmlCoverage struct {
	Name                         string
	Hit, Reachable, TargetedRuns int
	Missing                      []string
	More                         int
}

// htmlMissing is how many missing cells a row names.
const htmlMissing = 12

type htmlInvariant struct {
	ID         invariants.ID
	Short, Doc string
}

// htmlPolicy is one row of the matrix and of the work table.
type htmlPolicy struct {
	Policy
	Anchor       string
	Verdict      string
	VerdictClass string
	Cells        []htmlCell
	Completion   string
	Charges      string
	PaidTwice    string // duplicate cost, in dollars
	Failed       bool   // whether it has a counterexample section
}

// htmlCell is one policy × invariant count.
type htmlCell struct {
	Invariant invariants.ID
	Count     int
	Unknown   int
	Expected  bool
	Class     string
	Label     string // for assistive technology and tooltips
}

// htmlFailure is one violating policy's counterexample section.
type htmlFailure struct {
	Anchor   string
	Policy   Policy
	First    counterexample
	Scenario string // the shrunk scenario, one execution per line
	Original int    // steps of the scenario before shrinking
	Virtual  string // virtual time the run took
	Timeline *timeline
	Others   []counterexample
}

func newHTMLPage(r *Report) htmlPage {
	pg := htmlPage{Title: "chaosrun report", Headline: Headline(r), Report: r, RunsEach: RunsEach(r), Seeds: SeedsText(r), CSS: template.CSS(css), Panels: costPanels(r.Policies)}
	for _, id := range r.Invariants {
		inv := htmlInvariant{ID: id, Short: Short(id)}
		if c, err := invariants.Lookup(id); err == nil {
			inv.Doc = c.Doc
		}
		pg.Invariants = append(pg.Invariants, inv)
	}
	for i, p := range r.Policies {
		hp := htmlPolicy{
			Policy: p, Anchor: "policy-" + strconv.Itoa(i+1), Verdict: Verdict(p),
			Completion: percent(p.Executions.CompletionRate()), Charges: money(p.Cost.DuplicateChargesCents),
			PaidTwice: money(p.Cost.DuplicateCostCents),
		}
		hp.VerdictClass = verdictClass(hp.Verdict)
		for _, id := range r.Invariants {
			hp.Cells = append(hp.Cells, newCell(p, id))
		}
		if cs := p.counterexamples(r.Invariants); len(cs) > 0 {
			hp.Failed = true
			pg.Failures = append(pg.Failures, newHTMLFailure(hp.Anchor, p, cs))
		}
		pg.Policies = append(pg.Policies, hp)
		if c := p.Coverage; c != nil {
			hc := htmlCoverage{Name: p.Name, Hit: c.Hit, Reachable: c.Reachable, TargetedRuns: c.TargetedRuns, Missing: c.Missing}
			if len(hc.Missing) > htmlMissing {
				hc.Missing, hc.More = hc.Missing[:htmlMissing], len(hc.Missing)-htmlMissing
			}
			pg.Coverage = append(pg.Coverage, hc)
		}
	}
	return pg
}

func newCell(p Policy, id invariants.ID) htmlCell {
	c := htmlCell{Invariant: id, Count: p.Violations[id], Unknown: p.Unknown[id], Expected: p.Expected(id)}
	var label []string
	switch {
	case c.Count > 0:
		c.Class = "hit"
		label = append(label, plural(c.Count, "run", "runs")+" violated "+string(id))
	case c.Unknown > 0:
		c.Class = "unknown"
		label = append(label, "undecided in "+plural(c.Unknown, "run", "runs"))
	default:
		c.Class = "zero"
		label = append(label, "held in every run")
	}
	if c.Expected {
		c.Class += " expected"
		if c.Count > 0 {
			label = append(label, "expected: the mistake must break it")
		} else {
			label = append(label, "expected to be broken, but was not: the mistake was not caught")
		}
	}
	c.Label = strings.Join(label, "; ")
	return c
}

func newHTMLFailure(anchor string, p Policy, cs []counterexample) htmlFailure {
	f := htmlFailure{Anchor: anchor + "-failure", Policy: p, First: cs[0], Others: cs[1:]}
	if hf := cs[0].Failure; hf != nil {
		f.Scenario = hf.Run.Scenario.String()
		f.Original = hf.Original.Steps()
		f.Virtual = hf.Run.Virtual.String()
		tl := newTimeline(hf.Run, hf.Violation.Event)
		f.Timeline = &tl
	}
	return f
}

func verdictClass(v string) string {
	switch v {
	case VerdictUnsafe:
		return "unsafe"
	case VerdictNotCaught:
		return "missed"
	case VerdictInconclusive:
		return "undecided"
	case VerdictCaught:
		return "caught"
	}
	return "clean"
}
