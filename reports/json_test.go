package reports

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestJSONSchema decodes the JSON report and checks it against the
// chaosrun.report/v1 contract (DESIGN section 6).
func TestJSONSchema(t *testing.T) {
	t.Parallel()
	r := setup(t)
	var doc map[string]any
	if err := json.Unmarshal(render(t, JSON, r), &doc); err != nil {
		t.Fatal(err)
	}
	hasKeys(t, "report", doc, "schema", "mode", "seed", "runs_per_policy", "invariants", "policies")
	if doc["schema"] != "chaosrun.report/v1" {
		t.Errorf("schema = %v", doc["schema"])
	}
	ids := doc["invariants"].([]any)
	if len(ids) != 10 {
		t.Errorf("%d invariants, want 10", len(ids))
	}
	ps := doc["policies"].([]any)
	if len(ps) != len(r.Policies) {
		t.Fatalf("%d policies, want %d", len(ps), len(r.Policies))
	}
	for i, raw := range ps {
		p := raw.(map[string]any)
		name := r.Policies[i].Name
		hasKeys(t, name, p, "name", "source", "runs", "elapsed_ms", "violations", "first_failure", "executions", "cost")
		v := p["violations"].(map[string]any)
		for _, id := range ids {
			if _, ok := v[id.(string)]; !ok {
				t.Errorf("%s: violations lacks %s", name, id)
			}
		}
		hasKeys(t, name+" executions", p["executions"].(map[string]any), "total", "completed", "compensated", "dead_lettered", "failed")
		hasKeys(t, name+" cost", p["cost"].(map[string]any), "tool_calls", "retries", "duplicate_effects", "duplicate_charges_cents", "duplicate_cost_cents",
			"llm_tokens_wasted", "dead_lettered", "compensations", "reconciliation_events")
		ff, violated := p["first_failure"], r.Policies[i].Violated()
		switch {
		case !violated && ff != nil:
			t.Errorf("%s: clean, but first_failure is %v", name, ff)
		case violated && ff == nil:
			t.Errorf("%s: violated, but first_failure is null", name)
		case violated:
			hasKeys(t, name+" first_failure", ff.(map[string]any), "invariant", "seed", "scenario", "steps", "replay")
		}
	}
}

// TestJSONRoundTrip decodes the JSON report into a Report and renders it
// again, byte for byte the same; the other formats render the decoded
// report too, with the little it keeps of each counterexample.
func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	first := render(t, JSON, setup(t))
	var back Report
	if err := json.Unmarshal(first, &back); err != nil {
		t.Fatal(err)
	}
	if again := render(t, JSON, &back); !bytes.Equal(first, again) {
		t.Errorf("the decoded report renders differently")
	}
	for _, f := range formats {
		out := render(t, f.render, &back)
		if f.name != "json" && f.name != "table" && !bytes.Contains(out, []byte("chaosrun replay --policy naive-backoff --seed")) {
			t.Errorf("%s of the decoded report lacks the replay line", f.name)
		}
	}
}

func hasKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
	if len(m) != len(keys) {
		t.Errorf("%s has %d keys, the schema %d: %v", what, len(m), len(keys), m)
	}
}
