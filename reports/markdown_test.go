package reports

import (
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
)

// TestMarkdownEscapesCells: a | in a cell would split it; Markdown in a
// sentence would be read as Markdown.
func TestMarkdownEscapesCells(t *testing.T) {
	t.Parallel()
	r := New(Setup{Runs: 1})
	r.Add(&harness.Summary{Policy: "a|b", Runs: 1}, Entry{Source: "team|policy.yaml"})
	out := string(render(t, Markdown, r))
	if !strings.Contains(out, "| `a\\|b` |") {
		t.Errorf("the policy cell is not escaped:\n%s", out)
	}
	var header int
	for _, line := range strings.Split(out, "\n") {
		seps := strings.Count(line, "|") - strings.Count(line, `\|`)
		switch {
		case strings.HasPrefix(line, "| policy |"):
			header = seps
		case strings.HasPrefix(line, "| `a") && seps != header:
			t.Errorf("row has %d separators, its header %d: %s", seps, header, line)
		}
	}
	if got := mdEscape("send_email *twice* | <b>"); got != `send\_email \*twice\* \| &lt;b&gt;` {
		t.Errorf("mdEscape = %s", got)
	}
}

// TestMarkdownCounterexamples: each violating policy has its first
// counterexample with the replay line in a code block; clean ones none.
func TestMarkdownCounterexamples(t *testing.T) {
	t.Parallel()
	r := setup(t)
	out := string(render(t, Markdown, r))
	for _, p := range r.Policies {
		heading := "### `" + p.Name + "` violates"
		if got := strings.Contains(out, heading); got != p.Violated() {
			t.Errorf("%s: counterexample section %v, violated %v", p.Name, got, p.Violated())
		}
		if ff := p.FirstFailure; ff != nil && !strings.Contains(out, "```sh\n"+ff.Replay+"\n```") {
			t.Errorf("%s: no code block with %q", p.Name, ff.Replay)
		}
	}
}
