package worlds_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// TestGeneratedWorldsAreValid: every world the generator draws validates,
// registers every tool as what it truly is for every tenant, and reads back
// from a world file as the same Go value.
func TestGeneratedWorldsAreValid(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		w := worlds.Generator().Draw(t, "world")
		if err := w.Validate(); err != nil {
			t.Fatalf("the generator drew a world Validate refuses: %v", err)
		}
		reg, err := w.Registry()
		if err != nil {
			t.Fatal(err)
		}
		for _, tenant := range w.TenantNames() {
			for _, tool := range reg.Tools() {
				e, err := reg.Lookup(tool, tenant)
				if err != nil {
					t.Fatal(err)
				}
				truth := w.Truth(tenant, tool)
				if e.Lookup != truth.Lookup || e.SideEffects != truth.SideEffects || e.Streaming != truth.Streaming {
					t.Fatalf("%s for %s: registered %+v, truth %+v", tool, tenant, e, truth)
				}
				if e.Class == registry.Idempotent && e.SideEffects && !truth.Idempotent {
					t.Fatalf("%s for %s is registered idempotent and is not", tool, tenant)
				}
				if c := w.Contract(tenant, tool); c.KeyRequired && e.Keys != registry.IdempotencyKey {
					t.Fatalf("%s requires a key of %s, which takes none", tenant, tool)
				}
			}
		}
		file := yamlOf(w)
		back, err := worlds.Parse("generated.yaml", []byte(file))
		if err != nil {
			t.Fatalf("%v\n%s", err, file)
		}
		if !reflect.DeepEqual(back, w) {
			t.Fatalf("read back\n  %+v\nwant\n  %+v\nfrom\n%s", back, w, file)
		}
	})
}

// TestGeneratorCovers: over 300 drawn worlds, every behaviour appears, and
// so do tenants with and without contracts, overrides of both kinds with
// and without a contract behind them, named workflows and narrowed
// generated tools.
func TestGeneratorCovers(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := range 300 {
		w := worlds.Generator().Example(i)
		for _, tool := range w.Tools {
			seen[tool.Behaviour.String()] = true
			if tool.Compensator != "" {
				seen["compensator"] = true
			}
		}
		for _, tn := range w.Tenants {
			seen[fmt.Sprint("contracts ", len(tn.Contracts) > 0)] = true
			for _, o := range tn.Overrides {
				_, contracted := tn.Contracts[o.Name]
				seen[fmt.Sprint("override anew ", o.Behaviour != 0, " contract ", contracted)] = true
			}
		}
		seen[fmt.Sprint("workflows ", len(w.Workflows) > 0)] = true
		seen[fmt.Sprint("narrowed ", len(w.Generated.Tools) > 0)] = true
	}
	want := append(slices.Clone(worlds.BehaviourNames), "compensator", "contracts true", "contracts false",
		"override anew true contract true", "override anew true contract false", "override anew false contract true", "override anew false contract false",
		"workflows true", "workflows false", "narrowed true", "narrowed false")
	for _, k := range want {
		if !seen[k] {
			t.Errorf("no drawn world has %s", k)
		}
	}
}

// yamlOf writes a world as a world file, every set field as its key.
func yamlOf(w *worlds.World) string {
	var b strings.Builder
	fmt.Fprintf(&b, "world: v1\nname: %s\n", w.Name)
	if w.Description != "" {
		fmt.Fprintf(&b, "description: %q\n", w.Description)
	}
	b.WriteString("tools:\n")
	for _, t := range w.Tools {
		fmt.Fprintf(&b, "  %s: %s\n", t.Name, toolOf(t, t))
	}
	b.WriteString("tenants:\n")
	for _, tn := range w.Tenants {
		fmt.Fprintf(&b, "  %s:\n    description: %q\n", tn.Name, tn.Description)
		if len(tn.Overrides) > 0 {
			b.WriteString("    overrides:\n")
		}
		for _, o := range tn.Overrides {
			base := w.Tools[slices.IndexFunc(w.Tools, func(t worlds.Tool) bool { return t.Name == o.Name })]
			fmt.Fprintf(&b, "      %s: %s\n", o.Name, toolOf(o, base))
		}
		if tn.Contracts != nil {
			b.WriteString("    contracts: {")
			for tool, c := range tn.Contracts {
				fmt.Fprintf(&b, "%s: [%s], ", tool, contractOf(c))
			}
			b.WriteString("}\n")
		}
	}
	if len(w.Workflows) > 0 {
		b.WriteString("workflows:\n")
	}
	for _, wf := range w.Workflows {
		fmt.Fprintf(&b, "  %s: {steps: [%s]", wf.Name, strings.Join(wf.Steps, ", "))
		if wf.Weight != 0 {
			fmt.Fprintf(&b, ", weight: %d", wf.Weight)
		}
		b.WriteString("}\n")
	}
	if len(w.Generated.Tools) > 0 {
		fmt.Fprintf(&b, "generated: {tools: [%s]}\n", strings.Join(w.Generated.Tools, ", "))
	}
	return b.String()
}

// toolOf writes a tool's set fields as a flow mapping; base is the tool an
// override patches (its behaviour says what kind of key the tool takes).
func toolOf(t, base worlds.Tool) string {
	var kv []string
	add := func(k string, v any) { kv = append(kv, fmt.Sprintf("%s: %v", k, v)) }
	if t.Behaviour != 0 {
		add("behaviour", t.Behaviour)
		base = t
	}
	if t.Description != "" {
		add("description", fmt.Sprintf("%q", t.Description))
	}
	if t.Class != 0 {
		add("class", t.Class)
	}
	if t.Tier != 0 {
		add("tier", t.Tier)
	}
	switch {
	case t.Keys == worlds.Off:
		add("keys", "none")
	case t.Keys == worlds.On && base.Behaviour == worlds.Model:
		add("keys", "dedup-token")
	case t.Keys == worlds.On:
		add("keys", "idempotency-key")
	}
	switch {
	case t.Lag > 0:
		add("lookup", "{lag: "+t.Lag.String()+"}")
	case t.Lookup != worlds.Unset:
		add("lookup", t.Lookup == worlds.On)
	}
	if t.Compensator != "" {
		add("compensator", t.Compensator)
	}
	if !t.Cost.IsZero() {
		add("cost_cents", rangeOf(t.Cost))
	}
	if t.Money != worlds.Unset {
		add("money", t.Money == worlds.On)
	}
	if t.Stream != worlds.Unset {
		add("stream", t.Stream == worlds.On)
	}
	var tokens []string
	if t.Tokens.Prompt != 0 {
		tokens = append(tokens, fmt.Sprintf("prompt: %d", t.Tokens.Prompt))
	}
	if t.Tokens.Chunk != 0 {
		tokens = append(tokens, fmt.Sprintf("chunk: %d", t.Tokens.Chunk))
	}
	if !t.Tokens.Chunks.IsZero() {
		tokens = append(tokens, "chunks: "+rangeOf(t.Tokens.Chunks))
	}
	if len(tokens) > 0 {
		add("tokens", "{"+strings.Join(tokens, ", ")+"}")
	}
	var limit []string
	if t.RateLimit.Calls != 0 {
		limit = append(limit, fmt.Sprintf("calls: %d", t.RateLimit.Calls))
	}
	if t.RateLimit.Window != 0 {
		limit = append(limit, "window: "+t.RateLimit.Window.String())
	}
	if t.RateLimit.RetryAfter != 0 {
		limit = append(limit, "retry_after: "+t.RateLimit.RetryAfter.String())
	}
	if len(limit) > 0 {
		add("rate_limit", "{"+strings.Join(limit, ", ")+"}")
	}
	return "{" + strings.Join(kv, ", ") + "}"
}

func rangeOf(r worlds.Range) string {
	if r.Max <= r.Min {
		return fmt.Sprint(r.Min)
	}
	return fmt.Sprintf("{min: %d, max: %d}", r.Min, r.Max)
}

func contractOf(c policy.Contract) string {
	var parts []string
	if c.NeverRetry {
		parts = append(parts, "never-retry")
	}
	if c.AtMostOnce {
		parts = append(parts, "at-most-once")
	}
	if c.KeyRequired {
		parts = append(parts, "key-required")
	}
	return strings.Join(parts, ", ")
}
