package outcome_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// parser is one of the package's name vocabularies: its spellings, a
// parser that returns the value rendered back with String, and the kind the
// parser's errors name.
type parser struct {
	kind  string
	names []string
	parse func(string) (fmt.Stringer, error)
}

func parsers() []parser {
	return []parser{
		{"phase", outcome.PhaseNames, func(s string) (fmt.Stringer, error) { return outcome.ParsePhase(s) }},
		{"llm phase", outcome.LLMPhaseNames, func(s string) (fmt.Stringer, error) { return outcome.ParseLLMPhase(s) }},
		{"class", outcome.ClassNames, func(s string) (fmt.Stringer, error) { return outcome.ParseClass(s) }},
		{"layer", outcome.LayerNames, func(s string) (fmt.Stringer, error) { return outcome.ParseLayer(s) }},
		{"context state", outcome.ContextStateNames, func(s string) (fmt.Stringer, error) { return outcome.ParseContextState(s) }},
	}
}

func TestNamesAreTheContract(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"phase":         "pre mid post",
		"llm phase":     "pre-inference mid-inference post-inference",
		"class":         "transient rate-limited timeout deterministic",
		"layer":         "agent orchestrator",
		"context state": "clean partial committed",
	}
	for _, p := range parsers() {
		if got := strings.Join(p.names, " "); got != want[p.kind] {
			t.Errorf("%s names %q, want %q", p.kind, got, want[p.kind])
		}
	}
}

func TestParseRoundTrips(t *testing.T) {
	t.Parallel()
	for _, p := range parsers() {
		t.Run(p.kind, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			for _, name := range p.names {
				v, err := p.parse(name)
				if err != nil {
					t.Fatalf("parse %q: %v", name, err)
				}
				if got := v.String(); got != name {
					t.Errorf("parse %q then String() = %q", name, got)
				}
				if seen[fmt.Sprint(v)] {
					t.Errorf("%q parses to a value already seen", name)
				}
				seen[fmt.Sprint(v)] = true
			}
		})
	}
}

func TestParseUnknownListsTheValidNames(t *testing.T) {
	t.Parallel()
	for _, p := range parsers() {
		for _, bad := range []string{"", "PRE", "bogus", "invalid(0)"} {
			t.Run(p.kind+"/"+bad, func(t *testing.T) {
				t.Parallel()
				_, err := p.parse(bad)
				if err == nil {
					t.Fatalf("parse %q: no error", bad)
				}
				msg := err.Error()
				if !strings.Contains(msg, "unknown "+p.kind) || !strings.Contains(msg, fmt.Sprintf("%q", bad)) {
					t.Errorf("error %q should name the %s and the input", msg, p.kind)
				}
				if !strings.Contains(msg, "(valid: "+strings.Join(p.names, ", ")+")") {
					t.Errorf("error %q should list the valid names %v", msg, p.names)
				}
			})
		}
	}
}

func TestStringOfInvalidValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		v    fmt.Stringer
		want string
	}{
		{outcome.Phase(0), "invalid(0)"},
		{outcome.Phase(4), "invalid(4)"},
		{outcome.LLMPhase(9), "invalid(9)"},
		{outcome.Class(5), "invalid(5)"},
		{outcome.Layer(3), "invalid(3)"},
		{outcome.Effects(3), "invalid(3)"},
		{outcome.ContextState(0), "invalid(0)"},
		{outcome.NoEffects, "none"},
		{outcome.PossibleEffects, "possible"},
		{outcome.ConfirmedEffects, "confirmed"},
	}
	for _, c := range cases {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T(%v).String() = %q, want %q", c.v, c.v, got, c.want)
		}
	}
}
