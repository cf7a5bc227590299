package policies_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/policies"
)

// A policy file compiles to rules: each rule keeps its line, and keys left
// out take the reference architecture's values.
func ExampleParse() {
	r, err := policies.Parse("ours.yaml", []byte(`
name: ours
budget: {max_retries: 3}
rules:
  - when: {layer: orchestrator, class: deterministic}
    do: fail
  - when: {phase: pre}
    do: retry
  - when: {tool: [insert_record, create_charge], phase: [mid, post]}
    do: reconcile
  - do: dead-letter
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Name(), "retries up to", r.Arch.Budget.MaxRetries, "times")
	for _, rule := range r.List {
		fmt.Printf("line %d: %s when {%s}\n", rule.Line, rule.Do, rule.When)
	}
	// Output:
	// ours retries up to 3 times
	// line 5: fail when {class: deterministic, layer: orchestrator}
	// line 7: retry when {phase: pre}
	// line 9: reconcile when {tool: [insert_record, create_charge], phase: [mid, post]}
	// line 11: dead-letter when {}
}

// A file with a mistake in it is refused whole, with the line and the key.
func ExampleParse_refused() {
	_, err := policies.Parse("ours.yaml", []byte(`name: ours
rules:
  - when: {phase: during}
    do: retry
`))
	fmt.Println(err)
	// Output:
	// ours.yaml:3: rules[0].when.phase: unknown phase "during" (valid: pre, mid, post)
}

// The catalog's files are built in and load by name.
func ExampleBuiltin() {
	r, err := policies.Builtin("retry-only")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Description)
	fmt.Println("compensation:", r.Arch.Compensation(), "reconciliation:", r.Arch.Reconciliation(), "rules:", len(r.List))
	// Output:
	// Retry what is safe to retry; otherwise fail: no compensation, no dead letters, no reconciliation.
	// compensation: false reconciliation: false rules: 6
}

func ExampleLoad() {
	r, err := policies.Load("reference.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Name(), len(r.List), "rules, the last at line", r.List[len(r.List)-1].Line)
	// Output:
	// reference 15 rules, the last at line 92
}

// Format writes rules, built in Go or parsed, as a policy file.
func ExampleFormat() {
	r, err := policies.Parse("ours.yaml", []byte(`
name: ours
rules:
  - when: {llm_phase: mid-inference}
    do: retry
    max_retries: 2
    dedup_token: true
  - do: dead-letter
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(policies.Format(r)))
	// Output:
	// name: "ours"
	// architecture:
	//   context: versioned
	//   resume: checkpoint
	//   compensation: true
	//   reconciliation: true
	//   tenant_contracts: honor
	//   idempotency_keys: per-operation
	// budget: {scope: step, max_retries: 5}
	// backoff: {initial: 100ms, multiplier: 2, max: 10s, jitter: full}
	// rules:
	//   - when: {llm_phase: mid-inference}
	//     do: retry
	//     max_retries: 2
	//     dedup_token: true
	//   - do: dead-letter
}
