package fakehttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// stage is how far one exchange got. A failure is classified by the stage
// it interrupted, never by an error's text: the same "EOF" means "nothing
// reached the tool" while connecting and "the tool may have acted" once the
// request is out.
type stage uint8

const (
	connecting stage = iota // no connection yet
	sending                 // connected; the request not yet fully written
	waiting                 // the request written; no response head yet
	reading                 // the response head arrived; reading a whole body
	streaming               // a stream began; reading records
)

// errCallTimeout is the cause an exchange's context is cancelled with when
// its timer fires.
var errCallTimeout = errors.New("fakehttp: the call's timeout passed")

// exchange is one request and its response: the stage reached, the timer,
// and the one place where failures are typed.
type exchange struct {
	name    string // the tool's, or Downstream
	addr    string
	timeout time.Duration
	parent  context.Context
	ctx     context.Context
	cancel  context.CancelCauseFunc

	mu    sync.Mutex
	stage stage
	timer *time.Timer
}

// newExchange starts the clock of one call. The timer first bounds the
// connect and the write of the request; once the request is written it is
// started again, so that the answer gets the whole timeout from the moment
// the request was sent. A call can thus last up to twice the timeout.
func newExchange(ctx context.Context, name, addr string, timeout time.Duration) *exchange {
	x := &exchange{name: name, addr: addr, timeout: timeout, parent: ctx}
	x.ctx, x.cancel = context.WithCancelCause(ctx)
	x.timer = time.AfterFunc(timeout, func() { x.cancel(errCallTimeout) })
	x.ctx = httptrace.WithClientTrace(x.ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { x.advance(sending) },
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err != nil {
				return // still sending: the request may be partly out
			}
			x.mu.Lock()
			defer x.mu.Unlock()
			if x.stage < waiting {
				x.stage = waiting
				if x.timer.Stop() { // not fired yet: the answer gets the whole timeout
					x.timer.Reset(x.timeout)
				}
			}
		},
	})
	return x
}

func (x *exchange) advance(s stage) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stage = max(x.stage, s)
}

func (x *exchange) current() stage {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stage
}

// end releases the exchange's timer and context.
func (x *exchange) end() {
	x.timer.Stop()
	x.cancel(nil)
}

// close ends an exchange that has a response.
func (x *exchange) close(resp *http.Response) {
	_ = resp.Body.Close()
	x.end()
}

// fail types a transport failure by the stage it interrupted. The error it
// returns wraps exactly one sentinel of the outcome vocabulary (the
// transport's own error is kept as text only, so that nothing else in the
// chain can be mistaken for a classification), unless the caller's context
// ended: then it wraps the context's error, and types nothing.
//
// The grey zones, decided here:
//   - Connecting: a refused connection, an unreachable address, a reset
//     during the handshake and a connect that outlasts the timeout are all
//     ErrRefused. No connection existed, so nothing reached the tool.
//   - Sending: a failure while the request is being written is typed as if
//     the request had been sent (ErrTimeout, ErrReset). Its first bytes may
//     have reached the tool, and whether a tool acts on a partial request is
//     the tool's business; calling it "refused" could duplicate an effect,
//     calling it "sent" at worst reconciles one that never happened.
//   - Waiting and reading: the timeout is ErrTimeout; a reset, an EOF, an
//     unexpected EOF or a response head that does not parse — anything that
//     leaves no complete response — is ErrReset.
//   - Streaming: any end before the done record — EOF, reset, timeout — is
//     ErrStreamCut, even with no chunk received yet: the stream began.
func (x *exchange) fail(err error) error {
	if x.parent.Err() != nil {
		return fmt.Errorf("%s: %w", x.name, context.Cause(x.parent))
	}
	timedOut := errors.Is(context.Cause(x.ctx), errCallTimeout)
	switch st := x.current(); {
	case st == connecting && timedOut:
		return fmt.Errorf("%s at %s: %w (no connection within %s)", x.name, x.addr, outcome.ErrRefused, x.timeout)
	case st == connecting:
		return fmt.Errorf("%s at %s: %w (%v)", x.name, x.addr, outcome.ErrRefused, err)
	case st == streaming && timedOut:
		return fmt.Errorf("%s: %w (%v: no done record within %s of the request being sent)", x.name, outcome.ErrStreamCut, err, x.timeout)
	case st == streaming:
		return fmt.Errorf("%s: %w (%v)", x.name, outcome.ErrStreamCut, err)
	case st == sending && timedOut:
		return fmt.Errorf("%s: %w (the request was still being written after %s; it may have reached the tool)", x.name, outcome.ErrTimeout, x.timeout)
	case timedOut:
		return fmt.Errorf("%s: %w (no complete answer within %s of the request being sent)", x.name, outcome.ErrTimeout, x.timeout)
	default:
		return fmt.Errorf("%s: %w (%v)", x.name, outcome.ErrReset, err)
	}
}

// bad types a complete response that could not be handled.
func (x *exchange) bad(what string, err error) error {
	return fmt.Errorf("%s: %w (%s: %v)", x.name, outcome.ErrBadResponse, what, err)
}

// rejected types the tool's rejection of the operation after it acted (the
// code "rejected", on a 422 or a stream's error record).
func (x *exchange) rejected(we wireError) error {
	return fmt.Errorf("%s: %w", x.name, &outcome.RejectedError{Reason: we.Error})
}

// status types an answer with an error status: the status and its
// Retry-After, whatever became of its body — or, with the code "rejected",
// the tool's rejection of the operation after it acted.
func (x *exchange) status(resp *http.Response, we wireError) error {
	if we.Code == codeRejected {
		return x.rejected(we)
	}
	se := outcome.Status(resp.StatusCode, retryAfter(resp.Header, time.Now()))
	if we.Error != "" {
		return fmt.Errorf("%s: %w (%s)", x.name, se, we.Error)
	}
	return fmt.Errorf("%s: %w", x.name, se)
}
