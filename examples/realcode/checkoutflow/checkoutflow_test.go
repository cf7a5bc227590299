package checkoutflow_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/chaosrun/chaosrun/examples/realcode/checkoutflow"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/worlds"
)

func shop(t *testing.T) *worlds.World {
	t.Helper()
	w, err := worlds.Load("../testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// keeper is an activity that runs until the workflow under test is
// done. TestWorkflowEnvironment fires its timers on its own mock clock,
// skipping ahead, whenever no activity is running — between an activity's
// attempts too, so that Temporal's retry backoff would pass in no time on
// the bubble's clock, a Retry-After could never be honoured and a tool's
// outage would never end. While an activity runs, it fires them on the
// wall clock instead: the bubble's. The keeper runs beside the workflow so
// that Temporal's backoff takes the time it takes in production, on the
// clock the world keeps. (A cancelled activity in the test environment
// learns of it only by heartbeat; the keeper is told by a channel.)
type keeper struct{ done chan struct{} }

func (k *keeper) Keep(ctx context.Context) error {
	select {
	case <-k.done:
	case <-ctx.Done():
	}
	return nil
}

// kept returns a workflow that runs the team's, unchanged, with the
// keeper beside it.
func (k *keeper) kept(ctx workflow.Context, steps []checkoutflow.Step) error {
	kctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 24 * time.Hour})
	running := workflow.ExecuteActivity(kctx, "Keep")
	err := checkoutflow.Checkout(ctx, steps)
	close(k.done)
	running.Get(ctx, nil)
	return err
}

// body runs each order's workflow in a TestWorkflowEnvironment of its own,
// in the bubble, its activities' HTTP over the world's client. A keyed
// workflow that fails is dead-lettered: its last charge may have landed.
func body(keyed bool) func(*harness.System) {
	return func(s *harness.System) {
		for _, x := range s.Executions() {
			var steps []checkoutflow.Step
			for _, st := range x.Steps {
				steps = append(steps, checkoutflow.Step{Tool: st.Tool, Op: st.Op, Args: st.Args})
			}
			var suite testsuite.WorkflowTestSuite
			suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
			env := suite.NewTestWorkflowEnvironment()
			env.SetTestTimeout(24 * time.Hour) // the bubble's limit bounds the case
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: x.Tenant + "-" + x.ID})
			k := &keeper{done: make(chan struct{})}
			env.RegisterWorkflowWithOptions(k.kept, workflow.RegisterOptions{Name: "kept"})
			env.RegisterActivity(k)
			env.RegisterActivity(&checkoutflow.Activities{HTTP: s.HTTPClient(), Tools: s.ToolURLs(), Keyed: keyed})
			env.ExecuteWorkflow("kept", steps)
			err := env.GetWorkflowError()
			if err != nil && keyed {
				err = harness.DeadLettered(err)
			}
			s.Report(x, err)
		}
	}
}

// Temporal's default retry policy runs an activity again after its reply
// was lost: with no key, the charge lands twice — caught by
// no-duplicate-side-effects.
func TestTheDefaultRetryPolicyChargesTwice(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}}
	run, id, err := harness.SearchSystem(t, shop(t), body(false), 1, 200, opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects {
		t.Fatal("the unkeyed activity passed 200 cases")
	}
	t.Logf("caught:\n%s", run.Explain(id))
}

// With a key from the workflow id and the activity id, the same workflow
// is clean over 200 generated cases.
func TestAKeyFromTheWorkflowAndActivityIsClean(t *testing.T) {
	t.Parallel()
	run, id, err := harness.SearchSystem(t, shop(t), body(true), 1, 200, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run != nil {
		t.Fatalf("the keyed workflow failed (%s):\n%s", id, run.Failure(nil))
	}
}
