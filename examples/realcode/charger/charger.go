// Package charger is a checkout's client as teams write it with
// hashicorp/go-retryablehttp: the library's default client (four retries,
// POST included, on every connection error, every 5xx but 501 and 429,
// Retry-After read on 429 and 503) posting each step to its tool.
//
// Naive (Keyed false) sends no key: a 502 answered after the charge landed
// is retried, and the card is charged twice. Keyed sends the step's
// operation id as the Idempotency-Key, and the charge deduplicates it.
// The client knows nothing of chaosrun.
package charger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hashicorp/go-retryablehttp"
)

// Config wires the client to its tools.
type Config struct {
	// HTTP is the client retryablehttp sends through (its HTTPClient).
	HTTP *http.Client
	// Tools maps a tool's name to the URL its calls are posted to.
	Tools map[string]string
	// Keyed sends the operation id as the Idempotency-Key.
	Keyed bool
}

// Step is one tool call; Op is the operation id the order carries.
type Step struct {
	Tool string
	Op   string
	Args map[string]any
}

// Checkout posts the steps in order with retryablehttp's default client
// and returns the first error.
func Checkout(ctx context.Context, cfg Config, steps []Step) error {
	c := retryablehttp.NewClient() // the defaults, as they come
	c.HTTPClient = cfg.HTTP
	c.Logger = nil
	for i, st := range steps {
		body, err := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
		if err != nil {
			return err
		}
		req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, cfg.Tools[st.Tool], bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		if cfg.Keyed {
			req.Header.Set("Idempotency-Key", st.Op)
		}
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i, st.Tool, err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("step %d (%s): status %d", i, st.Tool, resp.StatusCode)
		}
	}
	return nil
}
