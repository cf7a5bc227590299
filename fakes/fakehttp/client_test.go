package fakehttp_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Every failure a transport can produce, produced for real on loopback, and
// the type the client gives it.
func TestClientClassifiesWhatItObserves(t *testing.T) {
	t.Parallel()
	const okHead = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
	cases := []struct {
		name   string
		handle func(net.Conn, *bufio.Reader) // nil: nothing listens
		tool   string
		want   string
		chunks int // chunks delivered, for streams
		status int
		after  time.Duration
	}{
		{name: "refused: nothing listens", want: "refused"},
		// The grey zone: connected, so the request may have reached the tool.
		{name: "reset: RST after the request line, before the body", handle: func(conn net.Conn, br *bufio.Reader) {
			if _, err := br.ReadString('\n'); err == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
			}
		}, want: "reset"},
		{name: "timeout: no answer", handle: stall(""), want: "timeout"},
		{name: "timeout: head, then the body stalls", handle: stall(okHead + "Content-Length: 40\r\n\r\n{\"data\":"), want: "timeout"},
		{name: "reset: RST after the request was read", handle: func(conn net.Conn, br *bufio.Reader) {
			if readRequest(br) == nil {
				_ = conn.(*net.TCPConn).SetLinger(0)
			}
		}, want: "reset"},
		{name: "reset: EOF after the request was read", handle: answer(""), want: "reset"},
		{name: "reset: a head that is not HTTP", handle: answer("SMTP ready\r\n\r\n"), want: "reset"},
		{name: "reset: a head cut short", handle: answer("HTTP/1.1 200 OK\r\nContent-Ty"), want: "reset"},
		{name: "reset: a body cut short", handle: answer(okHead + "Content-Length: 40\r\n\r\n{\"data\":\"acme"), want: "reset"},
		{name: "bad response: a complete body that is not JSON", handle: answer(okHead + "Content-Length: 13\r\n\r\n{\"data\":\"acme"), want: "bad-response"},
		{name: "bad response: a field the protocol lacks", handle: answer(okHead + "Content-Length: 23\r\n\r\n{\"data\":\"a\",\"extra\":1}\n"), want: "bad-response"},
		{name: "bad response: a 204 with no body", handle: answer("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"), want: "bad-response"},
		{name: "status: 429 with Retry-After in seconds", handle: answer("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n"),
			want: "status", status: 429, after: 2 * time.Second},
		{name: "status: 429 with Retry-After-Ms", handle: answer("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\nRetry-After-Ms: 1250\r\nContent-Length: 0\r\n\r\n"),
			want: "status", status: 429, after: 1250 * time.Millisecond},
		{name: "status: 503 whose body is cut", handle: answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 50\r\n\r\n{\"err"),
			want: "status", status: 503},
		{name: "status: 502", handle: answer("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"), want: "status", status: 502},
		{name: "stream cut: EOF after two chunks", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + frame(chunkRecord(1))), want: "stream-cut", chunks: 2},
		{name: "stream cut: RST after one chunk", tool: fakes.LLMComplete, handle: func(conn net.Conn, br *bufio.Reader) {
			if readRequest(br) == nil {
				_, _ = io.WriteString(conn, streamHead+frame(chunkRecord(0)))
				_ = conn.(*net.TCPConn).SetLinger(0)
			}
		}, want: "stream-cut", chunks: 1},
		{name: "stream cut: the head, then a stall", tool: fakes.LLMComplete, handle: stall(streamHead), want: "stream-cut"},
		{name: "stream cut: a record without its blank line", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + frame("event: chunk\ndata: {\"i\":1,\"text\":\"x\"}\n")), want: "stream-cut", chunks: 1},
		{name: "stream cut: a clean end with no done record", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + "0\r\n\r\n"), want: "stream-cut", chunks: 1},
		{name: "stream cut: an error record", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + frame("event: error\ndata: {\"error\":\"overloaded\"}\n\n") + "0\r\n\r\n"), want: "stream-cut", chunks: 1},
		{name: "stream cut: a chunk out of order", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + frame(chunkRecord(2)) + "0\r\n\r\n"), want: "stream-cut", chunks: 1},
		{name: "bad response: a done record that does not decode", tool: fakes.LLMComplete,
			handle: answer(streamHead + frame(chunkRecord(0)) + frame("event: done\ndata: {\"data\":\"acme:l\n\n") + "0\r\n\r\n"), want: "bad-response", chunks: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := closedAddr(t)
			var rs *rawServer
			if tc.handle != nil {
				rs = serveRaw(t, tc.handle)
				addr = rs.addr
			}
			c := call(fakes.InsertRecord)
			if tc.tool != "" {
				c = call(tc.tool)
			}
			var d deliveries
			c.Deliver = d.deliver
			start := time.Now()
			_, err := only(addr, timeout).Invoke(context.Background(), c)
			if got := kindOf(err); got != tc.want {
				t.Fatalf("Invoke: %v\ntyped %s, want %s", err, got, tc.want)
			}
			if !strings.HasPrefix(err.Error(), c.Tool) {
				t.Errorf("error %q does not name the tool", err)
			}
			if code, after := statusOf(err); code != tc.status || after != tc.after {
				t.Errorf("status %d, Retry-After %s; want %d, %s", code, after, tc.status, tc.after)
			}
			if d.n() != tc.chunks {
				t.Errorf("%d chunks delivered, want %d", d.n(), tc.chunks)
			}
			if elapsed := time.Since(start); elapsed > timeout+time.Second/2 {
				t.Errorf("the call took %s with a timeout of %s", elapsed, timeout)
			}
			if rs != nil && rs.conns.Load() != 1 {
				t.Errorf("%d connections for one call: the client must never retry", rs.conns.Load())
			}
		})
	}
}

func TestClientTimeoutStartsWhenTheRequestIsSent(t *testing.T) {
	t.Parallel()
	rs := serveRaw(t, stall(""))
	start := time.Now()
	_, err := only(rs.addr, timeout).Invoke(context.Background(), call(fakes.InsertRecord))
	if !errors.Is(err, outcome.ErrTimeout) {
		t.Fatalf("Invoke: %v, want a timeout", err)
	}
	if elapsed := time.Since(start); elapsed < timeout {
		t.Errorf("timed out after %s, before the timeout of %s", elapsed, timeout)
	}
}

func TestClientHonoursTheCallersContext(t *testing.T) {
	t.Parallel()
	rs := serveRaw(t, stall(""))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := only(rs.addr, 5*time.Second).Invoke(ctx, call(fakes.InsertRecord))
	if got := kindOf(err); got != "context" {
		t.Fatalf("Invoke: %v typed %s; a cancelled caller gets its context's error, untyped", err, got)
	}
	if time.Since(start) > time.Second {
		t.Error("the call outlived its context")
	}
	if _, err := only(rs.addr, timeout).Invoke(ctx, call(fakes.InsertRecord)); !errors.Is(err, context.Canceled) {
		t.Errorf("Invoke with a done context: %v", err)
	}
}

func TestClientWithoutAnAddress(t *testing.T) {
	t.Parallel()
	cl := only("", timeout)
	ctx := context.Background()
	if _, err := cl.Invoke(ctx, call("no_such_tool")); kindOf(err) != "status" {
		t.Errorf("Invoke of a tool with no server: %v; want 404, as the world answers", err)
	} else if code, _ := statusOf(err); code != 404 {
		t.Errorf("status %d, want 404", code)
	}
	if _, err := cl.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: "no_such_tool", Key: "k"}); kindOf(err) != "no-lookup" {
		t.Errorf("Lookup of a tool with no server: %v", err)
	}
	if err := cl.Deliver(ctx, engine.Chunk{AttemptID: store.AttemptID{Tenant: fakes.Acme}}); kindOf(err) != "refused" {
		t.Errorf("Deliver with no downstream server: %v", err)
	}
}

func TestLookupAndDeliverClassifyToo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cl := only(serveRaw(t, answer("")).addr, timeout)
	if _, err := cl.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.InsertRecord, Key: "k"}); kindOf(err) != "reset" {
		t.Errorf("Lookup answered by EOF: %v", err)
	}
	if err := cl.Deliver(ctx, engine.Chunk{AttemptID: store.AttemptID{Tenant: fakes.Acme}}); kindOf(err) != "reset" {
		t.Errorf("Deliver answered by EOF: %v", err)
	}
	cl = only(closedAddr(t), timeout)
	if _, err := cl.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.InsertRecord, Key: "k"}); kindOf(err) != "refused" {
		t.Errorf("Lookup with nothing listening: %v", err)
	}
	if err := cl.Deliver(ctx, engine.Chunk{AttemptID: store.AttemptID{Tenant: fakes.Acme}}); kindOf(err) != "refused" {
		t.Errorf("Deliver with nothing listening: %v", err)
	}
}

// The grey zone of a request still being written when the timeout passes:
// part of it may have reached the tool, so it counts as sent.
func TestTimeoutWhileWritingCountsAsSent(t *testing.T) {
	t.Parallel()
	stop := make(chan struct{})
	rs := serveRaw(t, func(net.Conn, *bufio.Reader) { <-stop }) // never reads
	t.Cleanup(func() { close(stop) })
	c := call(fakes.InsertRecord)
	c.Payload = strings.Repeat("x", 8<<20) // more than the socket buffers hold
	start := time.Now()
	_, err := only(rs.addr, timeout).Invoke(context.Background(), c)
	if got := kindOf(err); got != "timeout" || !strings.Contains(err.Error(), "still being written") {
		t.Fatalf("Invoke: %v typed %s; want a timeout while writing", err, got)
	}
	t.Logf("the call took %s", time.Since(start))
}
