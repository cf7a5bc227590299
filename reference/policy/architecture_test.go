package policy_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/policy"
)

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	backoff := func(j policy.Jitter) policy.Backoff {
		return policy.Backoff{Initial: 100 * ms, Multiplier: 2, Max: 2 * time.Second, Jitter: j}
	}
	cases := []struct {
		name    string
		b       policy.Backoff
		u       float64
		for1to6 [6]time.Duration
	}{
		{"no jitter doubles up to the cap", backoff(policy.NoJitter), 0.9,
			[6]time.Duration{100 * ms, 200 * ms, 400 * ms, 800 * ms, 1600 * ms, 2000 * ms}},
		{"full jitter scales by the draw", backoff(policy.FullJitter), 0.5,
			[6]time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms}},
		{"full jitter with a zero draw does not wait", backoff(policy.FullJitter), 0,
			[6]time.Duration{}},
		{"equal jitter keeps half and scales the other half", backoff(policy.EqualJitter), 0.5,
			[6]time.Duration{75 * ms, 150 * ms, 300 * ms, 600 * ms, 1200 * ms, 1500 * ms}},
		{"equal jitter with a zero draw waits half", backoff(policy.EqualJitter), 0,
			[6]time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms}},
		{"no cap when max is zero", policy.Backoff{Initial: 100 * ms, Multiplier: 3, Jitter: policy.NoJitter}, 0,
			[6]time.Duration{100 * ms, 300 * ms, 900 * ms, 2700 * ms, 8100 * ms, 24300 * ms}},
		{"a jitter factor's lowest draw takes off the factor", policy.Backoff{Initial: 100 * ms, Multiplier: 2, Max: 2 * time.Second, Jitter: policy.FactorJitter, Factor: 0.5}, 0,
			[6]time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 800 * ms, 1000 * ms}},
		{"a jitter factor's draw of 0.75 adds half the factor", policy.Backoff{Initial: 100 * ms, Multiplier: 2, Max: 2 * time.Second, Jitter: policy.FactorJitter, Factor: 0.5}, 0.75,
			[6]time.Duration{125 * ms, 250 * ms, 500 * ms, 1000 * ms, 2000 * ms, 2500 * ms}},
		{"multiplier 1 is a constant delay", policy.Backoff{Initial: 250 * ms, Multiplier: 1, Max: time.Second, Jitter: policy.NoJitter}, 0,
			[6]time.Duration{250 * ms, 250 * ms, 250 * ms, 250 * ms, 250 * ms, 250 * ms}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for n := 1; n <= 6; n++ {
				if got := c.b.Delay(n, c.u); got != c.for1to6[n-1] {
					t.Errorf("Delay(%d, %g) = %s, want %s", n, c.u, got, c.for1to6[n-1])
				}
			}
		})
	}
	t.Run("retry numbers below 1 count as the first", func(t *testing.T) {
		t.Parallel()
		b := backoff(policy.NoJitter)
		for _, n := range []int{0, -3} {
			if got := b.Delay(n, 0); got != 100*ms {
				t.Errorf("Delay(%d) = %s, want the initial delay", n, got)
			}
		}
	})
	t.Run("the cap applies before the jitter", func(t *testing.T) {
		t.Parallel()
		if got := backoff(policy.FullJitter).Delay(20, 0.5); got != time.Second {
			t.Errorf("Delay(20, 0.5) = %s, want half the 2s cap", got)
		}
	})
}

func TestDefaultArchitecture(t *testing.T) {
	t.Parallel()
	a := policy.DefaultArchitecture()
	want := policy.Architecture{
		Context: policy.Versioned, Resume: policy.Checkpoint, TenantContracts: policy.Honor, Keys: policy.PerOperation,
		Budget:  policy.Budget{Scope: policy.StepBudget, MaxRetries: 5},
		Backoff: policy.Backoff{Initial: 100 * time.Millisecond, Multiplier: 2, Max: 10 * time.Second, Jitter: policy.FullJitter},
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("DefaultArchitecture() = %+v, want %+v", a, want)
	}
	if !a.Compensation() || !a.Reconciliation() {
		t.Errorf("the reference compensates (%v) and reconciles (%v)", a.Compensation(), a.Reconciliation())
	}
	a.DisableCompensation, a.DisableReconciliation = true, true
	if a.Compensation() || a.Reconciliation() {
		t.Errorf("disabled: compensation %v, reconciliation %v", a.Compensation(), a.Reconciliation())
	}
	if err := policy.DefaultArchitecture().Validate(); err != nil {
		t.Errorf("the default architecture is refused: %v", err)
	}
}

func TestArchitectureValidate(t *testing.T) {
	t.Parallel()
	with := func(f func(*policy.Architecture)) policy.Architecture {
		a := policy.DefaultArchitecture()
		f(&a)
		return a
	}
	cases := []struct {
		name string
		arch policy.Architecture
		says string // "" when valid
	}{
		{"every unsafe choice is still runnable", with(func(a *policy.Architecture) {
			a.Context, a.Resume, a.TenantContracts, a.Keys = policy.Shared, policy.Restart, policy.Ignore, policy.NoKeys
			a.Budget.Scope, a.Backoff.Jitter = policy.GlobalBudget, policy.NoJitter
			a.DisableCompensation, a.DisableReconciliation = true, true
		}), ""},
		{"no retries at all", with(func(a *policy.Architecture) { a.Budget.MaxRetries = 0 }), ""},
		{"the retry limit itself", with(func(a *policy.Architecture) { a.Budget.MaxRetries = policy.MaxRetriesLimit }), ""},
		{"zero durations", with(func(a *policy.Architecture) { a.Backoff.Initial, a.Backoff.Max = 0, 0 }), ""},
		{"a context mode past shared", with(func(a *policy.Architecture) { a.Context = policy.Shared + 1 }), "context mode 2"},
		{"a resume mode past restart", with(func(a *policy.Architecture) { a.Resume = policy.Restart + 1 }), "resume mode 2"},
		{"a contract mode past ignore", with(func(a *policy.Architecture) { a.TenantContracts = policy.Ignore + 1 }), "tenant contract mode 2"},
		{"a key mode past none", with(func(a *policy.Architecture) { a.Keys = policy.NoKeys + 1 }), "key mode 3"},
		{"a budget scope past global", with(func(a *policy.Architecture) { a.Budget.Scope = policy.GlobalBudget + 1 }), "budget scope 2"},
		{"unlimited retries", with(func(a *policy.Architecture) { a.Budget.MaxRetries = policy.Unlimited }), ""},
		{"an elapsed-time budget", with(func(a *policy.Architecture) { a.Budget.MaxElapsed = 15 * time.Minute }), ""},
		{"a negative elapsed-time budget", with(func(a *policy.Architecture) { a.Budget.MaxElapsed = -time.Second }), "max_elapsed must not be negative"},
		{"a jitter factor", with(func(a *policy.Architecture) { a.Backoff.Jitter, a.Backoff.Factor = policy.FactorJitter, 0.5 }), ""},
		{"a jitter factor above 1", with(func(a *policy.Architecture) { a.Backoff.Jitter, a.Backoff.Factor = policy.FactorJitter, 1.5 }), "jitter factor 1.5"},
		{"a key mode per tool", with(func(a *policy.Architecture) { a.ToolKeys = map[string]policy.KeyMode{"send_email": policy.NoKeys} }), ""},
		{"a bad key mode for a tool", with(func(a *policy.Architecture) { a.ToolKeys = map[string]policy.KeyMode{"send_email": policy.NoKeys + 1} }), "key mode 3 for send_email"},
		{"negative retries", with(func(a *policy.Architecture) { a.Budget.MaxRetries = -1 }), "max_retries -1 is not within 0-100"},
		{"retries past the limit", with(func(a *policy.Architecture) { a.Budget.MaxRetries = policy.MaxRetriesLimit + 1 }), "max_retries 101"},
		{"a negative initial delay", with(func(a *policy.Architecture) { a.Backoff.Initial = -time.Millisecond }), "must not be negative"},
		{"a negative cap", with(func(a *policy.Architecture) { a.Backoff.Max = -time.Second }), "must not be negative"},
		{"a shrinking multiplier", with(func(a *policy.Architecture) { a.Backoff.Multiplier = 0.5 }), "multiplier 0.5 is below 1"},
		{"the zero architecture has no multiplier", policy.Architecture{}, "multiplier 0 is below 1"},
		{"a jitter past a factor", with(func(a *policy.Architecture) { a.Backoff.Jitter = policy.FactorJitter + 1 }), "jitter mode 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.arch.Validate()
			switch {
			case c.says == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
				t.Errorf("Validate: %v, want an error saying %q", err, c.says)
			}
		})
	}
}
