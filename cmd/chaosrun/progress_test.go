package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/invariants"
)

// The progress bar shows on a terminal, for long work (net mode always),
// unless quiet.
func TestProgressBarOnlyOnATerminalForLongWork(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		tty       bool
		quiet     bool
		mode      string
		runs      int
		duration  time.Duration
		wantShown bool
	}{
		{"long work on a terminal", true, false, "sim", 500, 0, true},
		{"a duration on a terminal", true, false, "sim", 1, time.Minute, true},
		{"net mode, however short", true, false, "net", 2, 0, true},
		{"not a terminal", false, false, "sim", 500, 0, false},
		{"net mode, not a terminal", false, false, "net", 500, 0, false},
		{"quiet", true, true, "sim", 500, 0, false},
		{"short work", true, false, "sim", 10, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			e := &env{stderr: &stderr, tty: c.tty}
			b := e.progress(&options{quiet: c.quiet, mode: c.mode, duration: c.duration}, 8, c.runs)
			b.policy(0, "reference").step(c.runs, c.runs)
			b.done()
			if shown := b.b != nil; shown != c.wantShown {
				t.Fatalf("bar shown %v, want %v", shown, c.wantShown)
			}
			if !c.wantShown && stderr.Len() > 0 {
				t.Fatalf("nothing belongs on stderr, got %q", stderr.String())
			}
			if c.wantShown && stderr.Len() == 0 {
				t.Fatal("the bar wrote nothing on stderr")
			}
		})
	}
}

// TestProgressBarFromTheFirstRun: net mode's bar is drawn before a run ends,
// with its runs, and the minimisation after the last run is labelled.
func TestProgressBarFromTheFirstRun(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	e := &env{stderr: &stderr, tty: true}
	b := e.progress(&options{mode: "net"}, 1, 20)
	track := b.policy(0, "naive-backoff")
	if !strings.Contains(stderr.String(), "1/1 naive-backoff") || !strings.Contains(stderr.String(), "0/20") {
		t.Fatalf("before the first run ends the bar should show the policy and 0/20, got %q", stderr.String())
	}
	track.step(20, 20)
	track.shrinking(invariants.NoDuplicateSideEffects)
	if !strings.Contains(stderr.String(), "minimising naive-backoff / no-duplicate-side-effects") {
		t.Fatalf("the minimisation after the last run is not labelled: %q", stderr.String())
	}
	if !strings.Contains(stderr.String(), "20/21") {
		t.Fatalf("the minimisation is not counted as work to do: %q", stderr.String())
	}
	b.done()
}
