package harness

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

func TestDebugSeed(t *testing.T) {
	seed, _ := strconv.ParseUint(os.Getenv("SEED"), 10, 64)
	name := os.Getenv("POLICY")
	if name == "" {
		t.Skip()
	}
	e, _ := policies.Lookup(name)
	sc := scenarios.Of(seed)
	r, _ := Simulate(context.Background(), sc, e.Go(), nil)
	fmt.Println(sc)
	for i, ev := range r.History.Events {
		fmt.Printf("%3d %s\n", i, ev)
	}
	for _, eff := range r.Ledger.Effects() {
		fmt.Printf("L%d %s %v %s key=%s ref=%s att=%d world=%v idem=%v\n", eff.Seq, eff.Kind, eff.Op, eff.Tool, eff.Key, eff.Ref, eff.Attempt, eff.World, eff.Idempotent)
	}
	for _, res := range r.Results {
		for _, v := range res.Violations {
			fmt.Println("VIOLATION", v)
		}
	}
}

func TestDebugAll(t *testing.T) {
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	name := os.Getenv("POLICYALL")
	if name == "" {
		t.Skip()
	}
	e, _ := policies.Lookup(name)
	sc := scenarios.Generator(true).Example(seed)
	r, _ := Simulate(context.Background(), sc, e.Go(), nil)
	fmt.Println(sc)
	for i, ev := range r.History.Events {
		fmt.Printf("%3d %s\n", i, ev)
	}
	for _, eff := range r.Ledger.Effects() {
		fmt.Printf("L%d %s %v %s key=%s ref=%s att=%d world=%v idem=%v\n", eff.Seq, eff.Kind, eff.Op, eff.Tool, eff.Key, eff.Ref, eff.Attempt, eff.World, eff.Idempotent)
	}
	for _, res := range r.Results {
		for _, v := range res.Violations {
			fmt.Println("VIOLATION", v)
		}
	}
}
