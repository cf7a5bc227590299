package faults_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/faults"
)

// A schedule is a seed and a rate per fault kind, per thousand sites; a zero
// rate turns the kind off.
func ExampleSchedule() {
	s := faults.Schedule{Seed: 42}
	s.Rates[faults.LostResponse] = 100
	s.Rates[faults.Crash] = 5
	fmt.Println(s)
	fmt.Println(s.Active())
	// Output:
	// seed=42 lost-response=100‰ crash=5‰
	// [lost-response crash]
}
