package main

import (
	"io"
	"os"
	"runtime/debug"
	"testing"
	"time"
)

// BenchmarkDefaultCompare measures `chaosrun` as a developer runs it by
// hand (the catalog and the reference, 500 runs each, counterexamples
// minimised) and beside it, in the same iteration, the same exploration
// with --no-shrink: it reports both wall times and their ratio, which is
// what minimising adds. It runs the command in this process, with the
// collector set as the binary sets it (tuneGC), so the figures leave out
// only the binary's start (a few milliseconds).
func BenchmarkDefaultCompare(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	tuneGC(os.Getenv)
	var full, explore time.Duration
	for b.Loop() {
		for _, c := range []struct {
			args []string
			sum  *time.Duration
		}{{nil, &full}, {[]string{"--no-shrink"}, &explore}} {
			start := time.Now()
			if code := run(c.args, io.Discard, io.Discard); code != 0 {
				b.Fatalf("chaosrun %v exited %d", c.args, code)
			}
			*c.sum += time.Since(start)
		}
	}
	n := float64(b.N)
	b.ReportMetric(full.Seconds()*1000/n, "ms-default")
	b.ReportMetric(explore.Seconds()*1000/n, "ms-no-shrink")
	b.ReportMetric(full.Seconds()/explore.Seconds(), "shrink-ratio")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRunReference measures `chaosrun run --policy reference` (500
// runs, swarm then targeted), in this process.
func BenchmarkRunReference(b *testing.B) {
	for b.Loop() {
		if code := run([]string{"run", "--policy", "reference"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exited %d", code)
		}
	}
}

// BenchmarkCompareNoShrink measures `chaosrun --no-shrink`, in this process.
func BenchmarkCompareNoShrink(b *testing.B) {
	for b.Loop() {
		if code := run([]string{"--no-shrink"}, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exited %d", code)
		}
	}
}
