package policies_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/policies"
)

// Lint evaluates the rules on every kind of failure of the registered tools
// and says what they would do wrong.
func ExampleLint() {
	r, err := policies.Parse("ours.yaml", []byte(`name: ours
rules:
  - when: {layer: orchestrator, class: deterministic}
    do: fail
  - when: {tier: 3}
    do: retry
    max_retries: 2
  - do: dead-letter
  - when: {phase: pre}
    do: retry
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range policies.Lint(r) {
		fmt.Printf("ours.yaml:%s\n", f)
	}
	// Output:
	// ours.yaml:5: error: rules[1]: retries tier-3 send_email after it may have acted (in phase mid or post): an irreversible effect happens twice (no-duplicate-side-effects); create_charge is deduplicated only by its idempotency key
	// ours.yaml:9: error: rules[3]: never reached: shadowed by the catch-all rules[2] (line 8), which decides every failure first
}
