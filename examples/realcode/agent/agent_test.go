package agent_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chaosrun/chaosrun/examples/realcode/agent"
	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// world serves a fresh fake world on an in-memory network inside the
// bubble and returns it with the step's configuration.
func world(t *testing.T, faults wire.Faults) (*fakes.World, agent.Config) {
	t.Helper()
	w := fakes.NewWorld(nil)
	srv := wire.New(w, &wire.Opts{Faults: faults})
	n := memnet.New()
	ep, err := srv.Serve(n)
	if err != nil {
		t.Fatal(err)
	}
	tr := n.Transport()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return w, agent.Config{HTTP: &http.Client{Transport: tr}, ModelURL: ep.ModelBaseURL, Tools: ep.Tools}
}

// charges counts the charges the world applied for an operation, once the
// bubble is quiet.
func charges(w *fakes.World, op fakes.Op) int {
	synctest.Wait()
	n := 0
	for _, e := range w.Ledger().Effects() {
		if e.Kind == fakes.Applied && e.Tool == fakes.CreateCharge && e.Op == op {
			n++
		}
	}
	return n
}

// lostReply makes the model's first call a 429 (Retry-After 2s) and loses
// the reply of the first charge after it landed.
var lostReply = wire.FaultsFunc(func(s wire.Site) wire.Fault {
	switch {
	case s.Phase == wire.Call && s.Tool == fakes.LLMComplete && s.Attempt == 1:
		return wire.Fault{Kind: wire.RateLimit, RetryAfter: 2 * time.Second}
	case s.Phase == wire.Call && s.Tool == fakes.CreateCharge && s.Attempt == 1:
		return wire.Fault{Kind: wire.Reset}
	}
	return wire.Fault{}
})

// The naive step charges twice when the charge's reply is lost after it
// landed; the careful one (key and lookup) charges once. openai-go's wait
// on the 429 (Retry-After-Ms: 2000) and backoff's randomized 250-750ms
// both pass on the bubble's clock.
func TestAReplyLostAfterTheChargeDuplicatesIt(t *testing.T) {
	for _, stream := range []bool{false, true} {
		for _, careful := range []bool{false, true} {
			want := map[bool]int{false: 2, true: 1}[careful]
			t.Run(fmt.Sprintf("stream=%t careful=%t", stream, careful), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					w, cfg := world(t, lostReply)
					cfg.Stream, cfg.Careful = stream, careful
					task := agent.Task{Tenant: fakes.Acme, Op: "acme/refund-7/2", Ticket: "T-7", Amount: 1200}
					start := time.Now()
					res, err := agent.Refund(t.Context(), cfg, task)
					if err != nil {
						t.Fatal(err)
					}
					elapsed := time.Since(start)
					op, _ := wire.ParseOp(task.Op)
					if n := charges(w, op); n != want {
						t.Fatalf("%d charges for one refund, want %d", n, want)
					}
					if res.Tokens == 0 || res.ChargeID == "" {
						t.Fatalf("result %+v", res)
					}
					if elapsed < 2250*time.Millisecond || elapsed > 2750*time.Millisecond {
						t.Fatalf("the step took %v of virtual time, want 2s (the model's Retry-After) + 250-750ms (backoff)", elapsed)
					}
				})
			})
		}
	}
}
