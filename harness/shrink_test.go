package harness

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

// TestAppendKeyCoversScenario changes each field of a scenario in turn,
// found by reflection so that a field added later is covered too, and
// checks that every change changes the key Shrink remembers verdicts by,
// while an equal scenario keeps it.
func TestAppendKeyCoversScenario(t *testing.T) {
	base := scenarios.Seeded(3, true)
	base.Executions = append(base.Executions, base.Executions[0])
	base.Executions[1].ID = "e2"
	if len(base.Executions[0].Workflow.Salts) == 0 {
		base.Executions[0].Workflow.Salts = []uint64{1}
	}
	want := appendKey(nil, base)
	if got := appendKey(nil, clone(base)); !bytes.Equal(got, want) {
		t.Fatalf("an equal scenario has another key")
	}
	n := 0
	for path := range leaves(reflect.TypeOf(base), "") {
		sc := clone(base)
		mutate(reflect.ValueOf(&sc).Elem(), path)
		if bytes.Equal(appendKey(nil, sc), want) {
			t.Errorf("changing %s leaves the key as it was", path)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d fields were changed", n)
	}
}

// leaves yields a path for each leaf field under type typ: field names,
// with "[]" for the first element of a slice or array (and "+" for
// appending one).
func leaves(typ reflect.Type, at string) func(func(string) bool) {
	return func(yield func(string) bool) {
		var walk func(t reflect.Type, at string) bool
		walk = func(t reflect.Type, at string) bool {
			switch t.Kind() {
			case reflect.Struct:
				for i := range t.NumField() {
					if !walk(t.Field(i).Type, at+"."+t.Field(i).Name) {
						return false
					}
				}
				return true
			case reflect.Slice:
				return yield(at+"+") && walk(t.Elem(), at+"[]")
			case reflect.Array:
				return walk(t.Elem(), at+"[]")
			}
			return yield(at)
		}
		walk(typ, at)
	}
}

// mutate changes the leaf of v at path.
func mutate(v reflect.Value, path string) {
	for path != "" {
		switch {
		case path[0] == '.':
			end := 1
			for end < len(path) && path[end] != '.' && path[end] != '[' && path[end] != '+' {
				end++
			}
			v, path = v.FieldByName(path[1:end]), path[end:]
		case path == "+":
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			return
		case path[:2] == "[]":
			v, path = v.Index(0), path[2:]
		}
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		v.SetInt(v.Int() + 1)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint16, reflect.Uint8:
		v.SetUint(v.Uint() + 1)
	default:
		panic("mutate: a leaf of kind " + v.Kind().String())
	}
}

// clone copies a scenario deeply.
func clone(sc scenarios.Scenario) scenarios.Scenario {
	out := sc
	out.Executions = make([]scenarios.Execution, len(sc.Executions))
	for i, x := range sc.Executions {
		x.Workflow.Tools = append([]string(nil), x.Workflow.Tools...)
		x.Workflow.Salts = append([]uint64(nil), x.Workflow.Salts...)
		out.Executions[i] = x
	}
	return out
}

// TestACandidateIsCheckedAsAFullRunIs runs scenarios under a correct and a
// naive policy checked for one invariant at a time, as Shrink checks its
// candidates, and finds each result the one the fully checked run gives.
func TestACandidateIsCheckedAsAFullRunIs(t *testing.T) {
	violated := 0
	e, err := policies.Lookup("naive-backoff")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []policy.Policy{policy.Reference(), e.Go()} {
		for seed := uint64(1); seed <= 40; seed++ {
			sc := scenarios.Seeded(seed, false)
			full, err := Simulate(context.Background(), sc, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range invariants.IDs() {
				one, err := Simulate(context.Background(), sc, p, &SimOpts{only: id})
				if err != nil {
					t.Fatal(err)
				}
				if len(one.Results) != 1 || !reflect.DeepEqual(one.Results[0], full.Result(id)) {
					t.Fatalf("%s seed %d, %s alone: %+v, want %+v", p.Name(), seed, id, one.Results, full.Result(id))
				}
				if one.Results[0].Status == invariants.Violated {
					violated++
				}
				one.Release()
			}
			full.Release()
		}
	}
	if violated == 0 {
		t.Fatal("no run violated any invariant: the comparison proves little")
	}
}

// TestShrunkCasesNeedEveryPart shrinks the first counterexample of each
// catalog mistake, with little patience, and finds that the case needs
// all it kept: without any one of its executions, generated steps or
// fault kinds, the invariant holds.
func TestShrunkCasesNeedEveryPart(t *testing.T) {
	ctx := context.Background()
	removed := 0
	for _, e := range policies.Catalog()[1:] {
		p, id := e.Go(), e.CaughtBy[0]
		seed := uint64(1)
		for ; ; seed++ {
			run, err := Simulate(ctx, scenarios.Seeded(seed, false), p, &SimOpts{only: id})
			if err != nil {
				t.Fatal(err)
			}
			violated := run.Result(id).Status == invariants.Violated
			run.Release()
			if violated {
				break
			}
		}
		shrunk, err := Shrink(ctx, p, seed, id, &ShrinkOpts{Patience: 20})
		if err != nil || shrunk == nil {
			t.Fatalf("%s seed %d: shrink %v, %v", e.Name, seed, shrunk, err)
		}
		sc := shrunk.Scenario
		var without []scenarios.Scenario
		for i := range sc.Executions {
			if len(sc.Executions) > 1 {
				without = append(without, sc.WithoutExecution(i))
			}
			for j := range sc.Executions[i].Workflow.Tools {
				if next, ok := sc.WithoutStep(i, j); ok {
					without = append(without, next)
				}
			}
		}
		for k, rate := range sc.Faults.Rates {
			if rate > 0 {
				next := clone(sc)
				next.Faults.Rates[k] = 0
				without = append(without, next)
			}
		}
		for _, next := range without {
			run, err := Simulate(ctx, next, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if run.Result(id).Status == invariants.Violated {
				t.Errorf("%s seed %d: the shrunk case (%d steps) violates %s without a part:\n%s", e.Name, seed, sc.Steps(), id, next)
			}
			run.Release()
			removed++
		}
	}
	if removed == 0 {
		t.Fatal("no shrunk case had a part to take out: the test proves nothing")
	}
}
