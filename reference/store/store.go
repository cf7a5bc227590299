package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// The port's errors. Implementations translate their own errors into these.
var (
	ErrNotFound    = errors.New("execution not found")
	ErrExists      = errors.New("execution already exists")
	ErrCommitted   = errors.New("step already committed")
	ErrTerminal    = errors.New("execution already finished")
	ErrStaleRun    = errors.New("run is not the execution's current run")
	ErrUnavailable = errors.New("store unavailable")
)

// Status is an execution's state.
type Status uint8

// Statuses. Every status but Running is terminal.
const (
	Running Status = iota
	Completed
	Compensated
	DeadLettered
	Failed
)

var statusNames = []string{"running", "completed", "compensated", "dead-lettered", "failed"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("invalid(%d)", s)
}

// ParseStatus parses a status name.
func ParseStatus(s string) (Status, error) {
	for i, n := range statusNames {
		if n == s {
			return Status(i), nil
		}
	}
	return 0, fmt.Errorf("unknown status %q", s)
}

// Terminal reports whether the status is final.
func (s Status) Terminal() bool { return s != Running }

// Step is one step of a workflow: the tool it calls and the context keys its
// result is written to.
type Step struct {
	Tool   string   `json:"tool"`
	Writes []string `json:"writes"`
}

// Ref names an execution.
type Ref struct {
	Tenant string
	Exec   string
}

func (r Ref) String() string { return r.Tenant + "/" + r.Exec }

// AttemptID is the identity every record of an attempt carries, in the
// engine, the store, the fault injectors and the world: the execution
// (tenant and id), its run, the step and the attempt number (from 1). A
// record of a step as a whole (a dead letter) has Attempt 0. It is
// comparable, so it serves as a map key; its JSON names are those of the
// wire protocols that carry it.
type AttemptID struct {
	Tenant  string `json:"tenant"`
	Exec    string `json:"exec"`
	Run     int    `json:"run"`
	Step    int    `json:"step"`
	Attempt int    `json:"attempt"`
}

// Execution returns the reference of the attempt's execution.
func (id AttemptID) Execution() Ref { return Ref{Tenant: id.Tenant, Exec: id.Exec} }

// Execution is one run of a workflow for a tenant.
type Execution struct {
	Tenant   string
	Exec     string
	Workflow string
	Steps    []Step
	Input    map[string]string
	Status   Status
	Cause    string
	// Run is the current run; it only changes on a restart.
	Run int
	// Recovered is set once any attempt failed.
	Recovered bool
	Audited   bool
	Created   time.Time
}

// Ref returns the execution's reference.
func (e Execution) Ref() Ref { return Ref{e.Tenant, e.Exec} }

// Writer identifies the attempt that wrote a context value. Step -1 is the
// execution's input.
type Writer struct {
	Run     int `json:"run"`
	Step    int `json:"step"`
	Attempt int `json:"attempt"`
}

// InputWriter is the writer of an execution's input values.
var InputWriter = Writer{Step: -1}

// Value is one context value with its provenance.
type Value struct {
	Data   string `json:"data"`
	Writer Writer `json:"writer"`
}

// Context is one committed context version. Committed versions are never
// modified.
type Context struct {
	Version int              `json:"version"`
	Values  map[string]Value `json:"values"`
}

// AttemptKind says what an attempt did.
type AttemptKind uint8

// Attempt kinds.
const (
	Invoke     AttemptKind = iota // called the step's tool
	Reconcile                     // looked the operation up, or committed a response in hand
	Compensate                    // called the tool's compensator
)

var attemptKindNames = []string{"invoke", "reconcile", "compensate"}

func (k AttemptKind) String() string {
	if int(k) < len(attemptKindNames) {
		return attemptKindNames[k]
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Attempt is one try at a step: a begin record, and an end record when it failed.
type Attempt struct {
	AttemptID
	Kind  AttemptKind
	Key   string
	Token string
	Begun time.Time
	// Ended is set with Outcome when the attempt failed.
	Ended   bool
	Outcome outcome.Outcome
}

// Result is a step's committed result.
type Result struct {
	Data string `json:"data"`
	// Ref is the tool's handle on the effect (a charge id, a record id).
	Ref string `json:"ref"`
}

// Commit is a step's checkpoint: its result and the new context version.
type Commit struct {
	AttemptID
	Result  Result
	Context Context
	At      time.Time
	// Complete marks the commit of the workflow's last step: the same write
	// ends the execution completed, both or neither. It saves the separate
	// Finish a completed execution would otherwise cost, and leaves no
	// moment at which every step is committed and the execution still runs.
	Complete bool
}

// DeadLetter is a step queued for human review.
type DeadLetter struct {
	// AttemptID names the step; its Attempt is 0.
	AttemptID
	Cause string
	At    time.Time
}

// Anomaly is a kind of inconsistency the reconciliation worker reports.
type Anomaly string

// Anomalies.
const (
	// DuplicateEffect: a committed step has more than one live effect.
	DuplicateEffect Anomaly = "duplicate-effect"
	// OrphanedEffect: a step its execution abandoned left a live effect.
	OrphanedEffect Anomaly = "orphaned-effect"
	// ConflictingState: a committed step has no effect the tool knows of.
	ConflictingState Anomaly = "conflicting-state"
)

// ReconEvent is a finding of the reconciliation worker: an audit record, not
// an error.
type ReconEvent struct {
	Tenant string
	Exec   string
	Step   int
	Tool   string
	Kind   Anomaly
	Detail string
	// Action is what the worker did: compensated, flagged.
	Action string
	At     time.Time
}

// Snapshot is everything the engine needs to resume an execution.
type Snapshot struct {
	Execution Execution
	// Commits are the commits of the current run, in step order.
	Commits []Commit
	// Context is the last committed version of the current run: steps commit
	// in order, so it is the version of the highest committed step (version
	// 0, the input, when nothing is committed).
	Context Context
	// Attempts are all attempts of all runs, in order.
	Attempts    []Attempt
	DeadLetters []DeadLetter
	// Shared is the execution's shared scratchpad: every key an attempt of
	// any run wrote with WriteShared, as its last writer left it (empty when
	// none did). A failed attempt's writes are there too.
	Shared map[string]Value
}

// SharedWrite is one key an attempt writes to its execution's shared
// scratchpad. Value.Writer names the attempt.
type SharedWrite struct {
	Tenant string
	Exec   string
	Key    string
	Value  Value
}

// Store is the storage port. Implementations must be safe for concurrent use.
type Store interface {
	// Create stores a new execution; its input becomes context version 0.
	Create(ctx context.Context, e Execution) error
	// Load returns an execution's snapshot.
	Load(ctx context.Context, tenant, id string) (Snapshot, error)
	// Active lists executions that have not reached a terminal status.
	Active(ctx context.Context) ([]Ref, error)

	// Begin makes an attempt's begin record durable.
	Begin(ctx context.Context, a Attempt) error
	// End records a failed attempt's outcome and marks the execution recovered.
	End(ctx context.Context, a Attempt) error
	// Commit atomically writes a step's result, context version and
	// checkpoint, and, if c.Complete, ends the execution completed in the
	// same write. The store owns c.Context.Values from then on: the caller
	// must not modify the map afterwards.
	Commit(ctx context.Context, c Commit) error
	// Restart begins run number run from context version 0. The shared
	// scratchpad is not reset: it is the agents' document, not a version.
	Restart(ctx context.Context, tenant, id string, run int) error
	// WriteShared writes one key of the execution's shared scratchpad, the
	// mutable document of shared-context mode, durable when it returns. It
	// outlives the attempt, the run and the engine process: what a failed
	// attempt wrote stays for the next reader, as in a real shared store.
	// It is refused, as a begin record is, unless the execution is running
	// in the writer's run.
	WriteShared(ctx context.Context, w SharedWrite) error

	// Finish ends an execution with a terminal status and its cause.
	Finish(ctx context.Context, tenant, id string, s Status, cause string) error
	// DeadLetter queues a step for review and ends its execution dead-lettered.
	DeadLetter(ctx context.Context, d DeadLetter) error
	// ClaimDeadLetters hands up to limit unclaimed dead letters to fn, oldest
	// first, which resolves them; a dead letter fn returns no error for is
	// removed.
	ClaimDeadLetters(ctx context.Context, limit int, fn func(DeadLetter) error) (int, error)

	// Audit claims up to limit terminal, recovered, unaudited executions and
	// hands each to fn; the events fn returns are stored with the audited
	// execution and the execution is marked audited, in one write. An
	// execution whose failure is recorded after it finished is audited too.
	Audit(ctx context.Context, limit int, fn func(Snapshot) ([]ReconEvent, error)) (int, error)
	// ReconEvents lists the reconciliation events of an execution.
	ReconEvents(ctx context.Context, tenant, id string) ([]ReconEvent, error)
}
