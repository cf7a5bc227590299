package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGCGivesWayToTheEnvironment: chaosrun sets the collector for its
// workload, unless GOGC or GOMEMLIMIT says how it should run.
func TestTuneGCGivesWayToTheEnvironment(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, env := range []map[string]string{{"GOGC": "100"}, {"GOMEMLIMIT": "2GiB"}} {
		debug.SetGCPercent(100)
		debug.SetMemoryLimit(math.MaxInt64)
		tuneGC(func(k string) string { return env[k] })
		if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != 100 || l != math.MaxInt64 {
			t.Errorf("with %v set, tuneGC changed the collector: GOGC %d, limit %d", env, p, l)
		}
	}
	tuneGC(func(string) string { return "" })
	if p, l := debug.SetGCPercent(100), debug.SetMemoryLimit(-1); p != gcPercent || l != memoryLimit {
		t.Errorf("with neither set, the collector runs at GOGC %d, limit %d; want %d, %d", p, l, gcPercent, memoryLimit)
	}
}
