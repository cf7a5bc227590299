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
)

var kindNames = []string{"", "start", "begin", "read", "invoke", "write", "commit", "failure", "decision",
	"lookup", "compensate", "dead-letter", "finish", "restart", "crash", "recover", "fault", "audit", "reconcile", "store-error"}

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
	Kind    EventKind
	At      time.Time
	Tenant  string
	Exec    string
	Run     int
	Step    int
	Attempt int
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
	case EvStoreError:
		return fmt.Sprintf("store-error %s/%s: %s (waiting, then trying again)", e.Tenant, e.Exec, e.Detail)
	case EvCrash, EvRecover, EvFault, EvAudit:
		return fmt.Sprintf("%s %s %s", e.Kind, where, e.Detail)
	}
	return e.Kind.String()
}
