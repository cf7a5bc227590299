package reports

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// The fixture is a small, fixed exploration of a few catalog policies
// chosen to cover every verdict: the reference (clean), naive-backoff
// (caught), shared-mutable-context (not caught in so few runs),
// restart-whole-workflow (caught, and violating more than it must), a
// team's policy file (UNSAFE: retry-only under another name, given an
// undecided count by hand so that every format's rendering of "unknown" is
// pinned) and the reference under another name (inconclusive: so few runs
// leave cells of the fault model without a fault). Twenty runs reach a
// fraction of the cells: each policy keeps the first three it missed, the
// reference none, so that "clean" is pinned too. Shrinking is on and
// deterministic; elapsed times are the only thing that varies between runs
// and are set to fixed values.
const (
	fixtureRuns = 20
	fixtureSeed = 1
)

var fixture = struct {
	once sync.Once
	r    *Report
	err  error
}{}

// setup returns the fixture report, built once per test binary. Renderers
// only read it, so tests may share it in parallel.
func setup(t *testing.T) *Report {
	t.Helper()
	fixture.once.Do(func() { fixture.r, fixture.err = buildFixture() })
	if fixture.err != nil {
		t.Fatalf("build the fixture: %v", fixture.err)
	}
	return fixture.r
}

func buildFixture() (*Report, error) {
	r := New(Setup{Mode: "sim", Seed: fixtureSeed, Runs: fixtureRuns, Version: "(test)"})
	opts := &harness.ExploreOpts{Runs: fixtureRuns, Seed: fixtureSeed, ShrinkTime: 5 * time.Minute}
	for _, name := range []string{"reference", "naive-backoff", "shared-mutable-context", "restart-whole-workflow"} {
		e, err := policies.Lookup(name)
		if err != nil {
			return nil, err
		}
		s, err := harness.Explore(context.Background(), e.Go(), opts)
		if err != nil {
			return nil, err
		}
		r.Add(s, Entry{Source: "builtin", Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy})
	}
	s, err := harness.Explore(context.Background(), renamed{policies.RetryOnly(), "ours"}, opts)
	if err != nil {
		return nil, err
	}
	s.Unknown[invariants.TerminalState] = 1
	r.Add(s, Entry{Source: "testdata/ours.yaml"})
	if s, err = harness.Explore(context.Background(), renamed{policy.Reference(), "hasty"}, opts); err != nil {
		return nil, err
	}
	r.Add(s, Entry{Source: "testdata/hasty.yaml"})
	for i := range r.Policies {
		p := &r.Policies[i]
		p.ElapsedMS = int64(1000 + 250*i)
		if c := p.Coverage; c != nil {
			if p.Name == "reference" {
				c.Missing = []string{}
			}
			c.Missing = c.Missing[:min(len(c.Missing), 3)]
			c.Hit = c.Reachable - len(c.Missing)
		}
	}
	return r, nil
}

// renamed is a catalog policy under a team's name.
type renamed struct {
	policy.Policy
	name string
}

func (p renamed) Name() string { return p.name }

// render renders the report with a format and fails the test on error.
func render(t *testing.T, format func(io.Writer, *Report) error, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := format(&b, r); err != nil {
		t.Fatalf("render: %v", err)
	}
	return b.Bytes()
}
