package policy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// fixed is a policy whose system decision is given: it isolates Resolve's
// own work (contracts, budget, backoff) from any decision tree.
type fixed struct {
	d    policy.Decision
	arch policy.Architecture
}

func (f fixed) Name() string                        { return "fixed" }
func (f fixed) Architecture() policy.Architecture   { return f.arch }
func (f fixed) Decide(policy.Input) policy.Decision { return f.d }
func retrying(max int) policy.Decision              { return policy.RetryUpTo(max, "system policy") }
func deciding(a policy.Action) policy.Decision      { return policy.Decide(a, "system policy") }
func noJitter() policy.Architecture {
	a := policy.DefaultArchitecture()
	a.Backoff.Jitter = policy.NoJitter
	return a
}
func withArch(d policy.Decision, a policy.Architecture) fixed { return fixed{d: d, arch: a} }

// Outcomes of the failures the cases use.
var (
	refused = outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrRefused, SideEffects: true})
	lost    = outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, SideEffects: true})
)

// Registry entries of the tools the cases use.
var (
	lookupTool = registry.Entry{Tool: "publish_report", Class: registry.NonIdempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true,
		Keys: registry.IdempotencyKey, Lookup: true}
	blindTool = registry.Entry{Tool: "publish_report", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true}
)

func TestResolveTenantContracts(t *testing.T) {
	t.Parallel()
	never := policy.Contract{NeverRetry: true}
	atMostOnce := policy.Contract{AtMostOnce: true}
	keyed := policy.Contract{AtMostOnce: true, KeyRequired: true}
	cases := []struct {
		name     string
		d        policy.Decision
		contract policy.Contract
		entry    registry.Entry
		out      outcome.Outcome
		hasKey   bool
		want     policy.Action
		says     string
	}{
		{"never retry with effects and a lookup by key reconciles", retrying(5), never, lookupTool, lost, true,
			policy.Reconcile, "tenant t contract (never retry automatically): look the operation up instead of retrying"},
		{"never retry with effects and no key dead-letters", retrying(5), never, lookupTool, lost, false,
			policy.DeadLetter, "tenant t contract: never retry automatically"},
		{"never retry with effects and no lookup dead-letters", retrying(5), never, blindTool, lost, true,
			policy.DeadLetter, "never retry automatically"},
		{"never retry holds even when the tool did not act", retrying(5), never, lookupTool, refused, true,
			policy.DeadLetter, "never retry automatically"},
		{"at most once with effects and a lookup by key reconciles", retrying(5), atMostOnce, lookupTool, lost, true,
			policy.Reconcile, "(at most once): look the operation up"},
		{"at most once with effects and no lookup dead-letters", retrying(5), atMostOnce, blindTool, lost, true,
			policy.DeadLetter, "tenant t contract: at most once, and the operation may have happened"},
		{"at most once allows a retry of what provably did not happen", retrying(5), atMostOnce, blindTool, refused, false,
			policy.Retry, "system policy"},
		{"key required and no key dead-letters before anything else", retrying(5), keyed, lookupTool, lost, false,
			policy.DeadLetter, "tenant t requires an idempotency key and the operation has none"},
		{"key required and no key dead-letters a harmless retry too", retrying(5), policy.Contract{KeyRequired: true}, lookupTool, refused, false,
			policy.DeadLetter, "requires an idempotency key"},
		{"key required with a key allows the retry", retrying(5), policy.Contract{KeyRequired: true}, lookupTool, refused, true,
			policy.Retry, "system policy"},
		{"no contract leaves the retry alone", retrying(5), policy.Contract{}, blindTool, lost, false,
			policy.Retry, "system policy"},
		{"a contract only constrains retries: compensate stands", deciding(policy.Compensate), never, lookupTool, lost, true,
			policy.Compensate, "system policy"},
		{"a contract only constrains retries: fail stands", deciding(policy.Fail), keyed, lookupTool, lost, false,
			policy.Fail, "system policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := policy.Input{Tenant: "t", Entry: c.entry, Contract: c.contract, Outcome: c.out, Attempt: 1,
				HasKey: c.hasKey, StableKey: c.hasKey}
			d := policy.Resolve(withArch(c.d, policy.DefaultArchitecture()), in)
			if d.Action != c.want || !strings.Contains(d.Reason, c.says) {
				t.Errorf("Resolve = %s, want %s saying %q", d, c.want, c.says)
			}
		})
	}
}

func TestResolveIgnoreModeSkipsContracts(t *testing.T) {
	t.Parallel()
	arch := noJitter()
	arch.TenantContracts = policy.Ignore
	for _, c := range []policy.Contract{{NeverRetry: true}, {AtMostOnce: true}, {KeyRequired: true}} {
		in := policy.Input{Tenant: "globex", Entry: blindTool, Contract: c, Outcome: lost, Attempt: 1}
		d := policy.Resolve(withArch(retrying(5), arch), in)
		if d.Action != policy.Retry || d.Delay != 100*time.Millisecond {
			t.Errorf("contract %q ignored: Resolve = %s, want a retry in 100ms", c, d)
		}
	}
}

func TestResolveElapsedBudgetAndRetryAfter(t *testing.T) {
	t.Parallel()
	arch := noJitter()
	arch.Budget.MaxElapsed = time.Second
	rateLimited := outcome.Outcome{Phase: outcome.PhasePre, Class: outcome.RateLimited, Layer: outcome.Agent, RetryAfter: 800 * time.Millisecond, Status: 429}
	cases := []struct {
		name    string
		ignore  bool
		elapsed time.Duration
		out     outcome.Outcome
		want    policy.Action
		delay   time.Duration
	}{
		{"within the elapsed budget", false, 500 * time.Millisecond, refused, policy.Retry, 100 * time.Millisecond},
		{"a retry that would start past it", false, 950 * time.Millisecond, refused, policy.Fail, 0},
		{"Retry-After honoured", false, 0, rateLimited, policy.Retry, 800 * time.Millisecond},
		{"Retry-After honoured past the elapsed budget", false, 300 * time.Millisecond, rateLimited, policy.Fail, 0},
		{"Retry-After ignored", true, 300 * time.Millisecond, rateLimited, policy.Retry, 100 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := arch
			a.Backoff.IgnoreRetryAfter = c.ignore
			in := policy.Input{Tenant: "t", Entry: blindTool, Outcome: c.out, Attempt: 1, Elapsed: c.elapsed}
			d := policy.Resolve(withArch(retrying(5), a), in)
			if d.Action != c.want || d.Delay != c.delay {
				t.Fatalf("Resolve = %s (delay %s), want %s in %s", d, d.Delay, c.want, c.delay)
			}
			if d.Action != policy.Retry && !strings.Contains(d.Reason, "elapsed-time budget spent") {
				t.Errorf("reason %q does not name the elapsed-time budget", d.Reason)
			}
		})
	}
}

func TestResolveBudget(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		d       policy.Decision
		out     outcome.Outcome
		retries int
		hasKey  bool
		stable  bool
		want    policy.Action
		says    string
	}{
		{"within the budget", retrying(3), lost, 2, false, false, policy.Retry, "system policy"},
		{"spent with possible effects escalates to dead-letter", retrying(3), lost, 3, false, false,
			policy.DeadLetter, "retry budget spent (3 of 3)"},
		{"spent without effects fails", retrying(3), refused, 3, false, false, policy.Fail, "retry budget spent (3 of 3)"},
		{"overspent", retrying(3), refused, 7, false, false, policy.Fail, "retry budget spent (7 of 3)"},
		{"a zero limit allows no retry", retrying(0), refused, 0, false, false, policy.Fail, "retry budget spent (0 of 0)"},
		{"require key with a stable key retries", requireKey(retrying(3)), lost, 0, true, true, policy.Retry, "system policy"},
		// A presence check, as middleware does it: a per-attempt key passes,
		// and deduplicates nothing.
		{"require key with a per-attempt key retries", requireKey(retrying(3)), lost, 0, true, false, policy.Retry, "system policy"},
		{"require key without any key dead-letters what may have acted", requireKey(retrying(3)), lost, 0, false, false,
			policy.DeadLetter, "retry requires an idempotency key and the attempt carries none"},
		{"require key without any key fails what did not act", requireKey(retrying(3)), refused, 0, false, false,
			policy.Fail, "retry requires an idempotency key"},
		{"an unlimited budget is never spent", retrying(policy.Unlimited), lost, 10000, false, false, policy.Retry, "system policy"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := policy.Input{Tenant: "t", Entry: blindTool, Outcome: c.out, Attempt: c.retries + 1, Retries: c.retries,
				HasKey: c.hasKey, StableKey: c.stable}
			d := policy.Resolve(withArch(c.d, noJitter()), in)
			if d.Action != c.want || !strings.Contains(d.Reason, c.says) {
				t.Fatalf("Resolve = %s, want %s saying %q", d, c.want, c.says)
			}
			if d.Action != policy.Retry && d.Delay != 0 {
				t.Errorf("a %s has a delay of %s", d.Action, d.Delay)
			}
		})
	}
}

func requireKey(d policy.Decision) policy.Decision { d.RequireKey = true; return d }

func TestResolveDelay(t *testing.T) {
	t.Parallel()
	rateLimited := func(ra time.Duration) outcome.Outcome {
		return outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.Status(429, ra), SideEffects: true})
	}
	cases := []struct {
		name    string
		out     outcome.Outcome
		retries int
		jitter  float64
		arch    policy.Architecture
		want    time.Duration
	}{
		{"first retry waits the initial delay", refused, 0, 0, noJitter(), 100 * time.Millisecond},
		{"the delay grows with the retries spent", refused, 2, 0, noJitter(), 400 * time.Millisecond},
		{"the jitter draw scales a full-jitter delay", refused, 1, 0.25, policy.DefaultArchitecture(), 50 * time.Millisecond},
		{"a longer Retry-After raises the delay", rateLimited(3 * time.Second), 0, 0, noJitter(), 3 * time.Second},
		{"a shorter Retry-After leaves the delay", rateLimited(10 * time.Millisecond), 2, 0, noJitter(), 400 * time.Millisecond},
		{"Retry-After beats a zero jitter draw", rateLimited(time.Second), 0, 0, policy.DefaultArchitecture(), time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			in := policy.Input{Tenant: "t", Entry: blindTool, Outcome: c.out, Retries: c.retries, Jitter: c.jitter}
			d := policy.Resolve(withArch(retrying(5), c.arch), in)
			if d.Action != policy.Retry || d.Delay != c.want {
				t.Errorf("Resolve = %s, want a retry in %s", d, c.want)
			}
			if d.MaxRetries != 5 {
				t.Errorf("MaxRetries = %d, want the policy's 5", d.MaxRetries)
			}
		})
	}
}

func TestResolveCompensation(t *testing.T) {
	t.Parallel()
	in := policy.Input{Tenant: "t", Entry: blindTool, Outcome: lost, Attempt: 1}
	d := policy.Resolve(withArch(policy.Decide(policy.Compensate, "undo it"), policy.DefaultArchitecture()), in)
	if d.Action != policy.Compensate || d.Reason != "undo it" {
		t.Errorf("with compensation: Resolve = %s", d)
	}
	arch := policy.DefaultArchitecture()
	arch.DisableCompensation = true
	d = policy.Resolve(withArch(policy.Decide(policy.Compensate, "undo it"), arch), in)
	if d.Action != policy.DeadLetter || d.Reason != "compensation is disabled: undo it" {
		t.Errorf("without compensation: Resolve = %s, want a dead-letter that says why", d)
	}
}

func TestResolvePassesOtherActionsThrough(t *testing.T) {
	t.Parallel()
	arch := policy.DefaultArchitecture()
	arch.DisableCompensation, arch.DisableReconciliation = true, true
	for _, a := range []policy.Action{policy.Reconcile, policy.DeadLetter, policy.Fail} {
		in := policy.Input{Tenant: "t", Entry: lookupTool, Contract: policy.Contract{NeverRetry: true}, Outcome: lost, Retries: 99}
		d := policy.Resolve(withArch(deciding(a), arch), in)
		if d.Action != a || d.Reason != "system policy" || d.Delay != 0 {
			t.Errorf("Resolve of %s = %+v, want it unchanged", a, d)
		}
	}
}

func TestResolvePolicyWithoutAction(t *testing.T) {
	t.Parallel()
	d := policy.Resolve(withArch(policy.Decision{Reason: "forgot"}, policy.DefaultArchitecture()), policy.Input{Outcome: lost})
	if d.Action != policy.Fail || d.Reason != "the policy returned no action" {
		t.Errorf("Resolve = %s, want a failure saying the policy returned no action", d)
	}
}

func TestActionNames(t *testing.T) {
	t.Parallel()
	if got := strings.Join(policy.ActionNames, " "); got != "retry compensate reconcile dead-letter fail" {
		t.Errorf("ActionNames = %q", got)
	}
	for _, name := range policy.ActionNames {
		a, err := policy.ParseAction(name)
		if err != nil || a.String() != name {
			t.Errorf("ParseAction(%q) = %v, %v", name, a, err)
		}
	}
	_, err := policy.ParseAction("give-up")
	if err == nil || !strings.Contains(err.Error(), `"give-up"`) || !strings.Contains(err.Error(), "retry, compensate, reconcile, dead-letter, fail") {
		t.Errorf("ParseAction of an unknown name: %v", err)
	}
	if got := policy.Action(0).String(); got != "invalid(0)" {
		t.Errorf("Action(0) = %q", got)
	}
}

func TestDecisionString(t *testing.T) {
	t.Parallel()
	d := policy.RetryUpTo(3, "why")
	d.Delay = 1500 * time.Millisecond
	if got := d.String(); got != "retry in 1.5s (why)" {
		t.Errorf("retry: %q", got)
	}
	if got := policy.Decide(policy.DeadLetter, "why").String(); got != "dead-letter (why)" {
		t.Errorf("dead-letter: %q", got)
	}
}

func TestContract(t *testing.T) {
	t.Parallel()
	cases := []struct {
		c    policy.Contract
		zero bool
		want string
	}{
		{policy.Contract{}, true, "none"},
		{policy.Contract{NeverRetry: true}, false, "never retry automatically"},
		{policy.Contract{AtMostOnce: true, KeyRequired: true}, false, "at most once, idempotency key required"},
		{policy.Contract{NeverRetry: true, AtMostOnce: true, KeyRequired: true}, false, "never retry automatically, at most once, idempotency key required"},
	}
	for _, c := range cases {
		if c.c.IsZero() != c.zero || c.c.String() != c.want {
			t.Errorf("%+v: IsZero %v, String %q; want %v, %q", c.c, c.c.IsZero(), c.c.String(), c.zero, c.want)
		}
	}
}
