package engine

import (
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// EventKind says what an [Event] records.
type EventKind uint8

// Event kinds. The engine emits Start through Restart; the kinds after it
// belong to whoever drives the engine and the reconciliation worker.
const (
	EvStart      EventKind = iota + 1 // an execution was created (Tools)
	EvBegin                           // an attempt's begin record is durable (AttemptKind in Detail)
	EvRead                            // the attempt read its context (Version, Reads)
	EvInvoke                          // a request left for the tool (Key, Token)
	EvWrite                           // one context key was written (Detail: the key)
	EvCommit                          // the step's checkpoint is durable (Version, Ref)
	EvFailure                         // an attempt failed (Outcome)
	EvDecision                        // a recovery decision (Decision)
	EvLookup                          // a lookup by key (Found, Detail)
	EvCompensate                      // a compensator ran (Tool: the compensator)
	EvDeadLetter                      // the step was queued for review
	EvFinish                          // the execution ended (Status, Detail: cause)
	EvRestart                         // the workflow restarted from its first step (Run)
	EvCrash                           // the engine crashed
	EvRecover                         // an engine was rebuilt from the store
	EvFault                           // a fault was applied (Detail)
	EvAudit                           // a reconciliation pass began (Seq: ledger watermark)
	EvRecon                           // a reconciliation event (Detail: kind, Ref: action)
	EvStoreError                      // the store failed; Run waits and tries again (Detail)
	EvReviewed                        // the store's review queue was read back once the run ended
	EvQueued                          // a dead letter the review queue holds (Detail: cause)
)

var kindNames = []string{"", "start", "begin", "read", "invoke", "write", "commit", "failure", "decision",
	"lookup", "compensate", "dead-letter", "finish", "restart", "crash", "recover", "fault", "audit", "reconcile", "store-error",
	"reviewed", "queued"}

func (k EventKind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Read is one context value seen by a read, with its provenance.
type Read struct {
	Key    string
	Data   string
	Writer store.Writer
}

// Event is one entry of the engine's record.
type Event struct {
	Kind EventKind
	At   time.Time
	store.AttemptID
	Tool    string
	Key     string
	Token   string
	Ref     string
	Version int
	Found   bool
	Seq     int
	Tools   []string
	Reads   []Read
	// Outcome is set on EvFailure.
	Outcome *outcome.Outcome
	// Decision is set on EvDecision.
	Decision *policy.Decision
	Status   store.Status
	Detail   string
	// Recovered marks a durable fact a rebuilt engine found in the store (a
	// commit, a dead letter, an end): it may repeat an event already
	// reported, or report one its maker died before reporting.
	Recovered bool `json:",omitempty"`
}

// Fact identifies a durable fact: a start, a restart, a commit, a dead
// letter, an end. Its identity keeps the fields that tell two facts of its
// kind apart (the run of a restart; the run, step and attempt of a commit).
type Fact struct {
	Kind EventKind
	store.AttemptID
}

// Fact returns the durable fact the event reports, if it reports one. A
// fact can be reported twice — by the engine that made it, and by one
// rebuilt from the store that found it (Recovered), since the first may
// have died before reporting it or been told the write failed — and a
// record keeps each fact once.
func (e Event) Fact() (Fact, bool) {
	id := e.AttemptID
	switch e.Kind {
	case EvStart, EvFinish:
		id = store.AttemptID{Tenant: id.Tenant, Exec: id.Exec}
	case EvRestart:
		id = store.AttemptID{Tenant: id.Tenant, Exec: id.Exec, Run: id.Run}
	case EvCommit, EvDeadLetter:
	default:
		return Fact{}, false
	}
	return Fact{Kind: e.Kind, AttemptID: id}, true
}

// The events of the durable facts, made in one place for the engine that
// makes a fact and for a rebuilt one that finds it in the store.

func startEvent(x store.Execution, s *Scratch) Event {
	tools := s.namesFor(len(x.Steps))
	for i, st := range x.Steps {
		tools[i] = st.Tool
	}
	return Event{Kind: EvStart, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.Exec}, Tools: tools, Detail: x.Workflow}
}

func restartEvent(x store.Execution, run int) Event {
	return Event{Kind: EvRestart, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.Exec, Run: run}}
}

func commitEvent(x store.Execution, c store.Commit) Event {
	return Event{Kind: EvCommit, AttemptID: c.AttemptID, Tool: x.Steps[c.Step].Tool, Version: c.Context.Version, Ref: c.Result.Ref}
}

func deadLetterEvent(x store.Execution, d store.DeadLetter) Event {
	return Event{Kind: EvDeadLetter, AttemptID: d.AttemptID, Tool: x.Steps[d.Step].Tool, Detail: d.Cause}
}

// finishEvent reports the end of x at step (the step it ended at, or past
// its last step once every step committed).
func finishEvent(x store.Execution, step int, s store.Status, cause string) Event {
	id := store.AttemptID{Tenant: x.Tenant, Exec: x.Exec, Run: x.Run, Step: min(step, len(x.Steps)-1)}
	return Event{Kind: EvFinish, AttemptID: id, Status: s, Detail: cause}
}

// String renders the event for timelines and logs.
func (e Event) String() string {
	where := fmt.Sprintf("%s/%s", e.Tenant, e.Exec)
	if e.Kind != EvStart && e.Kind != EvFinish && e.Exec != "" {
		where += fmt.Sprintf(" step %d attempt %d", e.Step, e.Attempt)
		if e.Run > 0 {
			where += fmt.Sprintf(" run %d", e.Run)
		}
	}
	switch e.Kind {
	case EvStart:
		return fmt.Sprintf("start %s %v", where, e.Tools)
	case EvBegin:
		return fmt.Sprintf("begin %s %s %s", where, e.Tool, e.Detail)
	case EvRead:
		return fmt.Sprintf("read %s context v%d (%d keys)", where, e.Version, len(e.Reads))
	case EvInvoke:
		return fmt.Sprintf("invoke %s %s key=%q token=%q", where, e.Tool, e.Key, e.Token)
	case EvWrite:
		return fmt.Sprintf("write %s %s", where, e.Detail)
	case EvCommit:
		return fmt.Sprintf("commit %s context v%d ref=%s", where, e.Version, e.Ref)
	case EvFailure:
		if e.Outcome == nil {
			return fmt.Sprintf("failure %s %s", where, e.Tool)
		}
		return fmt.Sprintf("failure %s %s: %s [%s]", where, e.Tool, e.Outcome.Cause, e.Outcome)
	case EvDecision:
		if e.Decision == nil {
			return fmt.Sprintf("decision %s", where)
		}
		return fmt.Sprintf("decision %s %s", where, e.Decision)
	case EvLookup:
		return fmt.Sprintf("lookup %s %s key=%q found=%v %s", where, e.Tool, e.Key, e.Found, e.Detail)
	case EvCompensate:
		return fmt.Sprintf("compensate %s %s key=%q ref=%s", where, e.Tool, e.Key, e.Ref)
	case EvDeadLetter:
		return fmt.Sprintf("dead-letter %s: %s", where, e.Detail)
	case EvFinish:
		return fmt.Sprintf("finish %s %s %s", where, e.Status, e.Detail)
	case EvRestart:
		return fmt.Sprintf("restart %s from step 0 as run %d", where, e.Run)
	case EvRecon:
		return fmt.Sprintf("reconcile %s %s: %s (%s)", where, e.Detail, e.Tool, e.Ref)
	case EvQueued:
		return fmt.Sprintf("queued %s/%s step %d for review: %s", e.Tenant, e.Exec, e.Step, e.Detail)
	case EvReviewed:
		return "reviewed the store's review queue: " + e.Detail
	case EvStoreError:
		return fmt.Sprintf("store-error %s/%s: %s (waiting, then trying again)", e.Tenant, e.Exec, e.Detail)
	case EvCrash, EvRecover, EvFault, EvAudit:
		return fmt.Sprintf("%s %s %s", e.Kind, where, e.Detail)
	}
	return e.Kind.String()
}
