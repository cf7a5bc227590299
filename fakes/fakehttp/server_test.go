package fakehttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

func TestServeOnePortPerName(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	names := e.srv.Names()
	if !slices.Equal(names, fakehttp.Names()) || len(names) != len(fakes.StepTools)+3 {
		t.Fatalf("Names() = %v", names)
	}
	for _, want := range []string{fakes.DeleteRecord, fakes.RefundCharge, fakehttp.Downstream} {
		if !slices.Contains(names, want) {
			t.Errorf("no server for %s", want)
		}
	}
	seen := map[string]string{}
	for _, n := range names {
		addr := e.srv.Addr(n)
		if !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Errorf("Addr(%s) = %q, want a loopback port", n, addr)
		}
		if prev, ok := seen[addr]; ok {
			t.Errorf("%s and %s share %s", prev, n, addr)
		}
		seen[addr] = n
	}
	if got := e.srv.Addr("no_such_tool"); got != "" {
		t.Errorf("Addr of an unknown name = %q", got)
	}
}

// The same calls, in the same order, answer the same over HTTP as in
// process, and leave the same ledger.
func TestInvokeAnswersAsTheWorldDoes(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	local := fakes.NewWorld(nil)
	calls := make([]engine.Call, 0, len(fakes.StepTools)+2)
	for i, tool := range fakes.StepTools {
		c := call(tool)
		c.Step = i
		calls = append(calls, c)
	}
	undo := call(fakes.DeleteRecord)
	undo.Key = call(fakes.InsertRecord).Key
	refund := call(fakes.RefundCharge)
	refund.Ref = "create_charge-2"
	calls = append(calls, undo, refund)
	for _, c := range calls {
		want, werr := local.Invoke(e.ctx, c)
		got, err := e.client.Invoke(e.ctx, c)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%s over HTTP = %+v, %v; in process %+v, %v", c.Tool, got, err, want, werr)
		}
	}
	if got, want := canonical(e.world.Ledger()), canonical(local.Ledger()); !slices.Equal(got, want) {
		t.Errorf("ledger over HTTP:\n%s\nin process:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestGateAnswersBeforeTheWorldActs(t *testing.T) {
	t.Parallel()
	gate := fakehttp.GateFunc(func(c engine.Call) (int, time.Duration) {
		switch c.Tool {
		case fakes.InsertRecord:
			return http.StatusTooManyRequests, 1500 * time.Millisecond
		case fakes.CreateCharge:
			return http.StatusServiceUnavailable, 0
		case fakes.SendEmail:
			return http.StatusOK, 0 // not an error status: the gate is broken
		}
		return 0, 0
	})
	e := setup(t, &fakehttp.ServerOpts{Gate: gate}, nil)
	for _, tc := range []struct {
		tool   string
		status int
		after  time.Duration
	}{
		{fakes.InsertRecord, 429, 1500 * time.Millisecond},
		{fakes.CreateCharge, 503, 0},
		{fakes.SendEmail, 500, 0},
		{fakes.LLMComplete, 0, 0},
	} {
		_, err := e.client.Invoke(e.ctx, call(tc.tool))
		if code, after := statusOf(err); code != tc.status || after != tc.after {
			t.Errorf("%s: %v; want status %d, Retry-After %s", tc.tool, err, tc.status, tc.after)
		}
	}
	if e.count(fakes.Applied) != 0 {
		t.Errorf("ledger %+v: a gated call reached the world", e.world.Ledger().Effects())
	}
}

func TestWorldRateLimitArrivesAsA429(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	var err error
	for i := 0; i < 4 && err == nil; i++ {
		_, err = e.client.Invoke(e.ctx, call(fakes.EnrichContact))
	}
	code, after := statusOf(err)
	if code != 429 || after <= 0 || after > time.Second+time.Millisecond {
		t.Fatalf("fourth enrich_contact in a second: %v; want 429 with a Retry-After up to 1s", err)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	ins := call(fakes.InsertRecord)
	resp, err := e.client.Invoke(e.ctx, ins)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.client.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.InsertRecord, Key: ins.Key})
	if err != nil || !res.Found || res.Response != resp || !slices.Equal(res.Refs, []string{resp.Ref}) {
		t.Errorf("Lookup of a key that was applied = %+v, %v; want found, %+v", res, err, resp)
	}
	res, err = e.client.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Globex}, Tool: fakes.InsertRecord, Key: ins.Key})
	if err != nil || res.Found {
		t.Errorf("Lookup of another tenant's key = %+v, %v; want not found, no error", res, err)
	}
	for _, r := range []engine.LookupRequest{
		{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.VectorSearch, Key: "k"},
		{AttemptID: store.AttemptID{Tenant: fakes.Globex}, Tool: fakes.PublishReport, Key: "k"},
	} {
		if _, err := e.client.Lookup(e.ctx, r); kindOf(err) != "no-lookup" {
			t.Errorf("Lookup(%+v): %v; want an error wrapping ErrNoLookup", r, err)
		}
	}
}

func TestDeliverConsumesAChunkOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	ch := engine.Chunk{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "x1", Attempt: 1}, Token: "tok:acme/x1/0", Index: 0, Text: "acme:chunk-0"}
	for range 2 {
		if err := e.client.Deliver(e.ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	if e.count(fakes.Chunk) != 1 {
		t.Errorf("ledger %+v: want one chunk", e.world.Ledger().Effects())
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	url := func(name, path string) string { return "http://" + e.srv.Addr(name) + path }
	for _, tc := range []struct {
		name, method, url, body string
		status                  int
		code                    string
	}{
		{"malformed JSON", "POST", url(fakes.InsertRecord, "/invoke"), `{"tenant":`, 400, "malformed-request"},
		{"a field the protocol lacks", "POST", url(fakes.InsertRecord, "/invoke"), `{"tenant":"acme","priority":1}`, 400, "malformed-request"},
		{"a wrong type", "POST", url(fakes.InsertRecord, "/invoke"), `{"step":"one"}`, 400, "malformed-request"},
		{"trailing data", "POST", url(fakes.InsertRecord, "/invoke"), `{"tenant":"acme"} {}`, 400, "malformed-request"},
		{"another tool's call", "POST", url(fakes.InsertRecord, "/invoke"), `{"tool":"send_email"}`, 404, "unknown-tool"},
		{"the wrong method", "GET", url(fakes.InsertRecord, "/invoke"), "", 405, ""},
		{"an unknown endpoint", "POST", url(fakes.InsertRecord, "/deliver"), "{}", 404, ""},
		{"a malformed chunk", "POST", url(fakehttp.Downstream, "/deliver"), `{"index":"0"}`, 400, "malformed-request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectError(t, tc.method, tc.url, tc.body, tc.status, tc.code)
		})
	}
	if e.world.Ledger().Len() != 0 {
		t.Errorf("malformed calls reached the world: %+v", e.world.Ledger().Effects())
	}
}

// This one takes half a second: Go's server lingers before it closes a
// connection whose request body it did not read to the end.
func TestOversizedRequestIs413(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	body := `{"payload":"` + strings.Repeat("x", 1<<20) + `"}`
	expectError(t, "POST", "http://"+e.srv.Addr(fakes.InsertRecord)+"/invoke", body, 413, "malformed-request")
}

// expectError makes a raw request and checks its error answer.
func expectError(t *testing.T, method, url, body string, status int, code string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var we struct{ Error, Code string }
	if err := json.NewDecoder(resp.Body).Decode(&we); err != nil {
		t.Fatalf("error body: %v", err)
	}
	if resp.StatusCode != status || we.Code != code || we.Error == "" {
		t.Errorf("%s %s: %d %+v; want %d, code %q", method, url, resp.StatusCode, we, status, code)
	}
	if _, ok := resp.Header["Date"]; ok {
		t.Error("the answer carries a Date header")
	}
}

func TestCloseLeavesNothingListening(t *testing.T) {
	t.Parallel()
	w := fakes.NewWorld(nil)
	srv, err := fakehttp.Serve(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl := fakehttp.NewClient(srv.Addr, nil)
	if _, err := cl.Invoke(context.Background(), call(fakes.SendEmail)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := srv.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, err := cl.Invoke(context.Background(), call(fakes.SendEmail)); kindOf(err) != "refused" {
		t.Errorf("Invoke after Close: %v, want refused", err)
	}
	if w.Ledger().Len() != 1 {
		t.Errorf("ledger %+v, want the one call made before Close", w.Ledger().Effects())
	}
}

func TestServeNeedsAWorld(t *testing.T) {
	t.Parallel()
	if _, err := fakehttp.Serve(nil, nil); err == nil {
		t.Error("Serve(nil) succeeded")
	}
}

// A generation still streaming when Close is called is given
// ShutdownTimeout, then cut: Close is bounded and says it had to cut.
func TestCloseIsBounded(t *testing.T) {
	t.Parallel()
	w := fakes.NewWorld(nil)
	srv, err := fakehttp.Serve(w, &fakehttp.ServerOpts{ChunkInterval: time.Minute, ShutdownTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	c := call(fakes.LLMComplete)
	c.Deliver = func(i int, _ string) error {
		if i == 0 {
			close(first)
		}
		return nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := fakehttp.NewClient(srv.Addr, &fakehttp.ClientOpts{Timeout: time.Minute}).Invoke(context.Background(), c)
		done <- err
	}()
	<-first
	start := time.Now()
	if err := srv.Close(); err == nil {
		t.Error("Close cut a stream in flight and reported nothing")
	}
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("Close took %s with a shutdown timeout of 50ms", elapsed)
	}
	if err := <-done; kindOf(err) != "stream-cut" {
		t.Errorf("the call cut by Close: %v, want a stream cut", err)
	}
}

// TestAWorldServesOnlyItsExecutions: with Serves, a request of another
// execution (an earlier world's, held by a proxy past its run) is dropped
// unanswered, and the world never sees it; its own are served.
func TestAWorldServesOnlyItsExecutions(t *testing.T) {
	t.Parallel()
	e := setup(t, &fakehttp.ServerOpts{Serves: func(exec string) bool { return exec == "x1" }}, nil)
	stale := call(fakes.InsertRecord)
	stale.Exec = "x0"
	if _, err := e.client.Invoke(e.ctx, stale); err == nil {
		t.Fatalf("a call of another execution was answered")
	}
	if n := len(e.world.Ledger().Effects()); n != 0 {
		t.Fatalf("the world took a call of another execution: %+v", e.world.Ledger().Effects())
	}
	if _, err := e.client.Invoke(e.ctx, call(fakes.InsertRecord)); err != nil {
		t.Fatalf("a call of its own execution: %v", err)
	}
	if e.count(fakes.Applied) != 1 {
		t.Fatalf("ledger %+v: want its own call applied once", e.world.Ledger().Effects())
	}
}
