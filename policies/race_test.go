//go:build race

package policies_test

// raceDetector is set under -race, which slows the allocation-heavy decision
// enumeration down tenfold and finds nothing in it (it runs on one
// goroutine per policy, sharing nothing): there it samples the inputs.
const raceDetector = true
