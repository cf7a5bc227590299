package reports

import (
	"strconv"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// Counterexample is the first counterexample of one violated invariant:
// the seed that broke it, the shrunk case's size, the sentence of the
// violation and the line that replays it.
type Counterexample struct {
	Invariant invariants.ID `json:"invariant"`
	Seed      uint64        `json:"seed"`
	Scenario  string        `json:"scenario"`
	Steps     int           `json:"steps"`
	Shrunk    bool          `json:"shrunk"`
	Message   string        `json:"message"`
	Replay    string        `json:"replay"`
	// Failure is the shrunk run itself, with its history and ledger, which
	// the timelines lay out. A report decoded from JSON has none.
	Failure *harness.Failure `json:"-"`
	// From says, in a merged report, which shard report the counterexample
	// came from: its timeline is in that shard's own reports.
	From string `json:"-"`
}

// counterexample is what the formats show of a Counterexample: it, and
// the invariant's own sentence.
type counterexample struct {
	Counterexample
	// Doc says when the invariant holds.
	Doc string
}

// counterexamples lists the policy's counterexamples: the first failure
// first, then those of its other violated invariants in contract order.
func (p Policy) counterexamples(order []invariants.ID) []counterexample {
	var out []counterexample
	if ff := p.FirstFailure; ff != nil {
		c := Counterexample{Invariant: ff.Invariant, Seed: ff.Seed, Scenario: ff.Scenario, Steps: ff.Steps, Replay: ff.Replay}
		if f := p.Failure(ff.Invariant); f != nil {
			c = *f
		}
		out = append(out, withDoc(c))
	}
	for _, id := range order {
		f := p.Failure(id)
		if f == nil || (p.FirstFailure != nil && p.FirstFailure.Invariant == id) {
			continue
		}
		out = append(out, withDoc(*f))
	}
	return out
}

func withDoc(c Counterexample) counterexample {
	out := counterexample{Counterexample: c}
	if ch, err := invariants.Lookup(c.Invariant); err == nil {
		out.Doc = ch.Doc
	}
	return out
}

// What returns the sentence of the violation, or the invariant's own
// sentence when the violation's is not known.
func (c counterexample) What() string {
	if c.Message != "" {
		return c.Message
	}
	return "violated: " + c.Doc
}

// Elsewhere says where the timeline of a counterexample read back from
// JSON is, since the report does not hold it: in the shard report it came
// from, and always one replay away.
func (c counterexample) Elsewhere() string {
	if c.From != "" {
		return "The timeline is not in this merged report: it is in the reports of " + c.From + ", and the replay line shows it."
	}
	return "The timeline is not in this report, which was read back from JSON: the replay line shows it."
}

// SeedString returns the seed in decimal.
func (c counterexample) SeedString() string { return strconv.FormatUint(c.Seed, 10) }
