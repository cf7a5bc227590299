package harness

import (
	"fmt"
	"strings"
	"testing"
)

// capture is a test that keeps what is reported to it.
type capture struct {
	*testing.T
	msgs []string
}

func (c *capture) Error(args ...any) { c.msgs = append(c.msgs, fmt.Sprint(args...)) }

// TestCheckNamesAReplayThatWorks: a catalog policy replays by name; a
// policy chaosrun cannot know by name (written in Go) by its file.
func TestCheckNamesAReplayThatWorks(t *testing.T) {
	report := "[rapid] draw scenario: ...\nTo reproduce, specify -run=\"TestX\" -rapid.seed=42"
	cases := []struct {
		policy    string
		allFaults bool
		want      string
	}{
		{"naive-backoff", false, "\nOr replay it with: chaosrun replay --policy naive-backoff --seed 42"},
		{"naive-backoff", true, "\nOr replay it with: chaosrun replay --policy naive-backoff --seed 42 --all-faults"},
		{"ours", false, "\nOr, from its policy file, replay it with: chaosrun replay --policy path/to/ours.yaml --seed 42"},
	}
	for _, c := range cases {
		tb := &capture{T: t}
		(&replayTB{TB: tb, policy: c.policy, allFaults: c.allFaults}).Errorf("%s", report)
		if len(tb.msgs) != 1 || !strings.HasPrefix(tb.msgs[0], report) || !strings.HasSuffix(tb.msgs[0], c.want) {
			t.Errorf("%s: reported %q, want rapid's report then %q", c.policy, tb.msgs, c.want)
		}
	}
}
