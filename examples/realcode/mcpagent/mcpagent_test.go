package mcpagent_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/examples/realcode/mcpagent"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/worlds"
)

func helpdesk(t *testing.T) *worlds.World {
	t.Helper()
	w, err := worlds.Load("../testdata/helpdesk.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// noDrift turns registry drift off: these tests are about hints that hold.
var noDrift = &harness.SystemOpts{Off: []faults.Kind{faults.Drift}}

// body runs every job over one MCP session, one after the other; a restart
// after a crash opens a session of its own, as a restarted process does.
// The careful agent dead-letters a job it gives up on.
func body(careful bool) func(*harness.System) {
	return func(s *harness.System) {
		run := func(a *mcpagent.Agent, x harness.Execution) {
			var steps []mcpagent.Step
			for _, st := range x.Steps {
				steps = append(steps, mcpagent.Step{Tool: st.Tool, Op: st.Op, Args: st.Args})
			}
			err := a.Run(s.Context(x), x.Tenant, steps)
			if err != nil && careful {
				err = harness.DeadLettered(err)
			}
			s.Report(x, err)
		}
		connect := func() *mcpagent.Agent {
			a, err := mcpagent.Connect(context.Background(), s.MCPTransport(), careful)
			if err != nil {
				panic(err) // the MCP host is never faulted
			}
			return a
		}
		s.OnRestart(func(x harness.Execution) {
			a := connect()
			defer a.Close()
			run(a, x)
		})
		a := connect()
		defer a.Close()
		for _, x := range s.Executions() {
			run(a, x)
		}
	}
}

// The go-sdk client in a plain retry loop opens a ticket again when the
// reply of the first was lost: caught by no-duplicate-side-effects.
func TestARetryLoopOverMCPIsCaught(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}, Off: noDrift.Off}
	run, id, err := harness.SearchSystem(t, helpdesk(t), body(false), 1, 200, opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects {
		t.Fatal("the retry loop passed 200 cases")
	}
	t.Logf("caught:\n%s", run.Explain(id))
}

// Honouring idempotentHint and readOnlyHint, keying the rest and looking
// them up before calling again: clean over 200 generated cases.
func TestHonouringTheHintsAndKeysIsClean(t *testing.T) {
	t.Parallel()
	run, id, err := harness.SearchSystem(t, helpdesk(t), body(true), 1, 200, noDrift)
	if err != nil {
		t.Fatal(err)
	}
	if run != nil {
		t.Fatalf("the careful agent failed (%s):\n%s", id, run.Failure(nil))
	}
}

// The careful agent trusts idempotentHint; registry drift is the fault of
// a hint gone wrong — the CRM sync's upsert stops deduplicating for one
// tenant — and then a retry the hint allowed writes twice. (The tests
// above turn drift off: they are about the hints being honoured.)
func TestAWrongHintIsCaught(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}}
	run, id, err := harness.SearchSystem(t, helpdesk(t), body(true), 1, 200, opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects || run.Result(id).Violations[0].Step < 0 {
		t.Fatal("a drifted tool retried on its hint went unseen in 200 cases")
	}
	if msg := run.Explain(id); !strings.Contains(msg, "registry-drift") {
		t.Fatalf("the duplicate is not drift's:\n%s", msg)
	}
}
