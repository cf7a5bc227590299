package policies_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/worlds"
)

// TestLintFindings lints each file of testdata/lint, whose "# want:" lines
// are the findings it must produce, in order, each given whole or as a
// prefix ("# want: nothing" for none).
func TestLintFindings(t *testing.T) {
	t.Parallel()
	for _, path := range testdata(t, "lint") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			r, err := policies.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			ws := slices.DeleteFunc(wants(t, path), func(w string) bool { return w == "nothing" })
			got := policies.Lint(r)
			for i := range max(len(ws), len(got)) {
				switch {
				case i >= len(ws):
					t.Errorf("unexpected finding %s", got[i])
				case i >= len(got):
					t.Errorf("missing finding %s", ws[i])
				case !strings.HasPrefix(got[i].String(), ws[i]):
					t.Errorf("finding %d\n  %s\nwant\n  %s", i, got[i], ws[i])
				}
			}
		})
	}
}

// TestLintReferenceIsClean: the reference draws no finding at all, in either
// of its rule forms.
func TestLintReferenceIsClean(t *testing.T) {
	t.Parallel()
	file, err := policies.Builtin("reference")
	if err != nil {
		t.Fatal(err)
	}
	code := &policy.Rules{PolicyName: "reference", Arch: policy.DefaultArchitecture(), List: policies.ReferenceRules()}
	for _, r := range []*policy.Rules{file, code} {
		for _, f := range policies.Lint(r) {
			t.Errorf("%s", f)
		}
	}
}

// TestLintNamesEachMistake: lint finds each mistake of the catalog and names
// the invariants the mistake is caught by.
func TestLintNamesEachMistake(t *testing.T) {
	t.Parallel()
	for _, e := range policies.Catalog()[1:] {
		r, err := policies.Builtin(e.Name)
		if err != nil {
			t.Fatal(err)
		}
		var text []string
		for _, f := range policies.Lint(r) {
			t.Logf("%s.yaml:%s", e.Name, f)
			text = append(text, f.String())
		}
		for _, id := range e.CaughtBy {
			if !strings.Contains(strings.Join(text, "\n"), "("+string(id)+")") {
				t.Errorf("%s: no finding names %s", e.Name, id)
			}
		}
	}
}

// TestLintRulesBuiltInGo covers what the loader refuses and Go can still
// build: lint reports it, without a line.
func TestLintRulesBuiltInGo(t *testing.T) {
	t.Parallel()
	catchAll := policy.Rule{Do: policy.DeadLetter}
	post := policy.Match{Phases: []outcome.Phase{outcome.PhasePost}}
	for _, c := range []struct {
		name string
		arch func(*policy.Architecture)
		rule policy.Rule
		want string
	}{
		{"compensate without compensation", func(a *policy.Architecture) { a.DisableCompensation = true },
			policy.Rule{When: post, Do: policy.Compensate}, "error: rules[0]: compensate, but compensation is disabled"},
		{"reconcile without keys", func(a *policy.Architecture) { a.Keys = policy.NoKeys },
			policy.Rule{When: post, Do: policy.Reconcile}, "error: rules[0]: reconcile, but idempotency_keys is none"},
		{"require a key that is never sent", func(a *policy.Architecture) { a.Keys = policy.NoKeys },
			policy.Rule{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, Do: policy.Retry, MaxRetries: 1, RequireKey: true}, "error: rules[0]: require_idempotency_key, but idempotency_keys is none"},
		{"require a key that is never stable", func(a *policy.Architecture) { a.Keys = policy.PerAttempt },
			policy.Rule{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, Do: policy.Retry, MaxRetries: 1, RequireKey: true}, "warning: rules[0]: require_idempotency_key with per-attempt keys"},
		{"retry with an empty budget", func(a *policy.Architecture) { a.Budget.MaxRetries = 0 },
			policy.Rule{Do: policy.Retry}, "error: rules[0]: never matches: it has no max_retries and budget.max_retries is 0"},
		{"invalid architecture", func(a *policy.Architecture) { a.Backoff.Multiplier = 0.5 },
			policy.Rule{When: post, Do: policy.Reconcile}, "error: architecture: backoff multiplier 0.5 is below 1"},
	} {
		a := policy.DefaultArchitecture()
		c.arch(&a)
		r := &policy.Rules{PolicyName: "go", Arch: a, List: []policy.Rule{c.rule, catchAll}}
		var got []string
		for _, f := range policies.Lint(r) {
			got = append(got, f.String())
		}
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, c.want) }) {
			t.Errorf("%s: findings %q, want one starting %q", c.name, got, c.want)
		}
	}
}

func TestSeverityAndFindingStrings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		f    policies.Finding
		want string
	}{
		{policies.Finding{Severity: policies.SeverityError, Line: 12, Key: "rules[3]", Message: "m"}, "12: error: rules[3]: m"},
		{policies.Finding{Severity: policies.SeverityWarning, Key: "budget.scope", Message: "m"}, "warning: budget.scope: m"},
		{policies.Finding{Key: "k", Message: "m"}, "invalid(0): k: m"},
	} {
		if got := c.f.String(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

// TestReadmeExample: the complete example of README.md loads, and lint
// finds no error in it.
func TestReadmeExample(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(data), "## A complete example\n\n```yaml\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README.md has no complete example")
	}
	r, err := policies.Parse("README.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range policies.Lint(r) {
		t.Logf("README.md example: %s", f)
		if f.Severity == policies.SeverityError {
			t.Errorf("%s", f)
		}
	}
}

// TestRuleInertInAWorld: a rule that names no tool and holds for none in a
// world only because the world lacks one (no orchestrator tool, no streamed
// model call) is inert there, not wrong: the policy file loads, and lint
// warns of each such rule instead of refusing it. Every catalog policy file
// loads in a world imported from MCP tools, which has neither.
func TestRuleInertInAWorld(t *testing.T) {
	t.Parallel()
	w, err := worlds.Load(filepath.Join("..", "worlds", "testdata", "mcp", "annotated.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range policies.Names() {
		r, err := policies.LoadFor(w, name+".yaml")
		if err != nil {
			t.Errorf("%s in an imported world: %v", name, err)
			continue
		}
		findings, err := policies.LintFor(w, r)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range findings {
			if f.Severity == policies.SeverityError && strings.Contains(f.Message, "never matches") {
				t.Errorf("%s: %s", name, f)
			}
		}
	}
	r, err := policies.LoadFor(w, "reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	findings, err := policies.LintFor(w, r)
	if err != nil {
		t.Fatal(err)
	}
	var inert []string
	for _, f := range findings {
		if strings.Contains(f.Message, "never matches in this world") {
			if f.Severity != policies.SeverityWarning {
				t.Errorf("an inert rule is a warning: %s", f)
			}
			inert = append(inert, f.String())
		}
	}
	want := "never matches in this world: no tool of this world runs at layer orchestrator"
	if !slices.ContainsFunc(inert, func(s string) bool { return strings.Contains(s, want) }) {
		t.Errorf("lint of the reference in an imported world: no finding %q among %q", want, inert)
	}
	// A rule that is wrong in every world stays wrong in this one: refused
	// when it contradicts itself, an error of lint when it matches nothing
	// even in the built-in world.
	for _, c := range []struct{ when, refused, lint string }{
		{"{layer: orchestrator, llm_phase: post-inference}", "none of them runs at layer orchestrator, even in the built-in world", ""},
		{"{layer: orchestrator, class: rate-limited, phase: mid}", "", "error: rules[0]: never matches: no failure"},
		{"{llm_phase: mid-inference, class: rate-limited}", "", "error: rules[0]: never matches: no failure"},
	} {
		file := "name: wrong\nrules:\n  - when: " + c.when + "\n    do: fail\n  - do: dead-letter\n"
		r, err := policies.ParseFor(w, "wrong.yaml", []byte(file))
		if c.refused != "" {
			if err == nil || !strings.Contains(err.Error(), c.refused) {
				t.Errorf("%s in an imported world: %v, want it refused with %q", c.when, err, c.refused)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		findings, err := policies.LintFor(w, r)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(findings, func(f policies.Finding) bool { return strings.Contains(f.String(), c.lint) }) {
			t.Errorf("lint of %s in an imported world: %q, want a finding %q", c.when, findings, c.lint)
		}
	}
}
