package policy

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// ContextMode is how step context is stored.
type ContextMode uint8

// Context modes.
const (
	// Versioned context is copy-on-write: an attempt writes a new version
	// that exists only once its checkpoint commits, and a retry always reads
	// the last committed version.
	Versioned ContextMode = iota
	// Shared context is one mutable document written in place: a retry reads
	// whatever the failed attempt left in it.
	Shared
)

// ResumeMode is where a retry starts.
type ResumeMode uint8

// Resume modes.
const (
	// Checkpoint resumes at the failed step, after the last committed one.
	Checkpoint ResumeMode = iota
	// Restart re-runs the whole workflow from the first step (retry at
	// orchestrator level).
	Restart
)

// ContractMode says whether tenant contracts are consulted.
type ContractMode uint8

// Contract modes.
const (
	Honor ContractMode = iota
	Ignore
)

// KeyMode is how idempotency keys and dedup tokens are made.
type KeyMode uint8

// Key modes.
const (
	// PerOperation keys are stable across the attempts of one step.
	PerOperation KeyMode = iota
	// PerAttempt keys are new on every attempt: they deduplicate nothing.
	PerAttempt
	// NoKeys sends no key at all.
	NoKeys
)

// BudgetScope is what a retry budget counts.
type BudgetScope uint8

// Budget scopes.
const (
	StepBudget   BudgetScope = iota // retries of one step
	GlobalBudget                    // retries of the whole execution
)

// Jitter is the backoff jitter mode.
type Jitter uint8

// Jitter modes.
const (
	FullJitter   Jitter = iota // uniform in [0, d)
	EqualJitter                // d/2 + uniform in [0, d/2)
	NoJitter                   // exactly d
	FactorJitter               // uniform in [d(1-F), d(1+F)], F the Backoff's Factor (a randomization factor)
)

// Unlimited is a retry limit that never runs out (max_retries: unlimited),
// as a bare backoff loop or Temporal's default retry policy has: only an
// elapsed-time budget, if there is one, stops such retries.
const Unlimited = math.MaxInt32

// Budget is the default retry limit and what it counts.
type Budget struct {
	Scope BudgetScope
	// MaxRetries is the default limit of retry rules; [Unlimited] for none.
	MaxRetries int
	// MaxElapsed, when set, refuses a retry that would start after this
	// much time since the scope's first attempt began (the step's, or the
	// execution's start for a global budget), as an elapsed-time budget
	// (cenkalti/backoff's MaxElapsedTime) does.
	MaxElapsed time.Duration
}

// Backoff is an exponential backoff: initial * multiplier^(n-1), capped at
// max, with jitter.
type Backoff struct {
	Initial    time.Duration
	Multiplier float64
	Max        time.Duration
	Jitter     Jitter
	// Factor is FactorJitter's randomization factor, within [0, 1].
	Factor float64
	// IgnoreRetryAfter waits the backoff's delay even when the tool said to
	// come back later (Retry-After); by default the longer of the two.
	IgnoreRetryAfter bool
}

// Delay returns the wait before retry number n (from 1), given a uniform
// draw u in [0, 1).
func (b Backoff) Delay(n int, u float64) time.Duration {
	if n < 1 {
		n = 1
	}
	d := float64(b.Initial) * math.Pow(b.Multiplier, float64(n-1))
	if max := float64(b.Max); b.Max > 0 && d > max {
		d = max
	}
	switch b.Jitter {
	case FullJitter:
		d *= u
	case EqualJitter:
		d = d/2 + d/2*u
	case FactorJitter:
		d = d*(1-b.Factor) + d*2*b.Factor*u
	}
	return time.Duration(d)
}

// Architecture is the set of structural choices a policy runs on. The zero
// value is the reference architecture except for Budget and Backoff; use
// [DefaultArchitecture] for the whole reference.
type Architecture struct {
	Context               ContextMode
	Resume                ResumeMode
	DisableCompensation   bool
	DisableReconciliation bool
	TenantContracts       ContractMode
	// Keys is how keys are made for every tool ToolKeys does not name.
	Keys     KeyMode
	ToolKeys map[string]KeyMode
	Budget   Budget
	Backoff  Backoff
	// Without switches safeguards of the reference off, one by one, to
	// make a deliberately weakened reference for chaosrun's regression
	// suite (see [Safeguard]). It is not part of the policy file; the zero
	// value switches nothing off.
	Without Safeguards
}

// KeysFor returns how keys are made for tool's calls.
func (a Architecture) KeysFor(tool string) KeyMode {
	if k, ok := a.ToolKeys[tool]; ok {
		return k
	}
	return a.Keys
}

// NoKeysAnywhere reports whether no tool's calls carry a key.
func (a Architecture) NoKeysAnywhere() bool {
	if a.Keys != NoKeys {
		return false
	}
	for _, k := range a.ToolKeys {
		if k != NoKeys {
			return false
		}
	}
	return true
}

// Compensation reports whether compensating actions are run.
func (a Architecture) Compensation() bool { return !a.DisableCompensation }

// Reconciliation reports whether the Layer 5 worker runs.
func (a Architecture) Reconciliation() bool { return !a.DisableReconciliation }

// DefaultArchitecture is the reference architecture: versioned context,
// checkpoint resume, compensation and reconciliation on, tenant contracts
// honoured, per-operation keys, a per-step budget of 5 retries, and
// exponential backoff from 100ms doubling to 10s with full jitter.
func DefaultArchitecture() Architecture {
	return Architecture{
		Budget:  Budget{Scope: StepBudget, MaxRetries: 5},
		Backoff: Backoff{Initial: 100 * time.Millisecond, Multiplier: 2, Max: 10 * time.Second, Jitter: FullJitter},
	}
}

// MaxRetriesLimit bounds every retry limit but [Unlimited].
const MaxRetriesLimit = 100

// ValidRetries reports whether n is a retry limit: 0 to MaxRetriesLimit,
// or Unlimited.
func ValidRetries(n int) bool { return n >= 0 && n <= MaxRetriesLimit || n == Unlimited }

// Validate checks an architecture for values no engine can run.
func (a Architecture) Validate() error {
	switch {
	case a.Context > Shared:
		return fmt.Errorf("context mode %d is not versioned or shared", a.Context)
	case a.Resume > Restart:
		return fmt.Errorf("resume mode %d is not checkpoint or restart", a.Resume)
	case a.TenantContracts > Ignore:
		return fmt.Errorf("tenant contract mode %d is not honor or ignore", a.TenantContracts)
	case a.Keys > NoKeys:
		return fmt.Errorf("key mode %d is not per-operation, per-attempt or none", a.Keys)
	case a.Budget.Scope > GlobalBudget:
		return fmt.Errorf("budget scope %d is not step or global", a.Budget.Scope)
	case !ValidRetries(a.Budget.MaxRetries):
		return fmt.Errorf("budget max_retries %d is not within 0-%d or unlimited", a.Budget.MaxRetries, MaxRetriesLimit)
	case a.Budget.MaxElapsed < 0:
		return errors.New("budget max_elapsed must not be negative")
	case a.Backoff.Initial < 0 || a.Backoff.Max < 0:
		return errors.New("backoff durations must not be negative")
	case a.Backoff.Multiplier < 1:
		return fmt.Errorf("backoff multiplier %g is below 1", a.Backoff.Multiplier)
	case a.Backoff.Jitter > FactorJitter:
		return fmt.Errorf("jitter mode %d is not full, equal, none or a factor", a.Backoff.Jitter)
	case a.Backoff.Jitter == FactorJitter && !(a.Backoff.Factor >= 0 && a.Backoff.Factor <= 1):
		return fmt.Errorf("jitter factor %g is not within 0-1", a.Backoff.Factor)
	}
	for tool, k := range a.ToolKeys {
		if k > NoKeys {
			return fmt.Errorf("key mode %d for %s is not per-operation, per-attempt or none", k, tool)
		}
	}
	return nil
}
