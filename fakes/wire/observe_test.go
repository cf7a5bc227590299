package wire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// seen keeps what an observer was told.
type seen struct {
	mu sync.Mutex
	xs []wire.Exchange
}

func (s *seen) observe(x wire.Exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xs = append(s.xs, x)
}

// lines renders each exchange as "arrived|answered fault status retry-after result".
func (s *seen) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, x := range s.xs {
		what := "arrived"
		if x.Answered {
			what = "answered"
		}
		out = append(out, fmt.Sprintf("%s %s attempt %d %s %d %v %t", what, x.Site.Tool, x.Site.Attempt, x.Fault, x.Status, x.RetryAfter, x.Result))
	}
	return out
}

func TestTheObserverSeesEachRequestArriveAndBeAnswered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var s seen
		r := setupWith(t, &wire.Opts{Faults: only(wire.Call, 1, wire.Fault{Kind: wire.RateLimit, RetryAfter: 1500 * time.Millisecond}),
			Observe: s.observe})
		r.call(fakes.CreateCharge, op1, "k1", nil)
		r.call(fakes.CreateCharge, op1, "k1", nil)
		want := []string{
			"arrived create_charge attempt 1 rate-limit 0 0s false",
			"answered create_charge attempt 1 rate-limit 429 1.5s false",
			"arrived create_charge attempt 2 none 0 0s false",
			"answered create_charge attempt 2 none 200 0s true",
		}
		if got := s.lines(); !slices.Equal(got, want) {
			t.Fatalf("observed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// Then runs once the world has acted (after the effect) or before it could
// (before), and before the reply leaves.
func TestThenRunsBetweenTheWorldAndTheReply(t *testing.T) {
	for _, tc := range []struct {
		kind    wire.Kind
		effects int
	}{{wire.Reset, 1}, {wire.Refuse, 0}, {wire.Status, 1}, {wire.Zombie, 0}} {
		t.Run(tc.kind.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var r *rig
				atThen := -1
				then := func() { atThen = len(r.world.Ledger().Effects()) } // the handler's goroutine: ordered after the world's write
				r = setup(t, only(wire.Call, 1, wire.Fault{Kind: tc.kind, Status: 502, Then: then}))
				if got := r.call(fakes.SendEmail, op1, "", nil); got.status == 200 {
					t.Fatalf("the faulted call answered 200")
				}
				if atThen != tc.effects {
					t.Fatalf("Then saw %d effects, want %d", atThen, tc.effects)
				}
			})
		})
	}
}

func (r *rig) chatKeyed(stream bool, key string) ([]byte, error) {
	body := map[string]any{"model": "gpt-test", "stream": stream, "metadata": map[string]string{"op": op1},
		"messages": []map[string]any{{"role": "user", "content": "summarise the ticket"}}}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, r.ep.ModelBaseURL+"/chat/completions", bytes.NewReader(b))
	if key != "" {
		req.Header.Set(wire.HeaderIdempotencyKey, key)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

// chunks counts the chunk entries of the ledger by index.
func (r *rig) chunks() map[int]int {
	synctest.Wait()
	out := map[int]int{}
	for _, e := range r.world.Ledger().Effects() {
		if e.Kind == fakes.Chunk {
			out[e.Op.Sub]++
		}
	}
	return out
}

// With the client as the consumer, every chunk that reached it is
// delivered: a stream cut after two chunks and generated again delivers
// those two twice, unless the Idempotency-Key dedups them; a whole reply
// delivers its chunks once it is written, a lost one none.
func TestChunksThatReachTheClientAreDeliveredDownstream(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream bool
		fault  wire.Fault
		key    string
		twice  int
	}{
		{"stream cut, no key", true, wire.Fault{Kind: wire.StreamCut, Chunks: 2}, "", 2},
		{"stream cut, keyed", true, wire.Fault{Kind: wire.StreamCut, Chunks: 2}, "op-key", 0},
		{"whole reply lost", false, wire.Fault{Kind: wire.Reset}, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := setupWith(t, &wire.Opts{Faults: only(wire.Call, 1, tc.fault), ChunksDownstream: true})
				_, err := r.chatKeyed(tc.stream, tc.key)
				if tc.stream && !errors.Is(err, syscall.ECONNRESET) || !tc.stream && err == nil {
					t.Fatalf("the first call: %v", err)
				}
				if _, err := r.chatKeyed(tc.stream, tc.key); err != nil {
					t.Fatal(err)
				}
				got := r.chunks()
				twice := 0
				for i, n := range got {
					if n == 2 {
						twice++
					} else if n != 1 {
						t.Errorf("chunk %d delivered %d times", i, n)
					}
				}
				if twice != tc.twice || len(got) < 3 {
					t.Fatalf("chunks %v: %d delivered twice, want %d", got, twice, tc.twice)
				}
			})
		})
	}
}

// The same server on loopback sockets, outside any bubble: a call, and a
// reply lost after the tool acted, reset as TCP resets.
func TestServeTCP(t *testing.T) {
	t.Parallel()
	world := fakes.NewWorld(nil)
	srv := wire.New(world, &wire.Opts{Faults: only(wire.Call, 1, wire.Fault{Kind: wire.Reset})})
	ep, err := srv.ServeTCP()
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Shutdown(t.Context())
	})
	r := &rig{world: world, srv: srv, ep: ep, client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	if !strings.HasPrefix(ep.Tools[fakes.CreateCharge], "http://127.0.0.1:") {
		t.Fatalf("endpoint %s is not on loopback", ep.Tools[fakes.CreateCharge])
	}
	if first := r.call(fakes.CreateCharge, op1, "", nil); !errors.Is(first.err, syscall.ECONNRESET) {
		t.Fatalf("the lost reply: %+v", first)
	}
	if again := r.call(fakes.CreateCharge, op1, "", nil); again.status != 200 {
		t.Fatalf("the retry: %+v", again)
	}
	srv.Shutdown(t.Context())
	n := 0
	for _, e := range world.Ledger().Effects() {
		if e.Kind == fakes.Applied {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d charges, want 2", n)
	}
}
