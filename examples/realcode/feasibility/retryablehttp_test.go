package feasibility_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// client is go-retryablehttp v0.7.8's default client on the rig's
// transport (NewClient builds its own pooled transport with a real dialer:
// HTTPClient must be replaced). Its logger is silenced.
func (r *rig) retryable() *retryablehttp.Client {
	c := retryablehttp.NewClient()
	c.HTTPClient = r.http
	c.Logger = nil
	return c
}

func (r *rig) postRetryable(c *retryablehttp.Client, tool string) error {
	b, _ := json.Marshal(map[string]any{"op": opID, "args": map[string]any{"amount": 1200}})
	req, err := retryablehttp.NewRequest("POST", r.ep.Tools[tool], bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// Defaults: RetryMax 4 (five attempts), POST included, on every transport
// error and every 5xx but 501 and on 429; waits 1s·2^n capped at 30s, no
// jitter. A 502 after the charge landed is retried: two charges.
func TestRetryableHTTPRetriesAPostOn502(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, at(fakes.CreateCharge, wire.Fault{Kind: wire.Status, Status: 502}, 1))
		start := time.Now()
		if err := r.postRetryable(r.retryable(), fakes.CreateCharge); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("waited %v, want 1s", d)
		}
		if n := r.applied(fakes.CreateCharge); n != 2 {
			t.Fatalf("%d charges, want 2", n)
		}
	})
}

func TestRetryableHTTPGivesUpAfterFiveAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, always(fakes.SendEmail, wire.Fault{Kind: wire.Status}))
		start := time.Now()
		if err := r.postRetryable(r.retryable(), fakes.SendEmail); err == nil {
			t.Fatal("five 500s did not fail the call")
		}
		op, _ := wire.ParseOp(opID)
		if n, d := r.srv.Attempts(op, fakes.SendEmail), time.Since(start); n != 5 || d != 15*time.Second {
			t.Fatalf("%d attempts over %v, want 5 over 1+2+4+8 = 15s", n, d)
		}
	})
}

// Retry-After is read on 429 and 503 only, in whole seconds (or a date):
// Retry-After-Ms is not read.
func TestRetryableHTTPHonoursRetryAfterOn503(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, at(fakes.InsertRecord, wire.Fault{Kind: wire.Unavailable, RetryAfter: 2500 * time.Millisecond}, 1))
		start := time.Now()
		if err := r.postRetryable(r.retryable(), fakes.InsertRecord); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Fatalf("waited %v, want the 3s of Retry-After (2.5s rounded up)", d)
		}
	})
}
