package reports

import (
	"bytes"
	"encoding/json"
	"slices"
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
	hasKeys(t, "report", doc, nil, "schema", "mode", "seed", "runs_per_policy", "shard", "store", "world", "seeds", "version", "invariants", "policies")
	hasKeys(t, "seeds", doc["seeds"].(map[string]any), nil, "first", "last")
	if doc["shard"] != "1/1" || doc["store"] != "memory" || doc["world"] != "default" {
		t.Errorf("shard %v, store %v, world %v", doc["shard"], doc["store"], doc["world"])
	}
	if doc["schema"] != "chaosrun.report/v1" {
		t.Errorf("schema = %v", doc["schema"])
	}
	ids := doc["invariants"].([]any)
	if len(ids) != 11 {
		t.Errorf("%d invariants, want 11", len(ids))
	}
	ps := doc["policies"].([]any)
	if len(ps) != len(r.Policies) {
		t.Fatalf("%d policies, want %d", len(ps), len(r.Policies))
	}
	for i, raw := range ps {
		p := raw.(map[string]any)
		name := r.Policies[i].Name
		hasKeys(t, name, p, []string{"summary", "mistake", "expected_violations"},
			"name", "source", "runs", "elapsed_ms", "violations", "first_failure", "executions", "cost", "unknown", "failures", "all_faults", "coverage")
		cov := p["coverage"].(map[string]any)
		hasKeys(t, name+" coverage", cov, nil, "reachable", "hit", "missing", "targeted_runs")
		if c := r.Policies[i].Coverage; cov["reachable"] != float64(c.Reachable) || cov["hit"] != float64(c.Hit) || len(cov["missing"].([]any)) != len(c.Missing) {
			t.Errorf("%s: coverage %v, want %+v", name, cov, c)
		}
		for _, counts := range []string{"violations", "unknown"} {
			v := p[counts].(map[string]any)
			for _, id := range ids {
				if _, ok := v[id.(string)]; !ok {
					t.Errorf("%s: %s lacks %s", name, counts, id)
				}
			}
		}
		for _, f := range p["failures"].([]any) {
			hasKeys(t, name+" failure", f.(map[string]any), nil, "invariant", "seed", "scenario", "steps", "shrunk", "message", "replay")
		}
		if got, want := len(p["failures"].([]any)), len(r.Policies[i].Failures); got != want {
			t.Errorf("%s: %d failures, want %d", name, got, want)
		}
		hasKeys(t, name+" executions", p["executions"].(map[string]any), nil, "total", "completed", "compensated", "dead_lettered", "failed")
		hasKeys(t, name+" cost", p["cost"].(map[string]any), nil, "tool_calls", "retries", "duplicate_effects", "duplicate_charges_cents", "duplicate_cost_cents",
			"llm_tokens_wasted", "dead_lettered", "compensations", "reconciliation_events")
		ff, violated := p["first_failure"], r.Policies[i].Violated()
		switch {
		case !violated && ff != nil:
			t.Errorf("%s: clean, but first_failure is %v", name, ff)
		case violated && ff == nil:
			t.Errorf("%s: violated, but first_failure is null", name)
		case violated:
			hasKeys(t, name+" first_failure", ff.(map[string]any), nil, "invariant", "seed", "scenario", "steps", "replay")
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

// hasKeys checks that m has every key and no other but the optional ones.
func hasKeys(t *testing.T, what string, m map[string]any, optional []string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q", what, k)
		}
	}
	for k := range m {
		if !slices.Contains(keys, k) && !slices.Contains(optional, k) {
			t.Errorf("%s has %q, which is not in the schema", what, k)
		}
	}
}
