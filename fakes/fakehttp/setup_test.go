package fakehttp_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// timeout is the client's timeout in tests that produce timeouts.
const timeout = 150 * time.Millisecond

// env is a served world and a client for it.
type env struct {
	ctx    context.Context
	world  *fakes.World
	srv    *fakehttp.Servers
	client *fakehttp.Client
}

func setup(t testing.TB, sopts *fakehttp.ServerOpts, copts *fakehttp.ClientOpts) *env {
	t.Helper()
	w := fakes.NewWorld(nil)
	srv, err := fakehttp.Serve(w, sopts)
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &env{ctx: context.Background(), world: w, srv: srv, client: fakehttp.NewClient(srv.Addr, copts)}
}

// via returns a client that reaches one name at addr and every other at
// the served world.
func (e *env) via(name, addr string, opts *fakehttp.ClientOpts) *fakehttp.Client {
	return fakehttp.NewClient(func(n string) string {
		if n == name {
			return addr
		}
		return e.srv.Addr(n)
	}, opts)
}

// count returns how many ledger entries of a kind the world holds.
func (e *env) count(k fakes.Kind) int {
	n := 0
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == k {
			n++
		}
	}
	return n
}

// only returns a client that reaches every name at addr.
func only(addr string, d time.Duration) *fakehttp.Client {
	return fakehttp.NewClient(func(string) string { return addr }, &fakehttp.ClientOpts{Timeout: d})
}

// call returns a call of tool for acme.
func call(tool string) engine.Call {
	return engine.Call{
		AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "x1", Run: 0, Step: 0, Attempt: 1},
		Tool:      tool,
		Key:       "key:acme/x1/0",
		Token:     "tok:acme/x1/0",
		Payload:   "request=acme:request:order 7\n",
	}
}

// deliveries records what a call's Deliver received.
type deliveries struct {
	mu      sync.Mutex
	indexes []int
	fail    func(i int) error
}

func (d *deliveries) deliver(i int, _ string) error {
	if d.fail != nil {
		if err := d.fail(i); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.indexes = append(d.indexes, i)
	return nil
}

func (d *deliveries) n() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.indexes)
}

// vocabulary is every type of failure a transport may report.
var vocabulary = []struct {
	name string
	is   func(error) bool
}{
	{"refused", func(err error) bool { return errors.Is(err, outcome.ErrRefused) }},
	{"timeout", func(err error) bool { return errors.Is(err, outcome.ErrTimeout) }},
	{"reset", func(err error) bool { return errors.Is(err, outcome.ErrReset) }},
	{"stream-cut", func(err error) bool { return errors.Is(err, outcome.ErrStreamCut) }},
	{"bad-response", func(err error) bool { return errors.Is(err, outcome.ErrBadResponse) }},
	{"status", func(err error) bool { var se *outcome.StatusError; return errors.As(err, &se) }},
	{"rejected", func(err error) bool { var rj *outcome.RejectedError; return errors.As(err, &rj) }},
	{"crash", func(err error) bool { return errors.Is(err, engine.ErrCrash) }},
	{"no-lookup", func(err error) bool { return errors.Is(err, fakes.ErrNoLookup) }},
	{"context", func(err error) bool {
		return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
	}},
}

// kindOf names the one type an error has in the vocabulary, "none", or a
// "+"-joined list when it has several (which is a bug: the engine checks
// them in an order of its own).
func kindOf(err error) string {
	var kinds []string
	for _, v := range vocabulary {
		if err != nil && v.is(err) {
			kinds = append(kinds, v.name)
		}
	}
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, "+")
}

func statusOf(err error) (int, time.Duration) {
	var se *outcome.StatusError
	if !errors.As(err, &se) {
		return 0, 0
	}
	return se.Code, se.RetryAfter
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// closedAddr returns an address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t)
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// rawServer serves every connection with handle, and counts them: the
// client must open exactly one per call.
type rawServer struct {
	addr  string
	conns atomic.Int32
}

func serveRaw(t *testing.T, handle func(conn net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln := listen(t)
	rs := &rawServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			rs.conns.Add(1)
			wg.Go(func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
				handle(conn, bufio.NewReader(conn))
			})
		}
	})
	return rs
}

// readRequest reads one whole request off a raw connection.
func readRequest(br *bufio.Reader) error {
	req, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err
}

// answer returns a raw handler that reads the request, then writes raw.
func answer(raw string) func(net.Conn, *bufio.Reader) {
	return func(conn net.Conn, br *bufio.Reader) {
		if readRequest(br) == nil {
			_, _ = io.WriteString(conn, raw)
		}
	}
}

// stall returns a raw handler that reads the request, writes raw, then
// waits for the client to give up.
func stall(raw string) func(net.Conn, *bufio.Reader) {
	return func(conn net.Conn, br *bufio.Reader) {
		if readRequest(br) != nil {
			return
		}
		_, _ = io.WriteString(conn, raw)
		_, _ = io.Copy(io.Discard, br) // returns when the client closes
	}
}

// streamHead is a stream's response head, as a raw server writes it.
const streamHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"

// frame wraps an SSE record in an HTTP chunk.
func frame(record string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(record), record) }

func chunkRecord(i int) string {
	return fmt.Sprintf("event: chunk\ndata: {\"i\":%d,\"text\":\"acme:chunk-%d\"}\n\n", i, i)
}

// cutProxy forwards connections to upstream and closes each after limit
// bytes of the answer, as Toxiproxy's limit_data does; limit < 0 forwards
// everything.
func cutProxy(t *testing.T, upstream string, limit int) string {
	t.Helper()
	ln := listen(t)
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { pipe(c, upstream, limit) })
		}
	})
	return ln.Addr().String()
}

func pipe(c net.Conn, upstream string, limit int) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		return
	}
	defer u.Close()
	go func() { _, _ = io.Copy(u, c) }() // ends when either side closes
	if limit < 0 {
		_, _ = io.Copy(c, u)
		return
	}
	_, _ = io.CopyN(c, u, int64(limit))
}
