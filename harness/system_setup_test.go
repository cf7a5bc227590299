package harness_test

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
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/worlds"
)

// shop is the world of testdata/shop.yaml.
func shop(t testing.TB) *worlds.World {
	t.Helper()
	w, err := worlds.Load("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The code under test here is what a team writes with net/http alone: a
// tool call that POSTs the step, retried with exponential backoff. The
// naive one retries every error without a key; the careful one sends the
// step's operation id as the Idempotency-Key, looks the operation up
// before doing it again, and waits as long as a Retry-After says.
type team struct {
	careful bool
	// wait is the first backoff interval; it doubles, up to a minute.
	wait time.Duration
	// tries bounds the attempts of a step.
	tries int
}

// errStatus is a tool's error status.
type errStatus struct {
	code       int
	retryAfter time.Duration
}

func (e *errStatus) Error() string { return "status " + strconv.Itoa(e.code) }

// body runs the executions one after the other, and resumes a crashed one
// from its first step.
func (tm team) body(s *harness.System) {
	s.OnRestart(func(x harness.Execution) { s.Report(x, tm.run(s, x)) })
	for _, x := range s.Executions() {
		s.Report(x, tm.run(s, x))
	}
}

// run runs the execution's steps in order. The careful code dead-letters
// an execution it gives up on: a step it could not finish may have acted.
func (tm team) run(s *harness.System, x harness.Execution) error {
	ctx := s.Context(x)
	for _, st := range x.Steps {
		if err := tm.step(ctx, s, x, st); err != nil {
			err = fmt.Errorf("step %d (%s): %w", st.Index, st.Tool, err)
			if tm.careful {
				return harness.DeadLettered(err)
			}
			return err
		}
	}
	return nil
}

func (tm team) step(ctx context.Context, s *harness.System, x harness.Execution, st harness.Step) error {
	wait := tm.wait
	var err error
	for try := 1; try <= tm.tries; try++ {
		if tm.careful && try > 1 {
			if found, lerr := lookup(ctx, s, x, st); lerr == nil && found {
				return nil
			}
		}
		if err = call(ctx, s, st, tm.careful); err == nil {
			return nil
		}
		var es *errStatus
		if errors.As(err, &es) && es.code >= 400 && es.code < 500 && es.code != 429 {
			return err // the request is wrong: no retry mends it
		}
		d := wait
		if tm.careful && errors.As(err, &es) && es.retryAfter > d {
			d = es.retryAfter
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = min(2*wait, time.Minute)
	}
	return err
}

func call(ctx context.Context, s *harness.System, st harness.Step, keyed bool) error {
	body, _ := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.ToolURL(st.Tool), bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if keyed {
		req.Header.Set("Idempotency-Key", st.Op)
	}
	return do(s.HTTPClient(), req, nil)
}

func lookup(ctx context.Context, s *harness.System, x harness.Execution, st harness.Step) (bool, error) {
	u := s.ToolURL(st.Tool) + "/lookup?" + url.Values{"tenant": {x.Tenant}, "key": {st.Op}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, err
	}
	var r struct{ Found bool }
	err = do(s.HTTPClient(), req, &r)
	return r.Found, err
}

func do(c *http.Client, req *http.Request, into any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		ra := time.Duration(0)
		if ms, err := strconv.Atoi(resp.Header.Get("Retry-After-Ms")); err == nil {
			ra = time.Duration(ms) * time.Millisecond
		}
		return &errStatus{code: resp.StatusCode, retryAfter: ra}
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}
