package netrig_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
	"github.com/chaosrun/chaosrun/scenarios"
)

func rig(t *testing.T, o *netrig.Options) *netrig.Rig {
	t.Helper()
	r, err := netrig.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Error(err)
		}
	})
	return r
}

func netRun(t *testing.T, r *netrig.Rig, sc scenarios.Scenario, p policy.Policy) *harness.Run {
	t.Helper()
	run, err := r.Run(context.Background(), sc, p)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func clean(t *testing.T, run *harness.Run) {
	t.Helper()
	for _, res := range run.Results {
		if res.Status != invariants.OK {
			t.Fatalf("%s is %s over real connections:\n%s", res.Invariant, res.Status, harness.Explain(run, res.Invariant))
		}
	}
}

// Over real HTTP, pgx and Toxiproxy, with every fault kind enabled — toxics
// before, during and after every step, on the tools and on Postgres, and
// the tools' own faults served by their servers — the reference holds
// every invariant, and every kind is applied over real connections.
//
// The lookup quirks fire only at a lookup an attempt makes on a tool that
// can lag (insert_record) or miss (a key that deduplicates): in 200 swarm
// scenarios that is about once, in the simulation as here. A few
// scenarios made to look up — a reply lost after insert_record or
// create_charge acted, then the lookup by key — top them up.
func TestNetReferenceHoldsOnPostgresWithToxicsAtEveryPhase(t *testing.T) {
	t.Parallel()
	r := rig(t, &netrig.Options{DSN: pgstoretest.DSN(t), Timeout: 150 * time.Millisecond})
	kinds, targeted := map[faults.Kind]int{}, map[faults.Kind]int{}
	forms := map[string]int{}
	runs := 200
	if testing.Short() {
		runs = 40
	}
	var scs []scenarios.Scenario
	for seed := 1; seed <= runs; seed++ {
		scs = append(scs, scenarios.Seeded(uint64(seed), true))
	}
	for seed := uint64(1); seed <= 4; seed++ {
		for _, k := range []faults.Kind{faults.LookupLag, faults.LookupMiss} {
			sc := scenarios.Scenario{
				Executions: []scenarios.Execution{{ID: "e1", Tenant: "acme", Workflow: scenarios.InvoiceBilling}},
				Faults:     faults.Schedule{Seed: seed},
			}
			sc.Faults.Rates[faults.LostResponse] = 500
			sc.Faults.Rates[k] = 1000
			scs = append(scs, sc)
		}
	}
	for i, sc := range scs {
		run := netRun(t, r, sc, policy.Reference())
		clean(t, run)
		for _, f := range run.Faults() {
			if i < runs {
				kinds[f.Kind]++
			} else {
				targeted[f.Kind]++
			}
			for _, form := range []string{"resets every connection", "request never arrives", "link is cut", "link is slowed", "COMMIT's reply", "reply is held", "resets when the reply starts", "limit_data", "server holds the request", "the server's answer"} {
				if strings.Contains(f.Detail, form) {
					forms[form]++
				}
			}
		}
	}
	t.Logf("%d scenarios over real connections, faults applied: %v; toxics and the servers' own faults: %v", runs, kinds, forms)
	t.Logf("%d scenarios made to look up, faults applied: %v", len(scs)-runs, targeted)
	if !testing.Short() && len(forms) != 10 {
		t.Errorf("every form of toxic and of the servers' own faults should have been applied, got %v", forms)
	}
	for _, k := range faults.Kinds() {
		if kinds[k]+targeted[k] == 0 && !testing.Short() {
			t.Errorf("fault kind %s was never applied over real connections", k)
		}
	}
}

// naive-backoff retries a tool whose reply was held after it acted: the
// world has the effect twice.
func TestNetCatchesNaiveBackoffByAReplyLostAfterTheToolCommitted(t *testing.T) {
	t.Parallel()
	r := rig(t, &netrig.Options{Timeout: 100 * time.Millisecond})
	for seed := uint64(1); seed <= 40; seed++ {
		sc := scenarios.Scenario{
			Executions: []scenarios.Execution{{ID: "e1", Tenant: "acme", Workflow: scenarios.InvoiceBilling}},
			Faults:     faults.Schedule{Seed: seed},
		}
		sc.Faults.Rates[faults.LostResponse] = 300
		run := netRun(t, r, sc, policies.NaiveBackoff())
		res := run.Result(invariants.NoDuplicateSideEffects)
		if res.Status != invariants.Violated {
			continue
		}
		v := res.Violations[0]
		for _, f := range run.Faults() {
			if f.Kind == faults.LostResponse && f.Exec == v.Exec && f.Step == v.Step {
				t.Logf("seed %d: %s", seed, v.Message)
				return
			}
		}
	}
	t.Fatal("40 scenarios with replies held after the tool acted did not catch naive-backoff duplicating an effect")
}

// The engine runs as a child process killed with SIGKILL at crash points
// and restarted, resuming from Postgres: nothing is lost, nothing duplicated.
func TestNetSurvivesSIGKILLCrashRestarts(t *testing.T) {
	t.Parallel()
	r := rig(t, &netrig.Options{DSN: pgstoretest.DSN(t), Child: childProcess, Timeout: 150 * time.Millisecond})
	want := 50
	if testing.Short() {
		want = 10
	}
	for seed := uint64(1); r.Kills() < want; seed++ {
		if seed > 400 {
			t.Fatalf("only %d kills in 400 scenarios", r.Kills())
		}
		sc := scenarios.Seeded(seed, false)
		sc.Faults.Rates[faults.Crash] = 150
		run := netRun(t, r, sc, policy.Reference())
		clean(t, run)
	}
	t.Logf("%d SIGKILL crash-restarts, every execution ended, none lost or duplicated", r.Kills())
}

// Postgres goes away in the middle of a run (every link cut, as in a
// restart): the engine reports clear store errors, waits, and resumes;
// nothing is lost.
func TestNetResumesAfterPostgresGoesAway(t *testing.T) {
	t.Parallel()
	committed := make(chan struct{})
	var once sync.Once
	r := rig(t, &netrig.Options{DSN: pgstoretest.DSN(t), Observe: func(e engine.Event) {
		if e.Kind == engine.EvCommit {
			once.Do(func() { close(committed) })
		}
	}})
	sc := scenarios.Scenario{Executions: []scenarios.Execution{
		{ID: "e1", Tenant: "acme", Workflow: scenarios.Audit},
		{ID: "e2", Tenant: "initech", Workflow: scenarios.InvoiceBilling},
		{ID: "e3", Tenant: "globex", Workflow: scenarios.ResearchScratchpad},
	}}
	var wg sync.WaitGroup
	wg.Add(1)
	var outage error
	go func() {
		defer wg.Done()
		<-committed // the engines are running
		outage = r.Outage(0, 400*time.Millisecond)
	}()
	run := netRun(t, r, sc, policy.Reference())
	wg.Wait()
	if outage != nil {
		t.Fatal(outage)
	}
	clean(t, run)
	errs, started := 0, false
	for _, e := range run.History.Events {
		started = started || e.Kind == engine.EvCommit
		if e.Kind == engine.EvStoreError {
			if !strings.Contains(e.Detail, "store unavailable") || !strings.Contains(e.Detail, "check the DSN and that the server is running") {
				t.Fatalf("a store error should say the store is unavailable and what to check: %s", e.Detail)
			}
			if started {
				errs++
			}
		}
	}
	if errs == 0 {
		t.Fatal("no store error was reported while the engines ran: the outage went unnoticed")
	}
	for id, s := range run.Statuses() {
		if s.String() != "completed" {
			t.Fatalf("%s ended %s after the outage", id, s)
		}
	}
	t.Logf("%d store errors reported during the outage; every execution completed", errs)
}

// With the store in memory, net mode needs nothing but loopback.
func TestNetInMemory(t *testing.T) {
	t.Parallel()
	r := rig(t, &netrig.Options{Timeout: 100 * time.Millisecond})
	for seed := uint64(1); seed <= 30; seed++ {
		clean(t, netRun(t, r, scenarios.Seeded(seed, false), policy.Reference()))
	}
}

// A policy file goes to the engine processes compiled: they never read the
// file, so that a file edited (here: broken) while the run goes on changes
// nothing.
func TestEngineProcessesGetAPolicyFileCompiled(t *testing.T) {
	t.Parallel()
	rules, err := policies.Builtin("reference")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "reference.yaml")
	if err := os.WriteFile(path, []byte("name: [edited while the run goes on\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rig(t, &netrig.Options{DSN: pgstoretest.DSN(t), Child: childProcess, Ref: func(policy.Policy) string { return path },
		Timeout: 150 * time.Millisecond})
	for seed := uint64(1); seed <= 5; seed++ {
		clean(t, netRun(t, r, scenarios.Seeded(seed, false), rules))
	}
}

// Links are cut by the hundred while another process takes every port it
// can: a cut never frees a port, so no run waits for one to come back.
func TestCutLinksKeepTheirPortsWhileAnotherProcessTakesPorts(t *testing.T) {
	t.Parallel()
	hog(t)
	r := rig(t, &netrig.Options{DSN: pgstoretest.DSN(t), Timeout: 100 * time.Millisecond, Limit: 30 * time.Second})
	cuts := 0
	for seed := uint64(1); seed <= 8; seed++ {
		sc := scenarios.Seeded(seed, false)
		sc.Faults.Rates[faults.Refused] = 500
		sc.Faults.Rates[faults.BeginFail] = 200
		sc.Faults.Rates[faults.CommitFail] = 200
		run := netRun(t, r, sc, policy.Reference())
		clean(t, run)
		for _, f := range run.Faults() {
			if strings.Contains(f.Detail, "resets every connection") || strings.Contains(f.Detail, "link is cut") {
				cuts++
			}
		}
	}
	if cuts < 10 {
		t.Fatalf("only %d links were cut", cuts)
	}
	t.Logf("%d links cut while another process took ports", cuts)
}

// The engine processes get policy files as JSON: every catalog file makes
// the trip whole, so a field the JSON would drop shows here first.
func TestPolicyFilesSurviveTheTripToTheEngineProcess(t *testing.T) {
	t.Parallel()
	for _, name := range policies.Names() {
		rules, err := policies.Builtin(name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(rules)
		if err != nil {
			t.Fatal(err)
		}
		var back policy.Rules
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rules, &back) {
			t.Errorf("%s changes on its way to an engine process:\n%+v\n%+v", name, rules, &back)
		}
	}
}

// A run whose proxies cannot be reset afterwards (one vanished from
// Toxiproxy) keeps its verdict, and the rig runs nothing more: the next
// run might meet toxics it did not apply.
func TestARigThatCouldNotResetAProxyRunsNoMore(t *testing.T) {
	t.Parallel()
	r := rig(t, &netrig.Options{Timeout: 100 * time.Millisecond})
	netRun(t, r, scenarios.Seeded(1, false), policy.Reference()) // makes the first execution's proxies
	name, err := r.RemoveAProxy()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(context.Background(), scenarios.Seeded(2, false), policy.Reference()); err != nil {
		t.Fatalf("the run that lost %s: %v, want its verdict", name, err)
	}
	_, err = r.Run(context.Background(), scenarios.Seeded(3, false), policy.Reference())
	if err == nil || !strings.Contains(err.Error(), "could not undo a run's faults") || !strings.Contains(err.Error(), name) {
		t.Fatalf("the run after: %v, want the rig's refusal naming %s", err, name)
	}
}
