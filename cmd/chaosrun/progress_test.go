package main

import (
	"bytes"
	"testing"
	"time"
)

// The progress bar shows on a terminal, for long work, unless quiet.
func TestProgressBarOnlyOnATerminalForLongWork(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		tty       bool
		quiet     bool
		runs      int
		duration  time.Duration
		wantShown bool
	}{
		{"long work on a terminal", true, false, 500, 0, true},
		{"a duration on a terminal", true, false, 1, time.Minute, true},
		{"not a terminal", false, false, 500, 0, false},
		{"quiet", true, true, 500, 0, false},
		{"short work", true, false, 10, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			e := &env{stderr: &stderr, tty: c.tty}
			b := e.progress(&options{quiet: c.quiet, duration: c.duration}, 8, c.runs)
			b.policy(0, "reference")
			b.step(c.runs, c.runs)
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
