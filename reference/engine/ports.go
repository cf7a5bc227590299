package engine

import (
	"context"
	"errors"
	"time"

	"github.com/chaosrun/chaosrun/reference/store"
)

// ErrCrash, returned by a [Faults] point, stops the engine as if its process
// had died: nothing more is written, and every later call returns ErrCrash.
var ErrCrash = errors.New("engine crashed")

// Call is one tool invocation.
type Call struct {
	store.AttemptID
	Tool string
	// Key is the idempotency key ("" when none is sent).
	Key string
	// Token is a model call's dedup token.
	Token string
	// Payload is built from the context the attempt read.
	Payload string
	// Ref is the handle of the effect to undo, for compensators.
	Ref string
	// Deliver forwards one streamed chunk downstream; set for streaming tools.
	Deliver func(index int, chunk string) error
}

// Response is a tool's answer.
type Response struct {
	Data string
	// Ref is the tool's handle on the effect (a charge id, a record id).
	Ref string
}

// Invoker calls tools.
type Invoker interface {
	Invoke(ctx context.Context, c Call) (Response, error)
}

// LookupRequest asks a tool whether an operation happened.
type LookupRequest struct {
	// AttemptID is the attempt that looks the operation up (Attempt 0 for
	// the reconciliation worker); its tenant is the operation's.
	store.AttemptID
	Tool string
	Key  string
}

// LookupResult is a tool's answer to a lookup by key.
type LookupResult struct {
	Found bool
	// Refs are the live effects the key produced (more than one is a duplicate).
	Refs []string
	// Response is the operation's result, as the original call would have returned it.
	Response Response
}

// Lookuper is the optional ability of an [Invoker] to answer lookups by key.
type Lookuper interface {
	Lookup(ctx context.Context, r LookupRequest) (LookupResult, error)
}

// Chunk is one streamed chunk forwarded to the downstream consumer.
type Chunk struct {
	store.AttemptID
	// Tool is the streaming tool the chunk comes from.
	Tool  string
	Token string
	Index int
	Text  string
}

// Downstream consumes streamed chunks.
type Downstream interface {
	Deliver(ctx context.Context, c Chunk) error
}

// Point is a place in an attempt where a fault may be injected.
type Point uint8

// Points, in the order an attempt passes them.
const (
	BeforeBegin  Point = iota + 1 // before the begin record is written
	AfterBegin                    // the begin record is durable; the tool has not been called
	AfterInvoke                   // the tool answered; nothing written yet
	ContextWrite                  // before writing key number Site.Index of the step
	BeforeCommit                  // every key written; the commit not yet attempted
	AfterCommit                   // the commit is durable
)

var pointNames = []string{"", "before-begin", "after-begin", "after-invoke", "context-write", "before-commit", "after-commit"}

func (p Point) String() string {
	if int(p) < len(pointNames) && p != 0 {
		return pointNames[p]
	}
	return "invalid"
}

// Site is a fault point of one attempt.
type Site struct {
	Point Point
	store.AttemptID
	Tool string
	// Index is the key's index at ContextWrite.
	Index int
}

// Faults is the fault-injection port. At returns nil to go on, [ErrCrash] to
// crash the engine, or another error to fail the attempt at that point
// (honoured at ContextWrite, where it leaves the write partial).
type Faults interface {
	At(ctx context.Context, s Site) error
}

// Clock is the engine's time source.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

// Observer receives the engine's events.
type Observer interface {
	Observe(e Event)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RealClock is the wall clock.
var RealClock Clock = realClock{}
