package policy

import (
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Policy is a team's retry setup: decision rules plus architecture choices.
type Policy interface {
	Name() string
	Architecture() Architecture
	// Decide returns the system policy's decision for one failed attempt.
	// Tenant contracts, budgets and backoff are applied by [Resolve].
	Decide(in Input) Decision
}

// Input is everything a decision may depend on.
type Input struct {
	Tenant string
	// Entry is the tool's registry entry: the tenant's own where the
	// architecture honours tenant contracts, the system entry otherwise.
	Entry    registry.Entry
	Contract Contract
	Outcome  outcome.Outcome
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Retries is how many retries are already spent in the budget's scope
	// (this step, or the whole execution for a global budget).
	Retries int
	// Elapsed is the time since the budget's scope began: the step's first
	// attempt, or the execution's start for a global budget.
	Elapsed time.Duration
	// HasKey is set when the failed attempt carried an idempotency key or a
	// dedup token, so that the operation can be looked up or compensated.
	HasKey bool
	// StableKey is set when a retry would carry the same key (per-operation
	// keys), so that the tool itself deduplicates it.
	StableKey bool
	// Jitter is a uniform draw in [0, 1) from the run's seeded source.
	Jitter float64
	// InFlight is set when an earlier attempt of the step may still act: its
	// outcome was uncertain and a lookup found no trace of it yet, which
	// says nothing of a request still on its way. Giving the step up then
	// leaves that request to land on an execution nobody finishes, unless
	// its key is cancelled (compensated) or a human is told.
	InFlight bool
}

// MayHaveActed reports whether the tool may have acted for the step: this
// attempt's outcome has side effects, or an earlier request is in flight.
func (in Input) MayHaveActed() bool { return in.Outcome.SideEffects() || in.InFlight }

// Action is what to do about a failed attempt.
type Action uint8

// Actions.
const (
	Retry Action = iota + 1
	Compensate
	Reconcile
	DeadLetter
	Fail
)

var actionNames = []string{"", "retry", "compensate", "reconcile", "dead-letter", "fail"}

func (a Action) String() string {
	if int(a) < len(actionNames) && a != 0 {
		return actionNames[a]
	}
	return fmt.Sprintf("invalid(%d)", a)
}

// ParseAction parses retry, compensate, reconcile, dead-letter or fail.
func ParseAction(s string) (Action, error) {
	for i, n := range actionNames {
		if i > 0 && n == s {
			return Action(i), nil
		}
	}
	return 0, fmt.Errorf("unknown action %q (valid: retry, compensate, reconcile, dead-letter, fail)", s)
}

// ActionNames lists the accepted spellings of Action.
var ActionNames = actionNames[1:]

// Decision is the resolved recovery action for one failed attempt.
type Decision struct {
	Action Action
	// Delay is how long to wait before a retry.
	Delay time.Duration
	// MaxRetries is the retry limit the decision was taken under.
	MaxRetries int
	// DedupToken keeps the operation's dedup token on a retry of a model
	// call, so that chunks already delivered downstream are not delivered
	// again. Without it the retry streams under a fresh token.
	DedupToken bool
	// RequireKey allows the retry only when the attempt carries an
	// idempotency key or a dedup token — a presence check, as middleware
	// does it: a per-attempt key passes it and deduplicates nothing.
	RequireKey bool
	// Reason says why, in words, for the history and the reports.
	Reason string
}

func (d Decision) String() string {
	if d.Action == Retry {
		return fmt.Sprintf("retry in %s (%s)", d.Delay, d.Reason)
	}
	return fmt.Sprintf("%s (%s)", d.Action, d.Reason)
}

// RetryUpTo returns a retry decision limited to max retries.
func RetryUpTo(max int, reason string) Decision {
	return Decision{Action: Retry, MaxRetries: max, Reason: reason}
}

// Decide returns a non-retry decision with a reason.
func Decide(a Action, reason string) Decision { return Decision{Action: a, Reason: reason} }
