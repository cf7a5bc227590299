package reports

import (
	"fmt"
	"strconv"
)

// The cost chart is small multiples: one panel of horizontal bars per
// measure, every panel on its own scale (dollars and tokens do not share an
// axis), policies in the same order in every panel so that the eye can
// follow one policy across them. Coordinates are computed here, so that
// the template only places them, and printed with fixed precision, so that
// the same report renders byte for byte the same.
const (
	panelWidth  = 380
	labelWidth  = 170 // policy names, right-aligned against the bars
	barSpan     = 130 // the longest bar; its value is printed after it
	barHeight   = 16
	rowPitch    = 24
	panelTop    = 12 // room above the first bar
	panelBottom = 34 // the axis, its ticks and its label
)

// panel is one measure's bar chart.
type panel struct {
	ID     string
	Title  string
	Axis   string // the x axis's label: what is measured, in which unit
	Note   string // how to read it
	Width  int
	Height int
	Bars   []bar
	// AxisY is where the axis line is drawn; MaxLabel is the value at the
	// axis's right end.
	AxisY, TickY, AxisLabelY int
	MaxLabel                 string
	Good                     bool // more is better (completion), styled apart
	// LabelX is where policy names end, BarX where bars start, AxisEnd
	// where the longest bar ends; BarHeight is every bar's.
	LabelX, BarX, AxisEnd, BarHeight int
}

// bar is one policy's bar in a panel.
type bar struct {
	Policy string
	Value  string // printed after the bar
	Y      int    // top of the bar
	TextY  int    // baseline of the labels
	Width  string // the bar's length, fixed precision
	ValueX string // where the value label starts
}

// measure is what a panel plots of a policy.
type measure struct {
	id, title, axis, note string
	good                  bool
	value                 func(Policy) float64
	label                 func(Policy) string
}

var measures = []measure{
	{"completion", "Completion rate", "% of executions completed", "Higher is better: a safe policy that finishes nothing is useless.", true,
		func(p Policy) float64 { return 100 * p.Executions.CompletionRate() },
		func(p Policy) string { return percent(p.Executions.CompletionRate()) }},
	{"dead-lettered", "Dead-lettered", "executions dead-lettered", "Work a human has to look at.", false,
		func(p Policy) float64 { return float64(p.Executions.DeadLettered) },
		func(p Policy) string { return strconv.Itoa(p.Executions.DeadLettered) }},
	{"duplicate-effects", "Duplicate effects", "effects applied again", "Emails sent twice, chunks streamed twice, records written twice.", false,
		func(p Policy) float64 { return float64(p.Cost.DuplicateEffects) },
		func(p Policy) string { return strconv.Itoa(p.Cost.DuplicateEffects) }},
	{"duplicate-charges", "Duplicate charges", "dollars charged twice", "Money a charging tool took twice from a customer, who gets it back only by a refund.", false,
		func(p Policy) float64 { return float64(p.Cost.DuplicateChargesCents) },
		func(p Policy) string { return money(p.Cost.DuplicateChargesCents) }},
	{"duplicate-cost", "Duplicate cost", "dollars paid twice", "Paid calls made again (an enrichment, a paid webhook): your money, no customer charged.", false,
		func(p Policy) float64 { return float64(p.Cost.DuplicateCostCents) },
		func(p Policy) string { return money(p.Cost.DuplicateCostCents) }},
	{"wasted-tokens", "Wasted LLM tokens", "tokens paid for, output discarded", "Model output thrown away by a retry.", false,
		func(p Policy) float64 { return float64(p.Cost.LLMTokensWasted) },
		func(p Policy) string { return strconv.Itoa(p.Cost.LLMTokensWasted) }},
	{"retries", "Retries", "retry decisions", "Load the recoveries put on tools and models.", false,
		func(p Policy) float64 { return float64(p.Cost.Retries) },
		func(p Policy) string { return strconv.Itoa(p.Cost.Retries) }},
}

// costPanels lays out one panel per measure.
func costPanels(ps []Policy) []panel {
	out := make([]panel, 0, len(measures))
	for _, m := range measures {
		out = append(out, layout(m, ps))
	}
	return out
}

func layout(m measure, ps []Policy) panel {
	p := panel{ID: "chart-" + m.id, Title: m.title, Axis: m.axis, Note: m.note, Width: panelWidth, Good: m.good,
		LabelX: labelWidth - 8, BarX: labelWidth, AxisEnd: labelWidth + barSpan, BarHeight: barHeight}
	top := 0.0
	for _, pol := range ps {
		top = max(top, m.value(pol))
	}
	if m.good {
		top = 100 // a rate's axis ends at 100%
	}
	for i, pol := range ps {
		w := 0.0
		if top > 0 {
			w = barSpan * m.value(pol) / top
		}
		y := panelTop + i*rowPitch
		p.Bars = append(p.Bars, bar{
			Policy: pol.Name, Value: m.label(pol), Y: y, TextY: y + barHeight - 4,
			Width: fmt.Sprintf("%.1f", w), ValueX: fmt.Sprintf("%.1f", labelWidth+w+6),
		})
	}
	p.AxisY = panelTop + len(ps)*rowPitch
	p.TickY, p.AxisLabelY = p.AxisY+13, p.AxisY+28
	p.Height = p.AxisY + panelBottom
	switch {
	case m.good:
		p.MaxLabel = "100%"
	case m.id == "duplicate-charges" || m.id == "duplicate-cost":
		p.MaxLabel = money(int(top))
	default:
		p.MaxLabel = strconv.Itoa(int(top))
	}
	return p
}
