package feasibility_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// charger is a Temporal activity that posts a charge; keyed, it sends the
// key a careful team derives from the workflow and activity ids.
type charger struct {
	http  *http.Client
	url   string
	keyed bool
}

func (c *charger) Charge(ctx context.Context) error {
	key := ""
	if c.keyed {
		info := activity.GetInfo(ctx)
		key = info.WorkflowExecution.ID + "/" + info.ActivityID
	}
	return post(ctx, c.http, c.url, key)
}

// chargeWorkflow runs the activity with Temporal's default retry policy
// (no RetryPolicy: 1s initial interval, coefficient 2, unlimited attempts).
func chargeWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	return workflow.ExecuteActivity(ctx, "Charge").Get(ctx, nil)
}

// go.temporal.io/sdk v1.51.0's TestWorkflowEnvironment runs inside the
// bubble: its goroutines start there, its workflow clock is its own mock
// (facebookgo/clock, skipped when no activity runs) and its wall-clock
// timers are the bubble's. The activity's HTTP goes over memnet. A reply
// lost after the charge landed is retried by the default policy (two
// charges); the key from workflow id + activity id makes it one.
func TestTemporalActivityRetryInABubble(t *testing.T) {
	for _, keyed := range []bool{false, true} {
		want := map[bool]int{false: 2, true: 1}[keyed]
		t.Run(map[bool]string{false: "no key", true: "workflow+activity key"}[keyed], func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := setup(t, at(fakes.CreateCharge, wire.Fault{Kind: wire.Reset}, 1))
				var suite testsuite.WorkflowTestSuite
				suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
				env := suite.NewTestWorkflowEnvironment()
				env.RegisterWorkflow(chargeWorkflow)
				env.RegisterActivity(&charger{http: r.http, url: r.ep.Tools[fakes.CreateCharge], keyed: keyed})
				env.ExecuteWorkflow(chargeWorkflow)
				if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
					t.Fatalf("completed %t, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
				}
				if n := r.applied(fakes.CreateCharge); n != want {
					t.Fatalf("%d charges, want %d", n, want)
				}
			})
		})
	}
}
