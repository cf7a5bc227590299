package main_test

import (
	"regexp"
	"strings"
	"testing"
)

// TestHelpUsageIsOneColumn: in 'chaosrun help', every command's summary
// starts in the same column, at least two spaces after the longest
// synopsis.
func TestHelpUsageIsOneColumn(t *testing.T) {
	t.Parallel()
	r := chaosrun(t, "help")
	r.want(t, 0, "Usage:\n")
	usage, _, _ := strings.Cut(strings.SplitN(r.stdout, "Usage:\n", 2)[1], "\n\n")
	line := regexp.MustCompile(`^  (chaosrun(?: \S+)*)( {2,})\S`)
	col := 0
	for _, l := range strings.Split(usage, "\n") {
		m := line.FindStringSubmatchIndex(l)
		if m == nil {
			t.Errorf("no two spaces between synopsis and summary: %q", l)
			continue
		}
		if col == 0 {
			col = m[5]
		}
		if m[5] != col {
			t.Errorf("summary at column %d, want %d: %q", m[5], col, l)
		}
	}
}
