package policy

import (
	"fmt"
	"math/bits"
	"strings"
)

// Safeguard is one mechanism of the reference architecture that some
// invariant depends on. Each can be switched off on its own
// ([Architecture.Without], [ReferenceWithout]) to make a deliberately
// weakened reference: chaosrun's regression suite holds the harness to
// catching every one of them, by the invariant the safeguard protects. A
// harness that lets one of them pass has a blind spot.
//
// The layers honour them where the mechanism lives: Layer 1's typing as the
// engine applies it, the engine (Layer 4), the policy's resolution (Layer
// 3), the reconciliation worker (Layer 5), each reading
// Architecture.Without. NoPlanRetry and ReconcileAfterActed are rules of
// the reference's decision tree itself: only [ReferenceWithout] switches
// them off.
//
// Some safeguards back another one up, and their loss alone shows in no run
// of the reference in its world: KeyRequiredContract (the reference sends a
// key on every call that takes one), CompensateEveryKey and
// ReconcileEveryKey (with per-operation keys every attempt of a step
// carries the same key), OrphanAnomaly (the reference's engine leaves no
// orphaned effect). The regression suite shows each with what it backs up,
// or, for the two loops over keys, under an architecture with a key per
// attempt.
type Safeguard uint8

// Safeguards, by layer. Each comment says what the reference does; without
// the safeguard it does not.
const (
	// TimeoutTyping (Layer 1): a timeout means the tool may have acted.
	// Without it, a timeout is typed as a refused connection: the tool did
	// not act, and a retry is "safe".
	TimeoutTyping Safeguard = iota + 1
	// TenantEntry (Layer 2): the engine uses the tenant's own registry
	// entry for a tool. Without it, the system entry (the tenant's contract
	// is still read).
	TenantEntry
	// NeverRetryContract (Layer 3): a tenant's "never retry automatically"
	// clause is enforced. Without it, the clause is dropped when the
	// contract is read.
	NeverRetryContract
	// AtMostOnceContract (Layer 3): a tenant's "at most once" clause is
	// enforced.
	AtMostOnceContract
	// KeyRequiredContract (Layer 3): a tenant's "idempotency key required"
	// clause is enforced: a call that would carry no key is not made.
	KeyRequiredContract
	// NoPlanRetry (Layer 3): a deterministic orchestrator failure (an
	// invalid plan) fails. Without it, it is retried like a transient one.
	NoPlanRetry
	// ReconcileAfterActed (Layer 3): a failure after the tool acted
	// (post-execution) is reconciled, not re-executed. Without it, it is
	// retried.
	ReconcileAfterActed
	// RetryBudget (Layer 3): retries are counted against a budget. Without
	// it, the count never advances: every retry rule always has retries left.
	RetryBudget
	// RetryAfter (Layer 3): a retry waits at least the Retry-After the tool
	// answered. Without it, the backoff's delay alone.
	RetryAfter
	// CopyOnWrite (Layer 4): an attempt writes its keys into a copy of the
	// committed context version. Without it, into the committed version
	// itself, in place.
	CopyOnWrite
	// BeginBeforeInvoke (Layer 4): an attempt's begin record is durable
	// before the tool is called. Without it, the record is written once the
	// tool has answered.
	BeginBeforeInvoke
	// AtomicCommit (Layer 4): the step's result, its new context version
	// and the checkpoint are one write. Without it, the checkpoint and the
	// result are committed with the context as it was, and the step's
	// writes reach the store only with the next step's commit: an engine
	// rebuilt in between resumes on a context that lacks them.
	AtomicCommit
	// PerOperationKeys (Layer 4): an idempotency key names the operation,
	// the same on every attempt. Without it, each attempt mints a new one
	// (the policy still believes it stable).
	PerOperationKeys
	// DedupTokens (Layer 4): a retried model call streams under the
	// operation's dedup token when the decision keeps it. Without it, under
	// a fresh token every attempt.
	DedupTokens
	// CompensateEveryKey (Layer 4): compensation undoes the effects of every
	// key the step's calls carried. Without it, only the first attempt's
	// key (the one a single field set once would keep).
	CompensateEveryKey
	// ReconcileEveryKey (Layer 4): reconciliation looks the operation up by
	// every key the step's calls carried. Without it, by the first
	// attempt's key only.
	ReconcileEveryKey
	// ResumeAfterCommit (Layer 4): a rebuilt engine resumes at the step
	// after the last commit. Without it, at the last committed step.
	ResumeAfterCommit
	// ReviewQueue (Layer 4): a dead-lettered execution is queued in the
	// store for review. Without it, it is only marked dead-lettered.
	ReviewQueue
	// FinalCommit (Layer 4): an execution completes once its last step's
	// checkpoint is committed. Without it, once the last step's tool has
	// answered, and that step is never committed.
	FinalCommit
	// DuplicateAnomaly (Layer 5): the worker reports a committed step with
	// more than one live effect. Without it, it does not look.
	DuplicateAnomaly
	// OrphanAnomaly (Layer 5): the worker reports a live effect of a step
	// its ended execution abandoned.
	OrphanAnomaly
	// ConflictAnomaly (Layer 5): the worker reports a committed step the
	// tool has no trace of.
	ConflictAnomaly

	numSafeguards
)

var safeguardNames = [numSafeguards]string{"",
	"timeout-typing", "tenant-entry", "never-retry-contract", "at-most-once-contract", "key-required-contract",
	"no-plan-retry", "reconcile-after-acted", "retry-budget", "retry-after",
	"copy-on-write", "begin-before-invoke", "atomic-commit", "per-operation-keys", "dedup-tokens",
	"compensate-every-key", "reconcile-every-key", "resume-after-commit", "review-queue", "final-commit",
	"duplicate-anomaly", "orphan-anomaly", "conflict-anomaly",
}

func (g Safeguard) String() string {
	if g > 0 && g < numSafeguards {
		return safeguardNames[g]
	}
	return fmt.Sprintf("invalid(%d)", g)
}

// AllSafeguards lists every safeguard, by layer.
func AllSafeguards() []Safeguard {
	out := make([]Safeguard, 0, numSafeguards-1)
	for g := Safeguard(1); g < numSafeguards; g++ {
		out = append(out, g)
	}
	return out
}

// Safeguards is a set of safeguards. The zero value is the empty set.
type Safeguards uint32

// SafeguardSet returns the set of gs.
func SafeguardSet(gs ...Safeguard) Safeguards {
	var s Safeguards
	for _, g := range gs {
		s |= 1 << g
	}
	return s
}

// Has reports whether g is in the set.
func (s Safeguards) Has(g Safeguard) bool { return s&(1<<g) != 0 }

// Len is the number of safeguards in the set.
func (s Safeguards) Len() int { return bits.OnesCount32(uint32(s)) }

func (s Safeguards) String() string {
	var names []string
	for _, g := range AllSafeguards() {
		if s.Has(g) {
			names = append(names, g.String())
		}
	}
	return strings.Join(names, "+")
}

// ReferenceWithout returns the reference policy with the safeguards gs
// switched off, named "reference-without-" and their names: a deliberately
// weakened reference (see [Safeguard]). With no safeguard it is [Reference].
func ReferenceWithout(gs ...Safeguard) Policy {
	s := SafeguardSet(gs...)
	if s == 0 {
		return Reference()
	}
	return reference{without: s}
}

// Contract returns c less the clauses whose safeguards are in s.
func (s Safeguards) Contract(c Contract) Contract {
	c.NeverRetry = c.NeverRetry && !s.Has(NeverRetryContract)
	c.AtMostOnce = c.AtMostOnce && !s.Has(AtMostOnceContract)
	c.KeyRequired = c.KeyRequired && !s.Has(KeyRequiredContract)
	return c
}
