package fakehttp_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
)

// canonical renders a ledger without sequence numbers and times, sorted: a
// stream's usage record is written when the generation ends, which over
// HTTP races with the client's delivery of the last chunks, so only the
// order of the entries may differ between the two modes.
func canonical(l *fakes.Ledger) []string {
	out := make([]string, 0, l.Len())
	for _, e := range l.Effects() {
		out = append(out, fmt.Sprintf("%s %s run=%d attempt=%d tool=%s key=%s ref=%s idem=%t world=%t foreign=%s cost=%d tokens=%d",
			e.Kind, e.Op, e.Run, e.Attempt, e.Tool, e.Key, e.Ref, e.Idempotent, e.World, e.Foreign, e.CostCents, e.Tokens))
	}
	slices.Sort(out)
	return out
}

var workflow = store.Execution{
	Tenant: fakes.Acme, Exec: "order-7", Workflow: "bill-and-notify",
	Steps: []store.Step{
		{Tool: fakes.LLMComplete, Writes: []string{"summary"}},
		{Tool: fakes.InsertRecord, Writes: []string{"invoice"}},
		{Tool: fakes.CreateCharge, Writes: []string{"charge"}},
		{Tool: fakes.SendEmail, Writes: []string{"receipt"}},
	},
	Input: map[string]string{"request": "acme:request:bill order 7"},
}

// run drives the workflow to its end with the reference policy.
func run(t *testing.T, tools engine.Invoker, down engine.Downstream) (store.Status, []store.Commit) {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	eng, err := engine.New(st, fakes.Registry(), policy.Reference(), tools, &engine.Opts{Downstream: down, Contracts: fakes.Contracts{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.Start(ctx, workflow); err != nil {
		t.Fatal(err)
	}
	status, err := eng.Run(ctx, workflow.Tenant, workflow.Exec)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := st.Load(ctx, workflow.Tenant, workflow.Exec)
	if err != nil {
		t.Fatal(err)
	}
	return status, snap.Commits
}

func TestEngineRunsAWorkflowOverHTTP(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	status, commits := run(t, e.client, e.client)
	if status != store.Completed {
		t.Fatalf("status %s, want completed", status)
	}
	local := fakes.NewWorld(nil)
	wantStatus, wantCommits := run(t, local, local)
	if wantStatus != status || len(commits) != len(wantCommits) {
		t.Fatalf("over HTTP %s with %d commits; in process %s with %d", status, len(commits), wantStatus, len(wantCommits))
	}
	for i, c := range commits {
		if w := wantCommits[i]; c.Attempt != 1 || c.Result != w.Result {
			t.Errorf("step %d: attempt %d, result %+v; in process attempt %d, %+v", i, c.Attempt, c.Result, w.Attempt, w.Result)
		}
	}
	applied := map[string]int{}
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == fakes.Applied {
			applied[ef.Tool]++
		}
	}
	for _, tool := range []string{fakes.InsertRecord, fakes.CreateCharge, fakes.SendEmail} {
		if applied[tool] != 1 {
			t.Errorf("%s applied %d times, want once", tool, applied[tool])
		}
	}
	if n := chunksOf(t, engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.LLMComplete, Payload: "request=acme:request:bill order 7\n"}); e.count(fakes.Chunk) != n {
		t.Errorf("%d chunks reached the downstream consumer, want %d", e.count(fakes.Chunk), n)
	}
	if got, want := canonical(e.world.Ledger()), canonical(local.Ledger()); !slices.Equal(got, want) {
		t.Errorf("ledger over HTTP:\n%s\nin process:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
