package harness

import (
	"slices"
	"time"
)

// Outages is when the store was unavailable: spans of wall time in which
// net mode's probe of the Postgres server got no answer. Spans that overlap
// or touch are one outage, so that the several rigs of an exploration, which
// all see the same outage, count it once. The simulation's store never goes
// away: its runs have none.
//
// Reports show [Outages.Count] and [Outages.Longest]; the zero value is no
// outage.
type Outages struct {
	spans []Span // sorted, disjoint, not touching
}

// Span is one stretch of wall time.
type Span struct{ From, To time.Time }

// Add records that the store was unavailable from from to to.
func (o *Outages) Add(from, to time.Time) {
	if to.Before(from) {
		from, to = to, from
	}
	i, _ := slices.BinarySearchFunc(o.spans, from, func(s Span, t time.Time) int { return s.From.Compare(t) })
	o.spans = slices.Insert(o.spans, i, Span{from, to})
	// Merge with the neighbours the new span reaches.
	if i > 0 && !o.spans[i-1].To.Before(from) {
		i--
	}
	j := i + 1
	for j < len(o.spans) && !o.spans[j].From.After(o.spans[i].To) {
		if o.spans[j].To.After(o.spans[i].To) {
			o.spans[i].To = o.spans[j].To
		}
		j++
	}
	o.spans = slices.Delete(o.spans, i+1, j)
}

// Merge adds every outage of p.
func (o *Outages) Merge(p Outages) {
	for _, s := range p.spans {
		o.Add(s.From, s.To)
	}
}

// Count is how many times the store became unavailable.
func (o Outages) Count() int { return len(o.spans) }

// Longest is how long the longest outage lasted.
func (o Outages) Longest() time.Duration {
	var d time.Duration
	for _, s := range o.spans {
		d = max(d, s.To.Sub(s.From))
	}
	return d
}

// Spans returns the outages, earliest first.
func (o Outages) Spans() []Span { return slices.Clone(o.spans) }
