package checkout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/worlds"
)

// checkout is the code under test: each step POSTed to its tool with the
// step's operation id as its Idempotency-Key, retried with backoff.
func checkout(s *harness.System, x harness.Execution) error {
	for _, st := range x.Steps {
		if err := post(s, x, st); err != nil {
			return harness.DeadLettered(err) // it may have acted: a person looks
		}
	}
	return nil
}

func post(s *harness.System, x harness.Execution, st harness.Step) error {
	body, _ := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
	wait, err := time.Second, error(nil)
	for range 10 {
		req, _ := http.NewRequestWithContext(s.Context(x), "POST", s.ToolURL(st.Tool), bytes.NewReader(body))
		req.Header.Set("Idempotency-Key", st.Op) // without it: charged twice
		resp, rerr := s.HTTPClient().Do(req)
		if err = rerr; err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return nil
			}
			err = fmt.Errorf("%s: status %d", st.Tool, resp.StatusCode)
			if secs, _ := strconv.Atoi(resp.Header.Get("Retry-After")); time.Duration(secs)*time.Second > wait {
				wait = time.Duration(secs) * time.Second // the tool said when to come back
			}
		}
		time.Sleep(wait) // virtual: the test costs milliseconds
		wait = min(2*wait, time.Minute)
	}
	return err
}

func TestCheckout(t *testing.T) {
	world, err := worlds.Load("../testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	harness.CheckSystem(t, world, func(s *harness.System) {
		s.OnRestart(func(x harness.Execution) { s.Report(x, checkout(s, x)) }) // after a crash
		for _, x := range s.Executions() {
			s.Report(x, checkout(s, x))
		}
	}, nil)
}
