package scenarios_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/scenarios"
)

// Of turns a seed into the same scenario every time: rapid's first case for
// that seed.
func ExampleOf() {
	sc := scenarios.Of(7)
	fmt.Println(sc.Name(), sc.Steps() > 0, len(sc.Faults.Active()) > 0)
	fmt.Println(sc.String() == scenarios.Of(7).String())
	// Output:
	// generated(3)+support-email true true
	// true
}
