package fakehttp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// failer fails every call of the tools it names, after the world acted.
type failer map[string]error

func (f failer) Fail(c engine.Call) error { return f[c.Tool] }

// An error after the tool acted arrives as its status; a rejection as a
// RejectedError; on a stream, after every chunk, as an error record. The
// world acted every time.
func TestFailerAnswersAfterTheWorldActed(t *testing.T) {
	t.Parallel()
	e := setup(t, &fakehttp.ServerOpts{Fail: failer{
		fakes.InsertRecord: outcome.Status(502, 0),
		fakes.CreateCharge: &outcome.RejectedError{Reason: "the card was declined after the charge"},
		fakes.LLMComplete:  outcome.Status(500, 0),
		fakes.Summarize:    &outcome.RejectedError{Reason: "the summary breaks a rule"},
	}}, nil)
	for _, tc := range []struct {
		tool, kind string
		status     int
	}{
		{fakes.InsertRecord, "status", 502},
		{fakes.CreateCharge, "rejected", 0},
		{fakes.LLMComplete, "stream-cut", 0},
		{fakes.Summarize, "rejected", 0},
		{fakes.SendEmail, "none", 0},
	} {
		var d deliveries
		c := call(tc.tool)
		c.Deliver = d.deliver
		_, err := e.client.Invoke(e.ctx, c)
		if kindOf(err) != tc.kind {
			t.Errorf("%s: %v; want %s", tc.tool, err, tc.kind)
		}
		if code, _ := statusOf(err); code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.tool, code, tc.status)
		}
		if tc.tool == fakes.LLMComplete && d.n() == 0 {
			t.Errorf("%s: no chunk arrived before the error record", tc.tool)
		}
	}
	var rj *outcome.RejectedError
	_, err := e.client.Invoke(e.ctx, call(fakes.CreateCharge))
	if !errors.As(err, &rj) || rj.Reason != "the card was declined after the charge" {
		t.Errorf("a rejection: %v; want the tool's reason, once", err)
	}
	// Three effects and two model calls' usage: every failed call acted
	// (the charge's key deduplicates its repeat).
	if e.count(fakes.Applied) != 3 || e.count(fakes.Usage) != 2 {
		t.Errorf("ledger %+v: want 3 applied effects and 2 usages", e.world.Ledger().Effects())
	}
}

// holder holds the first call of every operation of one tool and lands it
// when the operation's next call arrives.
type holder struct {
	tool string
	mu   sync.Mutex
	held map[string]engine.Call
	seen map[string]bool
	gone chan struct{} // closed when a held call's handler has given up
}

func opOf(c engine.Call) string { return c.Tenant + "/" + c.Exec }

func (h *holder) Arrived(ctx context.Context, world engine.Invoker, c engine.Call) {
	h.mu.Lock()
	held, ok := h.held[opOf(c)]
	delete(h.held, opOf(c))
	h.mu.Unlock()
	if ok {
		_, _ = world.Invoke(ctx, held)
	}
}

func (h *holder) Held(c engine.Call) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.Tool != h.tool || h.seen[opOf(c)] {
		return false
	}
	h.seen[opOf(c)] = true
	h.held[opOf(c)] = c
	return true
}

// A held call gets no answer — the client times out — and nothing happens
// until the operation's next call arrives: then the held request lands
// first, and the key deduplicates the retry.
func TestHolderHoldsACallUntilItsOperationArrivesAgain(t *testing.T) {
	t.Parallel()
	h := &holder{tool: fakes.InsertRecord, held: map[string]engine.Call{}, seen: map[string]bool{}}
	e := setup(t, &fakehttp.ServerOpts{Hold: h}, &fakehttp.ClientOpts{Timeout: timeout})
	first := call(fakes.InsertRecord)
	start := time.Now()
	if _, err := e.client.Invoke(e.ctx, first); kindOf(err) != "timeout" {
		t.Fatalf("a held call: %v; want a timeout", err)
	}
	if time.Since(start) < timeout {
		t.Errorf("a held call ended after %s, before the client's timeout", time.Since(start))
	}
	if e.world.Ledger().Len() != 0 {
		t.Fatalf("ledger %+v: a held call acted", e.world.Ledger().Effects())
	}
	retry := first
	retry.Attempt = 2
	resp, err := e.client.Invoke(e.ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	effects := e.world.Ledger().Effects()
	if len(effects) != 1 || effects[0].Attempt != 1 || resp.Ref != effects[0].Ref {
		t.Errorf("ledger %+v, retry answered %+v: want the held attempt's effect, once, and the retry deduplicated to it", effects, resp)
	}
}

// lookups records the lookups the world was asked and lets each through.
type lookups struct {
	mu   sync.Mutex
	seen []engine.LookupRequest
}

func (l *lookups) Quirk(engine.Call) fakes.Quirk { return fakes.NoQuirk }

func (l *lookups) LookupQuirk(r engine.LookupRequest, may []fakes.Quirk) fakes.Quirk {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, r)
	return may[0] // a miss, for insert_record's lookup
}

// A lookup names the attempt that makes it: the world's quirks, decided per
// attempt, see the same request over HTTP as in process.
func TestLookupNamesTheAttempt(t *testing.T) {
	t.Parallel()
	q := &lookups{}
	w := fakes.NewWorld(&fakes.Opts{Quirks: q})
	srv, err := fakehttp.Serve(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cl := fakehttp.NewClient(srv.Addr, nil)
	ins := call(fakes.InsertRecord)
	if _, err := cl.Invoke(context.Background(), ins); err != nil {
		t.Fatal(err)
	}
	r := engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "x1", Run: 1, Step: 2, Attempt: 3}, Tool: fakes.InsertRecord, Key: ins.Key}
	res, err := cl.Lookup(context.Background(), r)
	if err != nil || res.Found {
		t.Errorf("a lookup the world misses: %+v, %v; want not found", res, err)
	}
	if len(q.seen) != 1 || q.seen[0] != r {
		t.Errorf("the world saw lookups %+v; want %+v", q.seen, r)
	}
	expectError(t, "GET", "http://"+srv.Addr(fakes.InsertRecord)+"/lookup?tenant=acme&key=k&attempt=one", "", 400, "malformed-request")
}
