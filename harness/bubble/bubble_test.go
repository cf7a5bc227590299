package bubble_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/harness/bubble"
)

func TestABodyThatEndsIsNoHang(t *testing.T) {
	h := bubble.Run(t, nil, func(ctx context.Context, t *testing.T) {
		time.Sleep(3 * time.Hour) // virtual
	})
	if h != nil {
		t.Fatalf("hang: %v", h)
	}
}

// stuckOnAChannel waits for a value nobody sends.
func stuckOnAChannel(ch chan int) { <-ch }

func TestADeadlockIsAHangWithItsGoroutines(t *testing.T) {
	h := bubble.Run(t, &bubble.Opts{Limit: time.Hour}, func(ctx context.Context, t *testing.T) {
		stuckOnAChannel(make(chan int))
	})
	if h == nil {
		t.Fatal("a body blocked for good was not reported")
	}
	if h.Virtual != time.Hour || !strings.Contains(h.String(), "bubble_test.stuckOnAChannel") {
		t.Fatalf("hang %v", h)
	}
}

// retryForever is a livelock: it never gives up and sleeps between tries.
func retryForever(ctx context.Context) {
	for ctx.Err() == nil {
		time.Sleep(time.Second)
	}
}

func TestALivelockStopsAtTheVirtualLimit(t *testing.T) {
	h := bubble.Run(t, &bubble.Opts{Limit: 10 * time.Minute}, func(ctx context.Context, t *testing.T) {
		retryForever(ctx)
	})
	if h == nil || h.Virtual != 10*time.Minute || !strings.Contains(h.String(), "retryForever") {
		t.Fatalf("hang %v", h)
	}
}

// A body that returns once cancelled leaves nothing behind: the hang is
// the one found at the limit.
func TestABodyCancelledAtTheLimitReturns(t *testing.T) {
	h := bubble.Run(t, &bubble.Opts{Limit: time.Minute}, func(ctx context.Context, t *testing.T) {
		select {
		case <-ctx.Done():
		case <-make(chan int):
		}
	})
	if h == nil || h.Virtual != time.Minute || !strings.HasPrefix(h.Reason, "no end by the virtual limit") {
		t.Fatalf("hang %v", h)
	}
}

// An HTTP client with no timeout waits for good on a tool that never
// answers: the hang names the goroutines, net/http's among them.
func TestAClientWithoutTimeoutHangsOnAHeldReply(t *testing.T) {
	h := bubble.Run(t, &bubble.Opts{Limit: time.Hour}, func(ctx context.Context, t *testing.T) {
		srv := wire.New(fakes.NewWorld(nil), &wire.Opts{Faults: wire.FaultsFunc(func(wire.Site) wire.Fault {
			return wire.Fault{Kind: wire.Timeout}
		})})
		n := memnet.New()
		ep, err := srv.Serve(n)
		if err != nil {
			t.Error(err)
			return
		}
		client := &http.Client{Transport: n.Transport()} // no timeout, and the body ignores ctx
		resp, err := client.Post(ep.Tools[fakes.SendEmail], "application/json", strings.NewReader(`{"op":"acme/x1/0"}`))
		if err == nil {
			resp.Body.Close()
		}
	})
	if h == nil || !strings.Contains(h.String(), "net/http.(*persistConn)") {
		t.Fatalf("hang %v", h)
	}
}

// AtLimit sees the body as it was when the limit came, before its context
// was cancelled.
func TestAtLimitSeesTheBodyBeforeItIsCancelled(t *testing.T) {
	var state, seen string
	h := bubble.Run(t, &bubble.Opts{Limit: time.Minute, AtLimit: func() { seen = state }}, func(ctx context.Context, t *testing.T) {
		state = "waiting"
		<-ctx.Done()
		state = "cancelled"
	})
	if h == nil || seen != "waiting" {
		t.Fatalf("hang %v; AtLimit saw %q, want %q", h, seen, "waiting")
	}
}
