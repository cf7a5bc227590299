package policies

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/reference/policy"
)

// Format writes r as a policy file: every architecture key spelled out,
// each rule's when as one flow mapping. [Parse] reads it back to the same
// rules (but for their lines), so a policy built in Go can be saved as a
// file and edited.
func Format(r *policy.Rules) []byte {
	var b strings.Builder
	a := r.Arch
	fmt.Fprintf(&b, "name: %s\n", strconv.Quote(r.PolicyName))
	if r.Description != "" {
		fmt.Fprintf(&b, "description: %s\n", strconv.Quote(r.Description))
	}
	fmt.Fprintf(&b, "architecture:\n  context: %s\n  resume: %s\n  compensation: %t\n  reconciliation: %t\n  tenant_contracts: %s\n  idempotency_keys: %s\n",
		name(contextNames, a.Context), name(resumeNames, a.Resume), a.Compensation(), a.Reconciliation(),
		name(contractNames, a.TenantContracts), formatKeys(a))
	fmt.Fprintf(&b, "budget: {scope: %s, max_retries: %s", name(scopeNames, a.Budget.Scope), formatRetries(a.Budget.MaxRetries))
	if a.Budget.MaxElapsed > 0 {
		fmt.Fprintf(&b, ", max_elapsed: %s", a.Budget.MaxElapsed)
	}
	jitter := name(jitterNames, a.Backoff.Jitter)
	if a.Backoff.Jitter == policy.FactorJitter {
		jitter = "{factor: " + strconv.FormatFloat(a.Backoff.Factor, 'g', -1, 64) + "}"
	}
	fmt.Fprintf(&b, "}\nbackoff: {initial: %s, multiplier: %s, max: %s, jitter: %s", a.Backoff.Initial,
		strconv.FormatFloat(a.Backoff.Multiplier, 'g', -1, 64), a.Backoff.Max, jitter)
	if a.Backoff.IgnoreRetryAfter {
		b.WriteString(", retry_after: ignore")
	}
	b.WriteString("}\n")
	b.WriteString("rules:")
	if len(r.List) == 0 {
		b.WriteString(" []")
	}
	b.WriteString("\n")
	for _, rule := range r.List {
		formatRule(&b, rule)
	}
	return []byte(b.String())
}

func name[T ~uint8](names []string, v T) string {
	if int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("invalid(%d)", v)
}

func formatRule(b *strings.Builder, r policy.Rule) {
	lead := "  - "
	if when := r.When.String(); when != "" {
		fmt.Fprintf(b, "%swhen: {%s}\n", lead, when)
		lead = "    "
	}
	fmt.Fprintf(b, "%sdo: %s\n", lead, r.Do)
	if r.Do != policy.Retry {
		return
	}
	if r.MaxRetries > 0 {
		fmt.Fprintf(b, "    max_retries: %s\n", formatRetries(r.MaxRetries))
	}
	if r.DedupToken {
		b.WriteString("    dedup_token: true\n")
	}
	if r.RequireKey {
		b.WriteString("    require_idempotency_key: true\n")
	}
}

func formatRetries(n int) string {
	if n == policy.Unlimited {
		return "unlimited"
	}
	return strconv.Itoa(n)
}

// formatKeys writes idempotency_keys: one mode, or a mapping by tool.
func formatKeys(a policy.Architecture) string {
	if len(a.ToolKeys) == 0 {
		return name(keyNames, a.Keys)
	}
	parts := []string{"default: " + name(keyNames, a.Keys)}
	for _, tool := range slices.Sorted(maps.Keys(a.ToolKeys)) {
		parts = append(parts, tool+": "+name(keyNames, a.ToolKeys[tool]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
