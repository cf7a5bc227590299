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
	FullJitter  Jitter = iota // uniform in [0, d)
	EqualJitter               // d/2 + uniform in [0, d/2)
	NoJitter                  // exactly d
)

// Budget is the default retry limit and what it counts.
type Budget struct {
	Scope      BudgetScope
	MaxRetries int
}

// Backoff is an exponential backoff: initial * multiplier^(n-1), capped at
// max, with jitter.
type Backoff struct {
	Initial    time.Duration
	Multiplier float64
	Max        time.Duration
	Jitter     Jitter
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
	Keys                  KeyMode
	Budget                Budget
	Backoff               Backoff
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

// MaxRetriesLimit bounds every retry limit, so that every run terminates.
const MaxRetriesLimit = 100

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
	case a.Budget.MaxRetries < 0 || a.Budget.MaxRetries > MaxRetriesLimit:
		return fmt.Errorf("budget max_retries %d is not within 0-%d", a.Budget.MaxRetries, MaxRetriesLimit)
	case a.Backoff.Initial < 0 || a.Backoff.Max < 0:
		return errors.New("backoff durations must not be negative")
	case a.Backoff.Multiplier < 1:
		return fmt.Errorf("backoff multiplier %g is below 1", a.Backoff.Multiplier)
	case a.Backoff.Jitter > NoJitter:
		return fmt.Errorf("jitter mode %d is not full, equal or none", a.Backoff.Jitter)
	}
	return nil
}
