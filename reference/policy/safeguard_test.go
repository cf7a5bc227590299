package policy_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
)

func TestSafeguardNames(t *testing.T) {
	t.Parallel()
	all := policy.AllSafeguards()
	seen := map[string]bool{}
	for _, g := range all {
		if n := g.String(); n == "" || seen[n] || strings.HasPrefix(n, "invalid") {
			t.Errorf("safeguard %d is named %q", g, n)
		}
		seen[g.String()] = true
	}
	if s := policy.SafeguardSet(all...); s.Len() != len(all) {
		t.Errorf("the set of every safeguard has %d of %d", s.Len(), len(all))
	}
	s := policy.SafeguardSet(policy.ReviewQueue, policy.CopyOnWrite)
	if s.String() != "copy-on-write+review-queue" || !s.Has(policy.ReviewQueue) || s.Has(policy.AtomicCommit) {
		t.Errorf("set %q", s)
	}
	if p := policy.ReferenceWithout(policy.ReviewQueue, policy.CopyOnWrite); p.Name() != "reference-without-copy-on-write+review-queue" || p.Architecture().Without != s {
		t.Errorf("ReferenceWithout is %q without %q", p.Name(), p.Architecture().Without)
	}
}

func TestSafeguardsDropContractClauses(t *testing.T) {
	t.Parallel()
	every := policy.Contract{NeverRetry: true, AtMostOnce: true, KeyRequired: true}
	cases := []struct {
		off  policy.Safeguard
		want policy.Contract
	}{
		{policy.NeverRetryContract, policy.Contract{AtMostOnce: true, KeyRequired: true}},
		{policy.AtMostOnceContract, policy.Contract{NeverRetry: true, KeyRequired: true}},
		{policy.KeyRequiredContract, policy.Contract{NeverRetry: true, AtMostOnce: true}},
		{policy.CopyOnWrite, every},
	}
	for _, c := range cases {
		if got := policy.SafeguardSet(c.off).Contract(every); got != c.want {
			t.Errorf("without %s: %+v, want %+v", c.off, got, c.want)
		}
	}
	if got := policy.Safeguards(0).Contract(every); got != every {
		t.Errorf("no safeguard off: %+v", got)
	}
}

// Each of the policy's own safeguards, switched off, changes the decision
// it guards, and only that one.
func TestSafeguardsOfTheDecision(t *testing.T) {
	t.Parallel()
	invalidPlan := observed(planner, outcome.StageValidate, &outcome.InvalidPlanError{Reason: "names clarify_intent"}, 0)
	postCommit := observed(insert, outcome.StageCommit, outcome.ErrTimeout, 0)
	refused := observed(email, outcome.StageInvoke, outcome.ErrRefused, 0)
	limited := observed(email, outcome.StageInvoke, outcome.Status(429, 30*time.Second), 0)
	cases := []struct {
		name    string
		off     policy.Safeguard
		in      policy.Input
		on, was policy.Action
	}{
		{"an invalid plan", policy.NoPlanRetry, policy.Input{Entry: planner, Outcome: invalidPlan}, policy.Fail, policy.Retry},
		{"a commit failed after the tool acted", policy.ReconcileAfterActed, policy.Input{Entry: insert, Outcome: postCommit, HasKey: true}, policy.Reconcile, policy.Retry},
		{"a refusal with the retries spent", policy.RetryBudget, policy.Input{Entry: email, Outcome: refused, Retries: 5}, policy.Fail, policy.Retry},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			on := policy.Resolve(policy.Reference(), c.in)
			off := policy.Resolve(policy.ReferenceWithout(c.off), c.in)
			if on.Action != c.on || off.Action != c.was {
				t.Errorf("with %s: %s; without: %s; want %s, then %s", c.off, on, off, c.on, c.was)
			}
		})
	}
	in := policy.Input{Entry: email, Outcome: limited, Jitter: 0.5}
	on, off := policy.Resolve(policy.Reference(), in), policy.Resolve(policy.ReferenceWithout(policy.RetryAfter), in)
	if on.Delay != 30*time.Second || off.Delay >= 30*time.Second || off.Action != policy.Retry {
		t.Errorf("a 429 asking for 30s: retried in %s with the safeguard, %s (%s) without", on.Delay, off.Delay, off.Action)
	}
	for _, g := range policy.AllSafeguards() {
		if slices.Contains([]policy.Safeguard{policy.NoPlanRetry, policy.ReconcileAfterActed, policy.RetryBudget}, g) {
			continue
		}
		for _, c := range cases {
			if got, want := policy.Resolve(policy.ReferenceWithout(g), c.in), policy.Resolve(policy.Reference(), c.in); got.Action != want.Action {
				t.Errorf("without %s, %s: %s, want the reference's %s", g, c.name, got, want)
			}
		}
	}
}
