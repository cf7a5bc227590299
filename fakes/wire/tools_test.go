package wire_test

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

func TestToolCallAndLookupByKey(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, nil)
		first := r.call(fakes.CreateCharge, op1, "k1", map[string]any{"amount": 12})
		if first.err != nil || first.status != 200 || first.body["ref"] == "" {
			t.Fatalf("call = %+v", first)
		}
		again := r.call(fakes.CreateCharge, op1, "k1", map[string]any{"amount": 12})
		if again.body["ref"] != first.body["ref"] {
			t.Fatalf("a repeated key gave ref %v, want the first %v", again.body["ref"], first.body["ref"])
		}
		if n := r.applied(fakes.CreateCharge); n != 1 {
			t.Fatalf("%d charges applied under one key, want 1", n)
		}
		found := r.lookup(fakes.CreateCharge, fakes.Acme, "k1")
		if found.status != 200 || found.body["found"] != true || found.body["ref"] != first.body["ref"] {
			t.Fatalf("lookup = %+v", found)
		}
		if missing := r.lookup(fakes.CreateCharge, fakes.Acme, "k2"); missing.body["found"] != false {
			t.Fatalf("lookup of an unknown key = %+v", missing)
		}
		if none := r.lookup(fakes.SendEmail, fakes.Acme, "k1"); none.status != 404 {
			t.Fatalf("lookup on a tool without lookups = %d, want 404", none.status)
		}
		op, _ := wire.ParseOp(op1)
		if n := r.srv.Attempts(op, fakes.CreateCharge); n != 2 {
			t.Fatalf("the server counted %d attempts, want 2", n)
		}
	})
}

func TestToolCallRefusesMalformedRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, nil)
		for _, op := range []string{"", "acme", "acme/x1", "acme/x1/-1", "acme/x1/two"} {
			if got := r.call(fakes.InsertRecord, op, "", nil); got.status != 400 {
				t.Errorf("op %q: status %d, want 400", op, got.status)
			}
		}
		if n := r.applied(fakes.InsertRecord); n != 0 {
			t.Fatalf("malformed calls applied %d effects", n)
		}
	})
}

// Each fault, met on the first attempt of a call without a key: what the
// client sees and how many effects the world applied.
func TestToolFaults(t *testing.T) {
	cases := []struct {
		name    string
		fault   wire.Fault
		phase   wire.Phase
		status  int
		errIs   error
		effects int
	}{
		{"refused dial", wire.Fault{Kind: wire.Refuse}, wire.Dial, 0, syscall.ECONNREFUSED, 0},
		{"503 before", wire.Fault{Kind: wire.Unavailable, RetryAfter: 1500 * time.Millisecond}, wire.Call, 503, nil, 0},
		{"429 before", wire.Fault{Kind: wire.RateLimit, RetryAfter: 2 * time.Second}, wire.Call, 429, nil, 0},
		{"reset after", wire.Fault{Kind: wire.Reset}, wire.Call, 0, syscall.ECONNRESET, 1},
		{"500 after", wire.Fault{Kind: wire.Status}, wire.Call, 500, nil, 1},
		{"502 after", wire.Fault{Kind: wire.Status, Status: 502}, wire.Call, 502, nil, 1},
		{"reset unread", wire.Fault{Kind: wire.Refuse}, wire.Call, 0, syscall.ECONNRESET, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := setup(t, only(tc.phase, 1, tc.fault))
				got := r.call(fakes.SendEmail, op1, "", map[string]any{"to": "a@example.com"})
				if got.status != tc.status || tc.errIs == nil && got.err != nil || tc.errIs != nil && !errors.Is(got.err, tc.errIs) {
					t.Fatalf("got status %d, err %v; want status %d, err %v", got.status, got.err, tc.status, tc.errIs)
				}
				if n := r.applied(fakes.SendEmail); n != tc.effects {
					t.Fatalf("%d effects applied, want %d", n, tc.effects)
				}
				if tc.fault.RetryAfter > 0 {
					wantS, wantMs := map[int]string{503: "2", 429: "2"}[tc.status], map[int]string{503: "1500", 429: "2000"}[tc.status]
					if got.header.Get("Retry-After") != wantS || got.header.Get(wire.HeaderRetryAfterMs) != wantMs {
						t.Fatalf("Retry-After %q, Retry-After-Ms %q; want %q, %q", got.header.Get("Retry-After"), got.header.Get(wire.HeaderRetryAfterMs), wantS, wantMs)
					}
				}
				if again := r.call(fakes.SendEmail, op1, "", nil); again.status != 200 {
					t.Fatalf("the second attempt: %+v", again)
				}
			})
		})
	}
}

func TestTimeoutHoldsTheReplyUntilTheClientGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Timeout}))
		r.client.Timeout = 5 * time.Second
		start := time.Now()
		got := r.call(fakes.InsertRecord, op1, "", nil)
		var ne net.Error
		if !errors.As(got.err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a client timeout", got.err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Fatalf("the client gave up after %v, want its 5s timeout", d)
		}
		if n := r.applied(fakes.InsertRecord); n != 1 {
			t.Fatalf("%d effects applied, want 1 (the tool acted)", n)
		}
	})
}

func TestZombieLandsAfterTheRetryWasAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Zombie}))
		if got := r.call(fakes.InsertRecord, op1, "k1", nil); !errors.Is(got.err, syscall.ECONNRESET) {
			t.Fatalf("first attempt: %+v, want a reset", got)
		}
		if n := r.applied(fakes.InsertRecord); n != 0 {
			t.Fatalf("the zombie's effect landed at once (%d effects)", n)
		}
		if got := r.lookup(fakes.InsertRecord, fakes.Acme, "k1"); got.body["found"] != false {
			t.Fatalf("the lookup saw the zombie's effect: %+v", got)
		}
		if n := r.applied(fakes.InsertRecord); n != 1 {
			t.Fatalf("after the lookup was answered, %d effects, want the zombie's 1", n)
		}
		// A keyless retry duplicates; the zombie and the retry both landed.
		r.call(fakes.InsertRecord, op1, "", nil)
		if n := r.applied(fakes.InsertRecord); n != 2 {
			t.Fatalf("%d effects after a keyless retry, want 2", n)
		}
	})
}

func TestZombieWithoutAKeyLandsAfterTheNextCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Zombie}))
		r.call(fakes.SendEmail, op1, "", nil)
		if got := r.call(fakes.SendEmail, op1, "", nil); got.status != 200 {
			t.Fatalf("retry: %+v", got)
		}
		if n := r.applied(fakes.SendEmail); n != 2 {
			t.Fatalf("%d emails sent, want 2 (the retry's and the zombie's)", n)
		}
		var attempts []int
		synctest.Wait()
		for _, e := range r.world.Ledger().Effects() {
			attempts = append(attempts, e.Attempt)
		}
		if len(attempts) != 2 || attempts[0] != 2 || attempts[1] != 1 {
			t.Fatalf("ledger attempts %v, want [2 1]: the retry first, then the zombie", attempts)
		}
	})
}

func TestLaggingLookup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lag := wire.FaultsFunc(func(s wire.Site) wire.Fault {
			if s.Phase == wire.Lookup {
				return wire.Fault{Kind: wire.Lag, Lag: 2 * time.Second}
			}
			return wire.Fault{}
		})
		r := setup(t, lag)
		r.call(fakes.CreateCharge, op1, "k1", nil)
		if got := r.lookup(fakes.CreateCharge, fakes.Acme, "k1"); got.body["found"] != false {
			t.Fatalf("a lookup right after the effect found it: %+v", got)
		}
		time.Sleep(2 * time.Second)
		if got := r.lookup(fakes.CreateCharge, fakes.Acme, "k1"); got.body["found"] != true {
			t.Fatalf("a lookup after the lag did not find it: %+v", got)
		}
	})
}

func TestOutageRefusesForItsWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, wire.FaultsFunc(func(s wire.Site) wire.Fault {
			if s.Phase == wire.Call && s.Tool == fakes.InsertRecord && s.Attempt == 1 {
				return wire.Fault{Kind: wire.Outage, For: 10 * time.Second}
			}
			return wire.Fault{}
		}))
		if got := r.call(fakes.InsertRecord, op1, "", nil); got.status != 503 || got.header.Get("Retry-After") != "10" {
			t.Fatalf("the call that met the outage: %+v", got)
		}
		time.Sleep(9 * time.Second)
		if got := r.call(fakes.InsertRecord, op1, "", nil); !errors.Is(got.err, syscall.ECONNREFUSED) {
			t.Fatalf("a call inside the window: %+v, want refused", got)
		}
		if got := r.call(fakes.VectorSearch, op1, "", nil); got.status != 200 {
			t.Fatalf("another tool during the outage: %+v", got)
		}
		time.Sleep(time.Second)
		if got := r.call(fakes.InsertRecord, op1, "", nil); got.status != 200 {
			t.Fatalf("a call after the window: %+v", got)
		}
		if n := r.applied(fakes.InsertRecord); n != 1 {
			t.Fatalf("%d effects, want 1", n)
		}
	})
}

func TestLogRecordsEveryExchange(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Reset}))
		r.call(fakes.InsertRecord, op1, "k", nil)
		r.call(fakes.InsertRecord, op1, "k", nil)
		var calls []wire.Exchange
		for _, x := range r.srv.Log() {
			if x.Site.Phase == wire.Call {
				calls = append(calls, x)
			}
		}
		if len(calls) != 2 || calls[0].Fault != wire.Reset || calls[0].Site.Attempt != 1 || calls[1].Site.Attempt != 2 || calls[1].Outcome != "200" {
			t.Fatalf("log %+v", calls)
		}
	})
}
