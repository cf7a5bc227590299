package wirenet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/wirenet"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

var (
	_ harness.Network = (*wirenet.Network)(nil)
	_ harness.Outager = (*wirenet.Network)(nil)
)

func setup(t *testing.T) (*wirenet.Network, *worlds.World) {
	t.Helper()
	n, err := wirenet.New(&wirenet.Opts{Latency: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	w, err := worlds.Load("../testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return n, w
}

// team is plain net/http code with a retry loop: naive, or careful (the
// operation id as its key, a lookup before doing a step again,
// Retry-After honoured, a dead letter when it gives up).
type team struct{ careful bool }

func (tm team) body(s *harness.System) {
	s.OnRestart(func(x harness.Execution) { s.Report(x, tm.run(s, x)) })
	for _, x := range s.Executions() {
		s.Report(x, tm.run(s, x))
	}
}

func (tm team) run(s *harness.System, x harness.Execution) error {
	ctx := s.Context(x)
	for _, st := range x.Steps {
		if err := tm.step(ctx, s, x, st); err != nil {
			if tm.careful {
				return harness.DeadLettered(err)
			}
			return err
		}
	}
	return nil
}

func (tm team) step(ctx context.Context, s *harness.System, x harness.Execution, st harness.Step) error {
	wait := 50 * time.Millisecond
	var err error
	for try := 1; try <= 12; try++ {
		if tm.careful && try > 1 && tm.found(ctx, s, x, st) {
			return nil
		}
		var ra time.Duration
		if ra, err = tm.call(ctx, s, st); err == nil {
			return nil
		}
		d := wait
		if tm.careful && ra > d {
			d = ra
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = min(2*wait, 5*time.Second)
	}
	return err
}

func (tm team) call(ctx context.Context, s *harness.System, st harness.Step) (time.Duration, error) {
	body, _ := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.ToolURL(st.Tool), bytes.NewReader(body))
	if tm.careful {
		req.Header.Set("Idempotency-Key", st.Op)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 {
		ms, _ := strconv.Atoi(resp.Header.Get("Retry-After-Ms"))
		return time.Duration(ms) * time.Millisecond, fmt.Errorf("status %d", resp.StatusCode)
	}
	return 0, nil
}

func (tm team) found(ctx context.Context, s *harness.System, x harness.Execution, st harness.Step) bool {
	u := s.ToolURL(st.Tool) + "/lookup?" + url.Values{"tenant": {x.Tenant}, "key": {st.Op}}.Encode()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var r struct{ Found bool }
	return resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&r) == nil && r.Found
}

// Over loopback and Toxiproxy, on real time: the naive code is caught
// charging twice, the careful code is clean.
func TestNetModeCatchesTheNaiveCode(t *testing.T) {
	t.Parallel()
	n, w := setup(t)
	naive := &harness.SystemOpts{Net: n, Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}, AllFaults: true}
	run, id, err := harness.SearchSystem(t, w, team{}.body, 1, 30, naive)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects {
		t.Fatalf("the naive code went uncaught over the network (%v, %q)", run != nil, id)
	}
	run, id, err = harness.SearchSystem(t, w, team{careful: true}.body, 1, 8, &harness.SystemOpts{Net: n, AllFaults: true})
	if err != nil {
		t.Fatal(err)
	}
	if run != nil {
		t.Fatalf("the careful code failed over the network (%s):\n%s", id, run.Failure(nil))
	}
}

// CheckSystem's net option: rapid's cases and seed, real time.
func TestCheckSystemInNetMode(t *testing.T) {
	n, w := setup(t)
	err := scenarios.WithRapidFlags(map[string]string{"rapid.checks": "4", "rapid.seed": "3"}, func() {
		harness.CheckSystem(t, w, team{careful: true}.body, &harness.SystemOpts{Net: n})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An outage cuts the tool's proxy: every connection through it is reset
// and nothing reaches the tool, until it is over.
func TestAnOutageCutsTheToolForReal(t *testing.T) {
	t.Parallel()
	n, _ := setup(t)
	world := fakes.NewWorld(nil)
	srv := wire.New(world, nil)
	ep, client, release, err := n.Serve(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		release()
	})
	post := func() error {
		resp, err := client.Post(ep.Tools[fakes.SendEmail], "application/json", bytes.NewReader([]byte(`{"op":"acme/e1/0"}`)))
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := post(); err != nil {
		t.Fatal(err)
	}
	n.Down(fakes.SendEmail, time.Second)
	if err := post(); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("a call during the outage: %v, want a reset connection", err)
	}
	if got := len(srv.Log()); got != 1 {
		t.Fatalf("the server logged %d exchanges, want the one before the outage", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for post() != nil {
		if time.Now().After(deadline) {
			t.Fatal("the tool's proxy never came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
