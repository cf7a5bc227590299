package scenarios_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/scenarios"
)

func TestOfIsDeterministic(t *testing.T) {
	t.Parallel()
	distinct := map[string]bool{}
	for seed := range uint64(20) {
		a, b := scenarios.Of(seed), scenarios.Of(seed)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("Of(%d) gave\n%s\nthen\n%s", seed, a, b)
		}
		distinct[a.String()] = true
	}
	if len(distinct) < 15 {
		t.Errorf("20 seeds gave only %d distinct scenarios", len(distinct))
	}
	if !reflect.DeepEqual(scenarios.Seeded(3, true), scenarios.Seeded(3, true)) {
		t.Error("Seeded(3, true) is not deterministic")
	}
	for _, k := range faults.Kinds() {
		if scenarios.Seeded(3, true).Faults.Rates[k] == 0 {
			t.Errorf("Seeded with all faults has %s off", k)
		}
	}
}

// firstDraw is a rapid.TB that stops rapid after the first check: it
// records failures and forwards nothing.
type firstDraw struct {
	name   string
	failed bool
	logs   []string
}

func (tb *firstDraw) Helper()                    {}
func (tb *firstDraw) Name() string               { return tb.name }
func (tb *firstDraw) Logf(f string, args ...any) { tb.logs = append(tb.logs, fmt.Sprintf(f, args...)) }
func (tb *firstDraw) Log(args ...any)            { tb.logs = append(tb.logs, fmt.Sprint(args...)) }
func (tb *firstDraw) Skipf(string, ...any)       { panic("skip") }
func (tb *firstDraw) Skip(...any)                { panic("skip") }
func (tb *firstDraw) SkipNow()                   { panic("skip") }
func (tb *firstDraw) Errorf(string, ...any)      { tb.failed = true }
func (tb *firstDraw) Error(...any)               { tb.failed = true }
func (tb *firstDraw) Fatalf(string, ...any)      { tb.failed = true; panic("fatal") }
func (tb *firstDraw) Fatal(...any)               { tb.failed = true; panic("fatal") }
func (tb *firstDraw) FailNow()                   { tb.failed = true; panic("fatal") }
func (tb *firstDraw) Fail()                      { tb.failed = true }
func (tb *firstDraw) Failed() bool               { return tb.failed }

// drawnBy returns the first scenario rapid draws for a property run with
// -rapid.seed=seed, as `go test -rapid.seed=S` would.
func drawnBy(t *testing.T, seed uint64) (scenarios.Scenario, bool) {
	t.Helper()
	return drawnFrom(t, seed, scenarios.Generator(false))
}

// drawnFrom returns the first scenario rapid draws from gen for a property
// run with -rapid.seed=seed.
func drawnFrom(t *testing.T, seed uint64, gen *rapid.Generator[scenarios.Scenario]) (scenarios.Scenario, bool) {
	t.Helper()
	checks := "1"
	if testing.Short() {
		checks = "5" // rapid runs a fifth of the checks under -short
	}
	var first scenarios.Scenario
	drawn := false
	tb := &firstDraw{name: fmt.Sprintf("scenarios-first-draw-%d", seed)}
	err := scenarios.WithRapidFlags(map[string]string{"rapid.seed": fmt.Sprint(seed), "rapid.checks": checks, "rapid.nofailfile": "true"}, func() {
		rapid.Check(tb, func(rt *rapid.T) {
			sc := gen.Draw(rt, "scenario")
			if !drawn {
				first, drawn = sc, true
			}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if tb.failed {
		t.Fatalf("rapid.Check failed: %v", tb.logs)
	}
	return first, drawn
}

func TestOfIsRapidsFirstDraw(t *testing.T) {
	t.Parallel()
	for _, seed := range []uint64{1, 2, 123, 987654321} {
		want := scenarios.Of(seed)
		got, ok := drawnBy(t, seed)
		if !ok {
			t.Fatalf("seed %d: rapid drew nothing", seed)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("seed %d: rapid's first draw is\n%s\nand Of gives\n%s", seed, got, want)
		}
	}
}

// reading holds the read lock on rapid's process-wide flags, which rapid
// reads in Check and Example and TestOfIsRapidsFirstDraw sets.
func reading(f func()) { scenarios.ReadingRapidFlags(f) }

func TestWorkflows(t *testing.T) {
	t.Parallel()
	catalog := map[string]scenarios.Workflow{}
	for _, w := range scenarios.Catalog() {
		catalog[w.Name] = w
	}
	reading(func() {
		rapid.Check(t, func(rt *rapid.T) {
			w := scenarios.Workflows().Draw(rt, "workflow")
			if cw, ok := catalog[w.Name]; ok {
				if !reflect.DeepEqual(w, cw) {
					rt.Fatalf("%s differs from the catalog's: %+v", w.Name, w)
				}
				return
			}
			if n := len(w.Tools); n < 1 || n > 8 || w.Name != fmt.Sprintf("generated(%d)", n) {
				rt.Fatalf("generated workflow %q has %d steps", w.Name, n)
			}
			if len(w.Salts) != len(w.Tools) {
				rt.Fatalf("%d salts for %d steps", len(w.Salts), len(w.Tools))
			}
			for i, tool := range w.Tools {
				if !slices.Contains(fakes.StepTools, tool) {
					rt.Fatalf("step %d calls %q, not a catalog tool", i, tool)
				}
				if tool == fakes.Plan && i > 0 {
					rt.Fatalf("a planning step at %d: %v", i, w.Tools)
				}
			}
		})
	})
}

func TestWorkflowsReachTheirBounds(t *testing.T) {
	t.Parallel()
	lengths, tools := map[int]bool{}, map[string]bool{}
	planned := false
	var drawn []scenarios.Workflow
	reading(func() {
		for seed := range 3000 {
			drawn = append(drawn, scenarios.Example(scenarios.Workflows(), seed))
		}
	})
	for _, w := range drawn {
		lengths[len(w.Tools)] = true
		for _, tool := range w.Tools {
			tools[tool] = true
		}
		planned = planned || (strings.HasPrefix(w.Name, "generated") && w.Tools[0] == fakes.Plan)
	}
	for n := 1; n <= 8; n++ {
		if !lengths[n] {
			t.Errorf("no workflow of %d steps in 3000 draws", n)
		}
	}
	if lengths[0] || lengths[9] {
		t.Errorf("workflow lengths %v outside 1-8", lengths)
	}
	for _, tool := range fakes.StepTools {
		if !tools[tool] {
			t.Errorf("%s never drawn", tool)
		}
	}
	if !planned {
		t.Error("no generated workflow led by a planning step")
	}
}

func TestExecutionsAndSchedules(t *testing.T) {
	t.Parallel()
	reading(func() {
		rapid.Check(t, func(rt *rapid.T) {
			sc := scenarios.Generator(false).Draw(rt, "scenario")
			n := len(sc.Executions)
			if n < 1 || n > 3 {
				rt.Fatalf("%d executions", n)
			}
			steps := 0
			var names []string
			for i, x := range sc.Executions {
				if x.ID != fmt.Sprintf("e%d", i+1) {
					rt.Fatalf("execution %d has id %q", i, x.ID)
				}
				if !slices.Contains(fakes.TenantNames, x.Tenant) {
					rt.Fatalf("execution %s for tenant %q", x.ID, x.Tenant)
				}
				steps += len(x.Workflow.Tools)
				names = append(names, x.Workflow.Name)
			}
			if sc.Steps() != steps {
				rt.Fatalf("Steps() = %d, want %d", sc.Steps(), steps)
			}
			if sc.Name() != strings.Join(names, "+") {
				rt.Fatalf("Name() = %q, want %q", sc.Name(), strings.Join(names, "+"))
			}
			for _, k := range faults.Kinds() {
				if r := sc.Faults.Rates[k]; r > faults.MaxRate(k) {
					rt.Fatalf("%s at %d‰, above its maximum %d", k, r, faults.MaxRate(k))
				}
			}
		})
	})
	reading(func() {
		rapid.Check(t, func(rt *rapid.T) {
			s := scenarios.Schedules(true).Draw(rt, "schedule")
			for _, k := range faults.Kinds() {
				if r := s.Rates[k]; r < 1 || r > faults.MaxRate(k) {
					rt.Fatalf("with every kind on, %s is at %d‰", k, r)
				}
			}
		})
	})
}

func TestExecutionStore(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		x       scenarios.Execution
		request string
		goal    string
	}{
		{"a catalog workflow", scenarios.Execution{ID: "e1", Tenant: fakes.Acme, Workflow: scenarios.InvoiceBilling},
			"acme:request:invoice-billing", "acme:insert_record>create_charge>send_email"},
		{"a planned workflow leaves the plan out of the goal", scenarios.Execution{ID: "e2", Tenant: fakes.Globex, Workflow: scenarios.EnrichmentPlan},
			"globex:request:enrichment-plan", "globex:enrich_contact>enrich_contact>insert_record"},
		{"an ambiguous request says so", scenarios.Execution{ID: "e3", Tenant: fakes.Initech, Workflow: scenarios.EnrichmentPlan, Ambiguous: true},
			"initech:request:enrichment-plan ambiguous", "initech:enrich_contact>enrich_contact>insert_record"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := c.x.Store()
			if st.Tenant != c.x.Tenant || st.Exec != c.x.ID || st.Workflow != c.x.Workflow.Name {
				t.Errorf("stored %s/%s %q", st.Tenant, st.Exec, st.Workflow)
			}
			if len(st.Steps) != len(c.x.Workflow.Tools) {
				t.Fatalf("%d steps, want %d", len(st.Steps), len(c.x.Workflow.Tools))
			}
			for i, s := range st.Steps {
				want := []string{fmt.Sprintf("s%d.out", i), fmt.Sprintf("s%d.meta", i)}
				if s.Tool != c.x.Workflow.Tools[i] || !slices.Equal(s.Writes, want) {
					t.Errorf("step %d = %+v, want %s writing %v", i, s, c.x.Workflow.Tools[i], want)
				}
			}
			want := map[string]string{"request": c.request, "goal": c.goal}
			if !reflect.DeepEqual(st.Input, want) {
				t.Errorf("input %v, want %v", st.Input, want)
			}
		})
	}
	t.Run("long workflows keep the naming", func(t *testing.T) {
		t.Parallel()
		tools := make([]string, 20)
		for i := range tools {
			tools[i] = fakes.VectorSearch
		}
		st := scenarios.Execution{ID: "e1", Tenant: fakes.Acme, Workflow: scenarios.Workflow{Name: "long", Tools: tools}}.Store()
		if got := st.Steps[17].Writes; !slices.Equal(got, []string{"s17.out", "s17.meta"}) {
			t.Errorf("step 17 writes %v", got)
		}
	})
}

func TestCatalog(t *testing.T) {
	t.Parallel()
	want := []string{"support-email", "streaming-summary", "research-scratchpad", "invoice-billing", "enrichment-plan", "publish-report", "audit", "ticket-triage"}
	var names []string
	for _, w := range scenarios.Catalog() {
		names = append(names, w.Name)
		got, err := scenarios.Lookup(w.Name)
		if err != nil || !reflect.DeepEqual(got, w) {
			t.Errorf("Lookup(%q) = %+v, %v", w.Name, got, err)
		}
		for _, tool := range w.Tools {
			if !slices.Contains(fakes.StepTools, tool) {
				t.Errorf("%s calls %q, not a step tool", w.Name, tool)
			}
		}
	}
	if !slices.Equal(names, want) {
		t.Errorf("Catalog() = %v, want %v", names, want)
	}
	_, err := scenarios.Lookup("teleport")
	if err == nil || !strings.Contains(err.Error(), `"teleport"`) {
		t.Errorf("Lookup of an unknown workflow: %v", err)
	}
}

func TestUnits(t *testing.T) {
	t.Parallel()
	sc := scenarios.Scenario{Executions: []scenarios.Execution{
		{ID: "e1", Tenant: fakes.Acme, Workflow: scenarios.Workflow{Name: "g", Tools: []string{"a", "b", "c"}, Salts: []uint64{10, 20, 30}}, Salt: 1},
		{ID: "e2", Tenant: fakes.Acme, Workflow: scenarios.InvoiceBilling, Salt: 2},
		{ID: "e3", Tenant: fakes.Globex, Workflow: scenarios.InvoiceBilling, Salt: 3},
	}}
	unit := sc.Units()
	seen := map[uint64]string{}
	for _, x := range sc.Executions {
		for step := range x.Workflow.Tools {
			u := unit(x.ID, step)
			where := fmt.Sprintf("%s step %d", x.ID, step)
			if u != x.Unit(step) {
				t.Errorf("%s: Units() gives %x, Unit %x", where, u, x.Unit(step))
			}
			if prev, ok := seen[u]; ok {
				t.Errorf("%s has the unit of %s", where, prev)
			}
			seen[u] = where
		}
	}
	// A step's unit comes from its salt, not its index: the same salt at
	// another index is the same unit.
	x := sc.Executions[0]
	moved := x
	moved.Workflow.Salts = []uint64{20, 30}
	if moved.Unit(0) != x.Unit(1) || moved.Unit(1) != x.Unit(2) {
		t.Error("a step's unit depends on its index when it has a salt")
	}
	if x.Unit(5) == x.Unit(0) {
		t.Error("a step past the salts shares a unit")
	}
}

func TestScenarioString(t *testing.T) {
	t.Parallel()
	var s faults.Schedule
	s.Seed = 9
	s.Rates[faults.Crash] = 5
	sc := scenarios.Scenario{Executions: []scenarios.Execution{
		{ID: "e1", Tenant: fakes.Acme, Workflow: scenarios.PublishReport},
		{ID: "e2", Tenant: fakes.Initech, Workflow: scenarios.EnrichmentPlan, Ambiguous: true},
	}, Faults: s}
	want := "e1 acme publish-report: llm_complete > publish_report\n" +
		"e2 initech enrichment-plan: plan > enrich_contact > enrich_contact > insert_record (ambiguous request)\n" +
		"faults: seed=9 crash=5‰"
	if got := sc.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	if sc.Steps() != 6 || sc.Name() != "publish-report+enrichment-plan" {
		t.Errorf("Steps() = %d, Name() = %q", sc.Steps(), sc.Name())
	}
}

func TestStoreReturnsSlicesOfItsOwn(t *testing.T) {
	t.Parallel()
	x := scenarios.Execution{ID: "e1", Tenant: "acme", Workflow: scenarios.InvoiceBilling}
	first := x.Store()
	first.Steps[0].Writes[0] = "changed"
	if again := x.Store(); again.Steps[0].Writes[0] != "s0.out" {
		t.Fatalf("a caller's change to one Store() result leaked into the next: %q", again.Steps[0].Writes[0])
	}
}

// A draw from a seed inside WithRapidFlags (net mode's SearchSystem under a
// test that set rapid's flags) does not wait for WithRapidFlags to end.
func TestADrawInsideWithRapidFlagsGoesOn(t *testing.T) {
	done := make(chan scenarios.Workflow, 1)
	go func() {
		_ = scenarios.WithRapidFlags(map[string]string{"rapid.checks": "1"}, func() {
			done <- scenarios.Example(scenarios.Workflows(), 7)
		})
	}()
	select {
	case wf := <-done:
		if want := scenarios.Example(scenarios.Workflows(), 7); wf.Name != want.Name {
			t.Fatalf("drawn inside WithRapidFlags: %s, outside: %s", wf.Name, want.Name)
		}
	case <-time.After(time.Minute):
		t.Fatal("a draw inside WithRapidFlags waited for it: a deadlock")
	}
}

// TestTakingPartsOut: an execution taken out leaves the others numbered
// from e1 with their fault sites; a generated step taken out leaves the
// other steps' sites, and the workflow named for its length; a world's
// workflow and a last step keep their steps; the scenario taken from is
// unchanged.
func TestTakingPartsOut(t *testing.T) {
	gen := scenarios.Workflow{Name: "generated(3)", Tools: []string{"plan", "send_email", "create_charge"}, Salts: []uint64{7, 8, 9}, Planned: true}
	named := scenarios.Workflow{Name: "invoice-billing", Tools: []string{"lookup_customer", "create_charge"}}
	sc := scenarios.Scenario{Executions: []scenarios.Execution{
		{ID: "e1", Tenant: "acme", Workflow: named, Salt: 1},
		{ID: "e2", Tenant: "globex", Workflow: gen, Salt: 2},
	}}
	before := fmt.Sprintf("%#v", sc)
	one := sc.WithoutExecution(0)
	if len(one.Executions) != 1 || one.Executions[0].ID != "e1" || one.Executions[0].Tenant != "globex" ||
		one.Executions[0].Unit(1) != sc.Executions[1].Unit(1) {
		t.Fatalf("without e1: %+v", one.Executions)
	}
	short, ok := sc.WithoutStep(1, 1)
	w := short.Executions[1].Workflow
	if !ok || w.Name != "generated(2)" || !w.Planned || !reflect.DeepEqual(w.Tools, []string{"plan", "create_charge"}) ||
		short.Executions[1].Unit(1) != sc.Executions[1].Unit(2) {
		t.Fatalf("without step 1 of e2: %v %+v", ok, w)
	}
	if unplanned, ok := sc.WithoutStep(1, 0); !ok || unplanned.Executions[1].Workflow.Planned {
		t.Fatalf("without e2's planning step: %v %+v", ok, unplanned.Executions[1].Workflow)
	}
	if _, ok := sc.WithoutStep(0, 1); ok {
		t.Fatal("a step of a world's workflow was taken out")
	}
	last, _ := short.WithoutStep(1, 0)
	if _, ok := last.WithoutStep(1, 0); ok {
		t.Fatal("a workflow's last step was taken out")
	}
	if after := fmt.Sprintf("%#v", sc); after != before {
		t.Fatalf("the scenario taken from changed:\n%s\nwas\n%s", after, before)
	}
}

// TestStoreInIsStore: an execution made in reused memory is the one Store
// makes, run after run.
func TestStoreInIsStore(t *testing.T) {
	var mem scenarios.StoreMemory
	for seed := 1; seed <= 50; seed++ {
		mem.Reset()
		sc := scenarios.Of(uint64(seed))
		var made []store.Execution
		for _, x := range sc.Executions {
			made = append(made, x.StoreIn(&mem))
		}
		for i, x := range sc.Executions {
			if want := x.Store(); !reflect.DeepEqual(made[i], want) {
				t.Fatalf("seed %d execution %d: StoreIn %+v, Store %+v", seed, i, made[i], want)
			}
		}
	}
}
