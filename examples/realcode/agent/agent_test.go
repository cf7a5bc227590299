package agent_test

import (
	"fmt"
	"testing"

	"github.com/chaosrun/chaosrun/examples/realcode/agent"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/worlds"
)

// support is the agent's world: testdata/support.yaml.
func support(t *testing.T) *worlds.World {
	t.Helper()
	w, err := worlds.Load("../testdata/support.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// body runs the agent, unchanged, for every generated execution, one after
// the other, and again from its first step when a crash abandoned it. The
// careful agent dead-letters a job it gives up on: a step it could not
// finish may have acted.
func body(cfg agent.Config) func(*harness.System) {
	cfg.Models, cfg.Lookups = []string{"draft_reply"}, []string{"refund"}
	return func(s *harness.System) {
		cfg.HTTP, cfg.ModelURL, cfg.Tools = s.HTTPClient(), s.ModelBaseURL(), s.ToolURLs()
		run := func(x harness.Execution) {
			err := agent.Run(s.Context(x), cfg, jobOf(x))
			if err != nil && cfg.Careful {
				err = harness.DeadLettered(err)
			}
			s.Report(x, err)
		}
		s.OnRestart(run)
		for _, x := range s.Executions() {
			run(x)
		}
	}
}

func jobOf(x harness.Execution) agent.Job {
	job := agent.Job{Tenant: x.Tenant}
	for _, st := range x.Steps {
		job.Steps = append(job.Steps, agent.Step{Tool: st.Tool, Op: st.Op, Args: st.Args})
	}
	return job
}

// The naive agent — openai-go's own retries, backoff.Retry around every
// tool call, no key — is caught by no-duplicate-side-effects: a refund
// whose reply was lost after it landed is refunded again, a stream cut
// after k chunks shows them to the customer again. The shrunk case has
// at most three steps.
func TestTheNaiveAgentIsCaught(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			t.Parallel()
			opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}}
			run, id, err := harness.SearchSystem(t, support(t), body(agent.Config{Stream: stream}), 1, 200, opts)
			if err != nil {
				t.Fatal(err)
			}
			if run == nil || id != invariants.NoDuplicateSideEffects {
				t.Fatalf("the naive agent passed 200 cases")
			}
			if n := run.Scenario.Steps(); n > 3 {
				t.Errorf("the shrunk counterexample has %d steps, want at most 3", n)
			}
			t.Logf("caught:\n%s", run.Explain(id))
		})
	}
}

// The careful agent — the operation id as the Idempotency-Key (and the
// model's dedup token), a lookup before doing a refund again, Retry-After
// honoured — is clean over 200 generated cases, crashes included.
func TestTheCarefulAgentIsClean(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%t", stream), func(t *testing.T) {
			t.Parallel()
			run, id, err := harness.SearchSystem(t, support(t), body(agent.Config{Stream: stream, Careful: true}), 1, 200, nil)
			if err != nil {
				t.Fatal(err)
			}
			if run != nil {
				t.Fatalf("the careful agent failed (%s):\n%s", id, run.Failure(nil))
			}
		})
	}
}

// The same, through CheckSystem, as a team writes it (-rapid.checks cases).
func TestOurAgent(t *testing.T) {
	harness.CheckSystem(t, support(t), body(agent.Config{Stream: true, Careful: true}), nil)
}
