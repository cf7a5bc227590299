package policies_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
)

// BenchmarkLintAtTheRuleLimit lints a file of policies.MaxRules rules that
// tell apart every attempt number a rule may name and two hundred statuses:
// as many situations as a file can ask the linter to evaluate.
func BenchmarkLintAtTheRuleLimit(b *testing.B) {
	var src strings.Builder
	src.WriteString("name: big\nrules:\n")
	for i := range policies.MaxRules - 1 {
		fmt.Fprintf(&src, "  - when: {tool: send_email, attempt: %d, status: [%d]}\n    do: fail\n", i%101+1, 400+i%200)
	}
	src.WriteString("  - do: dead-letter\n")
	r, err := policies.Parse("big.yaml", []byte(src.String()))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		policies.Lint(r)
	}
}
