package reports

import (
	"strconv"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// counterexample is what the reports show of one violated invariant: the
// sentence of the violation, the counterexample's size and the line that
// replays it. Failure is nil for a report decoded from JSON, which keeps
// only the first counterexample's summary; the formats then show what they
// have.
type counterexample struct {
	Invariant invariants.ID
	// Doc says when the invariant holds; Sentence says how it broke.
	Doc      string
	Sentence string
	Seed     uint64
	Scenario string
	Steps    int
	Shrunk   bool
	Replay   string
	Failure  *harness.Failure
}

// counterexamples lists the policy's counterexamples: the first failure
// first, then those of its other violated invariants in contract order.
func (p Policy) counterexamples(order []invariants.ID) []counterexample {
	var out []counterexample
	if ff := p.FirstFailure; ff != nil {
		c := counterexample{Invariant: ff.Invariant, Seed: ff.Seed, Scenario: ff.Scenario, Steps: ff.Steps, Replay: ff.Replay}
		p.fill(&c)
		out = append(out, c)
	}
	for _, id := range order {
		f := p.Failures[id]
		if f == nil || (p.FirstFailure != nil && p.FirstFailure.Invariant == id) {
			continue
		}
		c := counterexample{Invariant: id, Seed: f.Seed, Replay: p.Replay(id)}
		p.fill(&c)
		out = append(out, c)
	}
	return out
}

// fill completes a counterexample from the policy's failures and the
// invariant's checker.
func (p Policy) fill(c *counterexample) {
	if ch, err := invariants.Lookup(c.Invariant); err == nil {
		c.Doc = ch.Doc
	}
	f := p.Failures[c.Invariant]
	if f == nil || f.Run == nil {
		return
	}
	c.Failure = f
	c.Seed, c.Scenario, c.Steps, c.Shrunk = f.Seed, f.Run.Scenario.Name(), f.Steps(), f.Shrunk
	c.Sentence = f.Violation.Message
	if c.Replay == "" {
		c.Replay = p.Replay(c.Invariant)
	}
}

// What returns the sentence of the violation, or the invariant's own
// sentence when the violation's is not known.
func (c counterexample) What() string {
	if c.Sentence != "" {
		return c.Sentence
	}
	return "violated: " + c.Doc
}

// SeedString returns the seed in decimal.
func (c counterexample) SeedString() string { return strconv.FormatUint(c.Seed, 10) }
