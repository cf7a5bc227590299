package policies_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// twins returns each catalog entry's two forms: the policy file and Go.
func twins(t *testing.T) []twin {
	t.Helper()
	var ts []twin
	for _, e := range policies.Catalog() {
		file, err := policies.Builtin(e.Name)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		ts = append(ts, twin{name: e.Name, file: file, code: e.Go()})
	}
	return ts
}

type twin struct {
	name string
	file *policy.Rules
	code policy.Policy
}

func TestEveryPolicyFileIsBuiltin(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		name := strings.TrimSuffix(p, ".yaml")
		names = append(names, name)
		r, err := policies.Builtin(name)
		if err != nil {
			t.Errorf("Builtin(%q): %v", name, err)
			continue
		}
		if r.PolicyName != name {
			t.Errorf("%s names its policy %q", p, r.PolicyName)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := policies.Parse(p, data); err != nil {
			t.Errorf("Parse(%s): %v", p, err)
		}
	}
	if want := policies.Names(); !slices.Equal(slices.Sorted(slices.Values(names)), slices.Sorted(slices.Values(want))) {
		t.Errorf("policy files %v, catalog %v", names, want)
	}
}

// TestTwinsAreTheSameRules holds each policy file to its Go form rule by
// rule: same name, description, architecture and rules in the same order.
func TestTwinsAreTheSameRules(t *testing.T) {
	t.Parallel()
	for _, tw := range twins(t) {
		want, ok := tw.code.(*policy.Rules)
		if !ok { // the reference: a decision tree in Go, with its rules beside it
			want = &policy.Rules{PolicyName: tw.name, Description: tw.file.Description, Arch: tw.code.Architecture(), List: policies.ReferenceRules()}
		}
		got := *tw.file
		got.List = withoutLines(got.List)
		if !reflect.DeepEqual(&got, want) {
			t.Errorf("%s: the file and Go differ\nfile: %+v\n  go: %+v", tw.name, &got, want)
		}
	}
}

func withoutLines(rs []policy.Rule) []policy.Rule {
	out := slices.Clone(rs)
	for i := range out {
		out[i].Line = 0
	}
	return out
}

// TestTwinsDecideAlike holds each file to its Go form's decisions over every
// input in the product of the enumeration below: for the reference that is
// the Go decision tree against the rules.
func TestTwinsDecideAlike(t *testing.T) {
	t.Parallel()
	in := enumeration(t)
	for _, tw := range twins(t) {
		t.Run(tw.name, func(t *testing.T) {
			t.Parallel()
			if a, b := tw.file.Architecture(), tw.code.Architecture(); !reflect.DeepEqual(a, b) {
				t.Fatalf("architectures differ: file %+v, Go %+v", a, b)
			}
			n, diffs := 0, 0
			in.each(func(x policy.Input) {
				n++
				a, b := tw.file.Decide(x), tw.code.Decide(x)
				if a.Action != b.Action || a.MaxRetries != b.MaxRetries || a.DedupToken != b.DedupToken || a.RequireKey != b.RequireKey {
					if diffs++; diffs <= 5 {
						t.Errorf("%s tenant=%s attempt=%d retries=%d key=%t/%t:\n file: %v\n   go: %v", x.Entry.Tool, x.Tenant, x.Attempt, x.Retries, x.HasKey, x.StableKey, a, b)
					}
				}
			})
			if diffs > 0 {
				t.Errorf("%d of %d inputs decided differently", diffs, n)
			}
			t.Logf("%d inputs decided alike", n)
		})
	}
}

var exhaustive = flag.Bool("exhaustive", false, "cross the inputs no decision reads (in hand, reconciled, contract, stable key) with all the others too (68M inputs per policy, minutes)")

// inputs is the enumeration: every outcome (phase x LLM phase x class x
// layer x effects x context x signals) for every registry entry of the fake
// world (system entries and tenant overrides), under every tenant, at
// attempts 1-3 with 0-6 retries spent, with and without a key, and for an
// outcome that emitted nothing with and without an earlier request in
// flight: 4,064,256 inputs per policy, each decided by both forms.
//
// Four more dimensions are in every input: whether the response is in hand,
// whether a lookup reconciled the outcome, the tenant's contract (each one the
// tenants declare) and whether the key is stable. Neither form's Decide
// reads them (contracts, keys and budgets are applied by policy.Resolve, on
// top of both alike), so they are rotated through their 24 combinations
// rather than crossed with everything, which would take 24 times as long;
// -exhaustive crosses them too.
type inputs struct {
	outcomes  []outcome.Outcome
	entries   []registry.Entry
	contracts []policy.Contract
}

func enumeration(t *testing.T) inputs {
	t.Helper()
	var in inputs
	for _, ph := range []outcome.Phase{outcome.PhasePre, outcome.PhaseMid, outcome.PhasePost} {
		for _, llm := range []outcome.LLMPhase{0, outcome.PreInference, outcome.MidInference, outcome.PostInference} {
			for _, cl := range []outcome.Class{outcome.Transient, outcome.RateLimited, outcome.Timeout, outcome.Deterministic} {
				for _, ly := range []outcome.Layer{outcome.Agent, outcome.Orchestrator} {
					for _, ef := range []outcome.Effects{outcome.NoEffects, outcome.PossibleEffects, outcome.ConfirmedEffects} {
						for _, cx := range []outcome.ContextState{outcome.ContextClean, outcome.ContextPartial, outcome.ContextCommitted} {
							for _, sig := range []bool{false, true} {
								in.outcomes = append(in.outcomes, outcome.Outcome{Phase: ph, LLM: llm, Class: cl, Layer: ly, Effects: ef, Context: cx,
									SignalsSent: sig, Cause: "enumerated"})
							}
						}
					}
				}
			}
		}
	}
	reg := fakes.Registry()
	for _, tool := range reg.Tools() {
		base, err := reg.Base(tool)
		if err != nil {
			t.Fatal(err)
		}
		in.entries = append(in.entries, base)
		for _, tenant := range reg.Tenants() {
			if e, _ := reg.Lookup(tool, tenant); !reflect.DeepEqual(e, base) {
				in.entries = append(in.entries, e)
			}
		}
	}
	for _, tenant := range fakes.TenantNames {
		for _, tool := range fakes.StepTools {
			if c := (fakes.Contracts{}).Contract(tenant, tool); !slices.Contains(in.contracts, c) {
				in.contracts = append(in.contracts, c)
			}
		}
	}
	return in
}

// unread is one combination of the dimensions no decision reads.
type unread struct {
	contract                   policy.Contract
	inHand, reconciled, stable bool
}

func (in inputs) unread() []unread {
	var us []unread
	for _, c := range in.contracts {
		for bits := range 8 {
			us = append(us, unread{c, bits&1 != 0, bits&2 != 0, bits&4 != 0})
		}
	}
	return us
}

// each calls f with every input, or with every 31st under the race detector.
func (in inputs) each(f func(policy.Input)) {
	us, turn, n := in.unread(), 0, 0
	for _, e := range in.entries {
		for _, tenant := range fakes.TenantNames {
			for _, o := range in.outcomes {
				for attempt := 1; attempt <= 3; attempt++ {
					for retries := 0; retries <= 6; retries++ {
						for _, key := range []bool{false, true} {
							for _, inflight := range inFlight(o) {
								if n++; raceDetector && n%31 != 0 {
									continue
								}
								x := policy.Input{Tenant: tenant, Entry: e, Outcome: o, Attempt: attempt, Retries: retries, HasKey: key, InFlight: inflight}
								if !*exhaustive {
									turn = (turn + 1) % len(us)
									f(us[turn].apply(x))
									continue
								}
								for _, u := range us {
									f(u.apply(x))
								}
							}
						}
					}
				}
			}
		}
	}
}

// inFlight is whether an earlier request of the step may still land, as
// the enumeration crosses it: both ways for an outcome that emitted nothing
// (what a lookup that found no trace leaves), where it decides between
// failing the step and keeping what may land; an outcome with effects
// decides alike either way.
func inFlight(o outcome.Outcome) []bool {
	if o.SideEffects() {
		return []bool{false}
	}
	return []bool{false, true}
}

func (u unread) apply(x policy.Input) policy.Input {
	x.Contract, x.Outcome.InHand, x.Outcome.Reconciled, x.StableKey = u.contract, u.inHand, u.reconciled, u.stable && x.HasKey
	return x
}

// TestTwinsExploreAlike runs both forms of each policy through the harness:
// the same scenarios must give the same violations, executions and costs.
func TestTwinsExploreAlike(t *testing.T) {
	t.Parallel()
	for _, tw := range twins(t) {
		t.Run(tw.name, func(t *testing.T) {
			t.Parallel()
			opts := &harness.ExploreOpts{Runs: 150, NoShrink: true}
			a, err := harness.Explore(context.Background(), tw.file, opts)
			if err != nil {
				t.Fatal(err)
			}
			b, err := harness.Explore(context.Background(), tw.code, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.Violations, b.Violations) || a.Executions != b.Executions || a.Cost != b.Cost {
				t.Errorf("file and Go explore differently:\nfile: %v %+v %+v\n  go: %v %+v %+v", a.Violations, a.Executions, a.Cost, b.Violations, b.Executions, b.Cost)
			}
		})
	}
}
