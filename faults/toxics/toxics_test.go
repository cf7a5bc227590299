package toxics_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/faults/toxics"
)

// echo is a server that answers each line with "ok <line>\n" and counts
// the lines it received.
type echo struct {
	ln    net.Listener
	lines chan string
}

func newEcho(t *testing.T) *echo {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{ln: ln, lines: make(chan string, 100)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					e.lines <- strings.TrimSpace(line)
					_, _ = io.WriteString(c, "ok "+line)
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return e
}

func setup(t *testing.T) (*toxics.Server, *toxics.Control, string, *echo) {
	t.Helper()
	s, err := toxics.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := newEcho(t)
	addr, err := s.Proxy("tool", e.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return s, toxics.Connect(s.API()), addr, e
}

// call sends one line through the proxy and reads the reply with a deadline.
func call(addr, line string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	return bufio.NewReader(c).ReadString('\n')
}

func received(e *echo) []string {
	var got []string
	for {
		select {
		case l := <-e.lines:
			got = append(got, l)
		case <-time.After(50 * time.Millisecond):
			return got
		}
	}
}

func TestProxyPassesTrafficWithoutToxics(t *testing.T) {
	t.Parallel()
	_, _, addr, _ := setup(t)
	if got, err := call(addr, "hello"); err != nil || got != "ok hello\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestHoldRepliesLetsTheToolActAndTheClientTimeOut(t *testing.T) {
	t.Parallel()
	_, ctl, addr, e := setup(t)
	undo, err := ctl.Apply("tool", toxics.HoldReplies)
	if err != nil {
		t.Fatal(err)
	}
	_, err = call(addr, "charge")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a timeout, got %v", err)
	}
	if got := received(e); len(got) != 1 || got[0] != "charge" {
		t.Fatalf("the tool should have received the request: %v", got)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if got, err := call(addr, "again"); err != nil || got != "ok again\n" {
		t.Fatalf("after removing the toxic: %q, %v", got, err)
	}
}

func TestResetOnReplyResetsAfterTheToolActed(t *testing.T) {
	t.Parallel()
	_, ctl, addr, e := setup(t)
	undo, err := ctl.Apply("tool", toxics.ResetOnReply)
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	_, err = call(addr, "email")
	if err == nil || !(errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)) {
		t.Fatalf("want a reset (or EOF), got %v", err)
	}
	if got := received(e); len(got) != 1 {
		t.Fatalf("the tool should have received the request: %v", got)
	}
}

func TestHoldRequestsKeepsTheToolFromActing(t *testing.T) {
	t.Parallel()
	_, ctl, addr, e := setup(t)
	undo, err := ctl.Apply("tool", toxics.HoldRequests)
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	if _, err := call(addr, "charge"); err == nil {
		t.Fatal("want a timeout")
	}
	if got := received(e); len(got) != 0 {
		t.Fatalf("the request must not arrive: %v", got)
	}
}

func TestCutAfterLetsABytesPrefixThrough(t *testing.T) {
	t.Parallel()
	_, ctl, addr, _ := setup(t)
	undo, err := ctl.Apply("tool", toxics.CutAfter(4))
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	got, err := call(addr, "stream")
	if got != "ok s" || err == nil {
		t.Fatalf("want 4 bytes then the end, got %q, %v", got, err)
	}
}

func TestCutResetsEveryConnectionAndKeepsThePort(t *testing.T) {
	t.Parallel()
	_, ctl, addr, e := setup(t)
	open, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	undo, err := ctl.Cut("tool")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call(addr, "x"); !isCut(err) {
		t.Fatalf("a new connection: want it reset, got %v", err)
	}
	_ = open.SetDeadline(time.Now().Add(300 * time.Millisecond))
	_, _ = io.WriteString(open, "y\n")
	if _, err := bufio.NewReader(open).ReadString('\n'); !isCut(err) {
		t.Fatalf("a connection opened before the cut: want it reset, got %v", err)
	}
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("another listener took %s while the link was cut", addr)
	}
	if err := undo(); err != nil {
		t.Fatal(err)
	}
	if got, err := call(addr, "back"); err != nil || got != "ok back\n" {
		t.Fatalf("after restoring: %q, %v", got, err)
	}
	if got := received(e); len(got) != 1 || got[0] != "back" {
		t.Fatalf("only the call after restoring arrives: %v", got)
	}
}

// isCut reports whether err is what a cut link gives a client: a reset, or
// the connection closed before any reply.
func isCut(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, syscall.EPIPE)
}

// Clear undoes what a process that died left behind — every toxic it added
// goes — and keeps what this process added itself.
func TestClearRemovesWhatAnotherProcessLeft(t *testing.T) {
	t.Parallel()
	s, ctl, addr, _ := setup(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envApply+"="+s.API())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the other process: %v\n%s", err, out)
	}
	if _, err := call(addr, "x"); err == nil {
		t.Fatal("the other process's toxics should hold the reply")
	}
	if err := ctl.Clear("tool"); err != nil {
		t.Fatal(err)
	}
	if got, err := call(addr, "back"); err != nil || got != "ok back\n" {
		t.Fatalf("after Clear: %q, %v; want the reply, with no toxic holding it", got, err)
	}
	undo, err := ctl.Cut("tool")
	if err != nil {
		t.Fatal(err)
	}
	defer undo()
	if err := ctl.Clear("tool"); err != nil {
		t.Fatal(err)
	}
	if _, err := call(addr, "x"); !isCut(err) {
		t.Fatalf("this process's own cut should stay, got %v", err)
	}
}

// envApply makes this test binary a process that adds toxics to the proxy
// named tool of the API it names, and exits without removing them.
const envApply = "CHAOSRUN_TOXICS_APPLY"

func TestMain(m *testing.M) {
	if api := os.Getenv(envApply); api != "" {
		ctl := toxics.Connect(api)
		if _, err := ctl.Apply("tool", toxics.HoldReplies); err != nil {
			panic(err)
		}
		if _, err := ctl.Cut("tool"); err != nil {
			panic(err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
