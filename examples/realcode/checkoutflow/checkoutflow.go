// Package checkoutflow is a Temporal workflow as teams write it: one
// activity per step, each a plain net/http call of a tool, under
// Temporal's default retry policy (no RetryPolicy: 1s, doubling to 100s,
// unlimited attempts). It knows nothing of chaosrun.
//
// Naive (Keyed false), an activity whose reply was lost after the charge
// landed is run again by Temporal, and the card is charged twice: an
// activity runs at least once. Keyed sends an Idempotency-Key derived from
// the workflow id and the activity id — the same on every attempt of the
// activity — and, when a tool says when to come back (Retry-After), asks
// Temporal to retry no sooner (NextRetryDelay).
package checkoutflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Step is one tool call of a checkout; Op is the operation id the order
// carries.
type Step struct {
	Tool string
	Op   string
	Args map[string]any
}

// Checkout runs one activity per step, in order, with the default retry
// policy.
func Checkout(ctx workflow.Context, steps []Step) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	for i, st := range steps {
		if err := workflow.ExecuteActivity(ctx, "Call", st).Get(ctx, nil); err != nil {
			return fmt.Errorf("step %d (%s): %w", i, st.Tool, err)
		}
	}
	return nil
}

// Activities call the tools.
type Activities struct {
	HTTP  *http.Client
	Tools map[string]string
	// Keyed sends workflow id + activity id as the Idempotency-Key and
	// honours Retry-After.
	Keyed bool
}

// Call posts one step to its tool. A 4xx other than 429 is not retried.
func (a *Activities) Call(ctx context.Context, st Step) error {
	body, err := json.Marshal(map[string]any{"op": st.Op, "args": st.Args})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.Tools[st.Tool], bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if a.Keyed {
		info := activity.GetInfo(ctx)
		req.Header.Set("Idempotency-Key", info.WorkflowExecution.ID+"/"+info.ActivityID)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	switch code := resp.StatusCode; {
	case code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusTooManyRequests:
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("status %d", code), "BadRequest", nil)
	case a.Keyed && resp.Header.Get("Retry-After-Ms") != "":
		ms, _ := strconv.Atoi(resp.Header.Get("Retry-After-Ms"))
		return temporal.NewApplicationErrorWithOptions(fmt.Sprintf("status %d", code), "RetryAfter",
			temporal.ApplicationErrorOptions{NextRetryDelay: time.Duration(ms) * time.Millisecond})
	}
	return fmt.Errorf("status %d", resp.StatusCode)
}
