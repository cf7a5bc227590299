package policies

import (
	"fmt"
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
		name(contractNames, a.TenantContracts), name(keyNames, a.Keys))
	fmt.Fprintf(&b, "budget: {scope: %s, max_retries: %d}\n", name(scopeNames, a.Budget.Scope), a.Budget.MaxRetries)
	fmt.Fprintf(&b, "backoff: {initial: %s, multiplier: %s, max: %s, jitter: %s}\n", a.Backoff.Initial,
		strconv.FormatFloat(a.Backoff.Multiplier, 'g', -1, 64), a.Backoff.Max, name(jitterNames, a.Backoff.Jitter))
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
	if when := formatWhen(r.When); when != "" {
		fmt.Fprintf(b, "%swhen: {%s}\n", lead, when)
		lead = "    "
	}
	fmt.Fprintf(b, "%sdo: %s\n", lead, r.Do)
	if r.Do != policy.Retry {
		return
	}
	if r.MaxRetries > 0 {
		fmt.Fprintf(b, "    max_retries: %d\n", r.MaxRetries)
	}
	if r.DedupToken {
		b.WriteString("    dedup_token: true\n")
	}
	if r.RequireKey {
		b.WriteString("    require_idempotency_key: true\n")
	}
}

// formatWhen renders a condition's keys in documentation order.
func formatWhen(m policy.Match) string {
	var parts []string
	add := func(key string, vs []string) {
		switch len(vs) {
		case 0:
		case 1:
			parts = append(parts, key+": "+vs[0])
		default:
			parts = append(parts, key+": ["+strings.Join(vs, ", ")+"]")
		}
	}
	flag := func(key string, v *bool) {
		if v != nil {
			parts = append(parts, key+": "+strconv.FormatBool(*v))
		}
	}
	add("tool", m.Tools)
	add("tier", tiers(m.Tiers))
	add("idempotency", words(m.Idempotency))
	add("phase", words(m.Phases))
	add("llm_phase", words(m.LLMPhases))
	add("class", words(m.Classes))
	add("layer", words(m.Layers))
	flag("side_effects", m.SideEffects)
	add("context", words(m.Context))
	flag("signals_sent", m.SignalsSent)
	add("tenant", m.Tenants)
	if m.Attempt > 0 {
		parts = append(parts, "attempt: "+strconv.Itoa(m.Attempt))
	}
	flag("lookup", m.Lookup)
	flag("compensator", m.Compensator)
	return strings.Join(parts, ", ")
}

func tiers(ts []int) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strconv.Itoa(t)
	}
	return out
}

func words[T fmt.Stringer](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}
