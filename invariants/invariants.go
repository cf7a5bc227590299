package invariants

import (
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// ID names an invariant. IDs are part of chaosrun's contract.
type ID string

// The ten invariants.
const (
	NoDuplicateSideEffects ID = "no-duplicate-side-effects"
	NoLostEffects          ID = "no-lost-effects"
	NoPoisonedContextReads ID = "no-poisoned-context-reads"
	TenantIsolation        ID = "tenant-isolation"
	TenantContractHonored  ID = "tenant-contract-honored"
	ResumeFromCheckpoint   ID = "resume-from-checkpoint"
	NoOrchestratorRetry    ID = "no-orchestrator-retry"
	NoOrphanedSideEffects  ID = "no-orphaned-side-effects"
	ReconciliationComplete ID = "reconciliation-complete"
	TerminalState          ID = "terminal-state"
)

// Status is a checker's answer.
type Status uint8

// Statuses.
const (
	OK Status = iota
	Violated
	Unknown
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Violated:
		return "violated"
	}
	return "unknown"
}

// Violation is one breach of an invariant.
type Violation struct {
	Invariant ID
	Tenant    string
	Exec      string
	Step      int
	// Event is the index in the history of the event that breached the
	// invariant (-1 when the breach is an absence, such as a missing end).
	Event   int
	Message string
}

func (v Violation) String() string { return fmt.Sprintf("%s: %s", v.Invariant, v.Message) }

// Result is a checker's verdict on one run.
type Result struct {
	Invariant  ID
	Status     Status
	Violations []Violation
	// Reason says why the status is unknown.
	Reason string
}

// History is what the engine and the harness recorded of a run.
type History struct {
	Events []engine.Event
	// Cut is set when the run was stopped before every execution ended: by
	// the harness's limits ("limit", a hang to report) or from outside
	// ("aborted", nothing can be concluded about what did not happen).
	Cut string
}

// Checker is one invariant's checker.
type Checker struct {
	ID  ID
	Doc string
	fn  func(*index) Result
}

// Check runs the checker on a history and its ledger.
func (c Checker) Check(h *History, l *fakes.Ledger) Result { return c.run(newIndex(h, l)) }

func (c Checker) run(ix *index) Result {
	if ix.h.Cut == "aborted" && c.ID != TenantIsolation && c.ID != NoDuplicateSideEffects {
		return Result{Invariant: c.ID, Status: Unknown, Reason: "the run was aborted before it ended"}
	}
	if needsSteps[c.ID] {
		for _, x := range ix.order {
			if x.tools == nil {
				return Result{Invariant: c.ID, Status: Unknown,
					Reason: fmt.Sprintf("no start of %s/%s was recorded, so its steps are unknown", x.key.tenant, x.key.exec)}
			}
		}
	}
	r := c.fn(ix)
	r.Invariant = c.ID
	if len(r.Violations) > 0 {
		r.Status = Violated
		for i := range r.Violations {
			r.Violations[i].Invariant = c.ID
		}
	}
	return r
}

// needsSteps marks the checkers that walk each execution's steps, which
// only its start event names.
var needsSteps = map[ID]bool{NoLostEffects: true, TenantContractHonored: true, ReconciliationComplete: true}

// Checkers returns the ten checkers in contract order.
func Checkers() []Checker {
	return []Checker{
		{NoDuplicateSideEffects, "no logical operation applied a non-idempotent effect twice (streamed chunks and downstream signals count)", checkDuplicates},
		{NoLostEffects, "every execution reported completed has each step's effect exactly once", checkLost},
		{NoPoisonedContextReads, "every read sees the last committed version, never a write of a failed or uncommitted attempt", checkPoisoned},
		{TenantIsolation, "no read or effect of one tenant ever carries another tenant's data", checkIsolation},
		{TenantContractHonored, "no tenant's declared contract (never retry, at most once, key required) is broken", checkContracts},
		{ResumeFromCheckpoint, "no committed step is executed again after a later step fails", checkResume},
		{NoOrchestratorRetry, "a deterministic orchestrator failure (invalid plan) is not retried", checkOrchestrator},
		{NoOrphanedSideEffects, "every effect of an abandoned step is compensated, or dead-lettered for review", checkOrphans},
		{ReconciliationComplete, "after the reconciliation worker runs, every anomaly in executions it should audit is reported, and nothing is reported where there is none", checkReconciliation},
		{TerminalState, "every execution ends completed, compensated, dead-lettered or failed with its cause surfaced; none hangs or vanishes", checkTerminal},
	}
}

// IDs lists the ten invariant IDs in contract order.
func IDs() []ID {
	cs := Checkers()
	ids := make([]ID, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	return ids
}

// Lookup returns the checker of an ID.
func Lookup(id ID) (Checker, error) {
	for _, c := range Checkers() {
		if c.ID == id {
			return c, nil
		}
	}
	return Checker{}, fmt.Errorf("unknown invariant %q", id)
}

// CheckAll runs every checker on one run, indexing the history once.
func CheckAll(h *History, l *fakes.Ledger) []Result {
	ix := newIndex(h, l)
	cs := Checkers()
	out := make([]Result, len(cs))
	for i, c := range cs {
		out[i] = c.run(ix)
	}
	return out
}
