package memnet_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chaosrun/chaosrun/fakes/memnet"
)

// pair returns both ends of a connection over a fresh network.
func pair(t *testing.T) (client, server *memnet.Conn) {
	t.Helper()
	n := memnet.New()
	l, err := n.Listen("svc:80")
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.DialContext(t.Context(), "tcp", "svc:80")
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return c.(*memnet.Conn), s.(*memnet.Conn)
}

func TestReadBlocksDurablyUntilWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		got := make(chan string, 1)
		go func() {
			b := make([]byte, 8)
			n, _ := s.Read(b)
			got <- string(b[:n])
		}()
		synctest.Wait() // returns only if the reader is durably blocked
		select {
		case v := <-got:
			t.Fatalf("read returned %q before anything was written", v)
		default:
		}
		if _, err := c.Write([]byte("hi")); err != nil {
			t.Fatal(err)
		}
		if v := <-got; v != "hi" {
			t.Fatalf("read %q, want %q", v, "hi")
		}
	})
}

func TestCloseGivesEOFAfterData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		s.Write([]byte("reply"))
		s.Close()
		b, err := io.ReadAll(c)
		if err != nil || string(b) != "reply" {
			t.Fatalf("ReadAll = %q, %v; want the reply then EOF", b, err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write after the peer closed: %v, want EPIPE", err)
		}
	})
}

func TestResetDropsDataAndFailsThePeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		s.Write([]byte("reply that never arrives"))
		s.Reset()
		n, err := c.Read(make([]byte, 64))
		if n != 0 || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("read after a reset = %d, %v; want 0, ECONNRESET", n, err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("write after a reset: %v, want ECONNRESET", err)
		}
	})
}

func TestReadDeadlineOnVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, _ := pair(t)
		start := time.Now()
		c.SetReadDeadline(start.Add(30 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read past the deadline: %v, want a timeout", err)
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Fatalf("the deadline fired after %v of virtual time, want 30s", d)
		}
	})
}

func TestDialRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		if _, err := n.DialContext(t.Context(), "tcp", "nobody:80"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial with no listener: %v, want ECONNREFUSED", err)
		}
		l, _ := n.Listen("svc:80")
		l.SetGate(func() error { return errors.New("down") })
		if _, err := n.DialContext(t.Context(), "tcp", "svc:80"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial through a closed gate: %v, want ECONNREFUSED", err)
		}
		l.SetGate(nil)
		if _, err := n.DialContext(t.Context(), "tcp", "svc:80"); err != nil {
			t.Fatalf("dial through an open gate: %v", err)
		}
		l.Close()
		if _, err := n.DialContext(t.Context(), "tcp", "svc:80"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial after close: %v, want ECONNREFUSED", err)
		}
		if _, err := n.Listen("svc:80"); err != nil {
			t.Fatalf("listen again after close: %v", err)
		}
	})
}

// An HTTP server's sleeps and the client's timeout cost virtual time only.
func TestHTTPOnVirtualTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := memnet.New()
		l, _ := n.Listen("svc:80")
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			select {
			case <-time.After(3 * time.Second):
				w.Write([]byte("echo:" + string(b)))
			case <-r.Context().Done(): // the client gave up
			}
		})}
		go srv.Serve(l)
		tr := n.Transport()
		client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		start := time.Now()
		for range 3 {
			resp, err := client.Post("http://svc/", "text/plain", strings.NewReader("hi"))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "echo:hi" {
				t.Fatalf("body %q", b)
			}
		}
		if d := time.Since(start); d != 9*time.Second {
			t.Fatalf("three 3s requests took %v of virtual time, want 9s", d)
		}
		client.Timeout = time.Second
		if _, err := client.Post("http://svc/", "text/plain", strings.NewReader("hi")); err == nil {
			t.Fatal("a 1s client timeout against a 3s handler did not fail")
		}
		if d := time.Since(start); d != 10*time.Second {
			t.Fatalf("the timeout fired at %v, want 10s", d)
		}
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCutDeliversWhatWasWrittenThenResets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, s := pair(t)
		s.Write([]byte("two chunks"))
		s.Cut()
		b, err := io.ReadAll(c)
		if string(b) != "two chunks" || !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("ReadAll = %q, %v; want the data, then ECONNRESET", b, err)
		}
	})
}
