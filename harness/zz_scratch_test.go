package harness

import (
	"context"
	"fmt"
	"testing"

	"github.com/chaosrun/chaosrun/policies"
)

func TestZZScratchRef(t *testing.T) {
	p, err := policies.Load("../policies/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		for _, nt := range []bool{true, false} {
			s, _ := Explore(context.Background(), p, &ExploreOpts{Runs: 2000, AllFaults: all, NoTargeting: nt, NoShrink: true})
			fmt.Println("all", all, "notarget", nt, s.Violations, s.Coverage.Covered(), len(s.Coverage.Reachable))
		}
	}
}
