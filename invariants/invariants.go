package invariants

import (
	"fmt"
	"slices"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// ID names an invariant. IDs are part of chaosrun's contract.
type ID string

// The eleven invariants.
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
	RetryAfterHonored      ID = "retry-after-honored"
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

// Cut says whether, and why, a run was stopped before every execution ended.
type Cut uint8

// Cuts.
const (
	// NotCut: the run went on until every execution ended.
	NotCut Cut = iota
	// CutAtLimit: the harness stopped the run at its limits (events,
	// virtual or wall time): an execution still running is a hang to report.
	CutAtLimit
	// Aborted: the run was stopped from outside (an interrupt, a caller's
	// deadline): nothing can be concluded about what did not happen.
	Aborted
)

func (c Cut) String() string {
	switch c {
	case NotCut:
		return "not cut"
	case CutAtLimit:
		return "cut at its limit"
	case Aborted:
		return "aborted"
	}
	return fmt.Sprintf("invalid(%d)", c)
}

// Record says who recorded a history, and so what it can show.
type Record uint8

// Records.
const (
	// EngineRecord is the reference engine's own record, with every kind
	// of event.
	EngineRecord Record = iota
	// WireRecord is a real system's, as the fakes saw it on the wire and
	// as the system reported its executions: starts, invocations, lookups,
	// compensations, the tools' answers (a failure with its Retry-After, a
	// success as the step's commit: the result reached the code), faults,
	// crashes and ends. It has no context reads or writes, no recovery
	// decisions and no reconciliation: a real system keeps no engine record.
	WireRecord
)

// History is what the engine and the harness recorded of a run.
type History struct {
	Events []engine.Event
	// Cut is set when the run was stopped before every execution ended.
	Cut Cut
	// Record says who recorded the events.
	Record Record
}

// Checker is one invariant's checker.
type Checker struct {
	ID  ID
	Doc string
	// DecidesAborted is set for a checker whose breaches are breaches
	// whatever happened after them, so that it decides an aborted run too;
	// the others say unknown.
	DecidesAborted bool
	// NeedsSteps is set for a checker that walks each execution's steps,
	// which only its start event names: it says unknown when a start is
	// missing.
	NeedsSteps bool
	// EngineRecord, when set, names what of the engine's own record the
	// checker reads: on a [WireRecord] it says unknown, for that reason.
	EngineRecord string
	fn           func(*index) Result
}

// Check runs the checker on a history and its ledger.
func (c Checker) Check(h *History, l *fakes.Ledger) Result { return c.run(newIndex(h, l)) }

func (c Checker) run(ix *index) Result {
	if ix.h.Cut == Aborted && !c.DecidesAborted {
		return Result{Invariant: c.ID, Status: Unknown, Reason: "the run was aborted before it ended"}
	}
	if ix.h.Record == WireRecord && c.EngineRecord != "" {
		return Result{Invariant: c.ID, Status: Unknown,
			Reason: "a real system keeps no engine record, and this invariant reads " + c.EngineRecord}
	}
	if c.NeedsSteps {
		for k := range ix.execs {
			if x := &ix.execs[k]; x.tools == nil {
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

// Checkers returns the eleven checkers in contract order.
func Checkers() []Checker { return slices.Clone(checkers) }

// checkers are the checkers in contract order: Checkers hands out copies.
var checkers = []Checker{
	{ID: NoDuplicateSideEffects, Doc: "no logical operation applied a non-idempotent effect twice (streamed chunks and downstream signals count)",
		DecidesAborted: true, fn: checkDuplicates},
	{ID: NoLostEffects, Doc: "every execution reported completed has each step's effect exactly once",
		NeedsSteps: true, fn: checkLost},
	{ID: NoPoisonedContextReads, Doc: "every read sees the last committed version, never a write of a failed or uncommitted attempt",
		EngineRecord: "the context versions each attempt read and wrote", fn: checkPoisoned},
	{ID: TenantIsolation, Doc: "no read or effect of one tenant ever carries another tenant's data",
		DecidesAborted: true, fn: checkIsolation},
	{ID: TenantContractHonored, Doc: "no tenant's declared contract (never retry, at most once, key required) is broken",
		NeedsSteps: true, fn: checkContracts},
	{ID: ResumeFromCheckpoint, Doc: "no committed step is executed again after a later step fails",
		EngineRecord: "the checkpoints the engine committed", fn: checkResume},
	{ID: NoOrchestratorRetry, Doc: "a deterministic orchestrator failure (invalid plan) is not retried",
		fn: checkOrchestrator},
	{ID: NoOrphanedSideEffects, Doc: "every effect of an abandoned step is compensated, or dead-lettered for review",
		fn: checkOrphans},
	{ID: ReconciliationComplete, Doc: "after the reconciliation worker runs, every anomaly in executions it should audit is reported, and nothing is reported where there is none",
		NeedsSteps: true, EngineRecord: "the reconciliation worker's reports", fn: checkReconciliation},
	{ID: TerminalState, Doc: "every execution ends completed, compensated, dead-lettered or failed with its cause surfaced; none hangs or vanishes",
		fn: checkTerminal},
	{ID: RetryAfterHonored, Doc: "no retry of a tool reaches it before the Retry-After that tool answered",
		DecidesAborted: true, fn: checkRetryAfter},
}

// IDs lists the eleven invariant IDs in contract order.
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
	for _, c := range checkers {
		if c.ID == id {
			return c, nil
		}
	}
	return Checker{}, fmt.Errorf("unknown invariant %q", id)
}

// CheckAll runs every checker on one run, indexing the history once.
func CheckAll(h *History, l *fakes.Ledger) []Result { return Analyze(h, l).Check() }
