package reports

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// terminalWidths are the widths whose terminal output is pinned in
// testdata/terminal-W.txt (regenerate with -update, as TestGolden).
var terminalWidths = []int{80, 120, 200}

func TestTerminalGolden(t *testing.T) {
	r := setup(t)
	for _, width := range terminalWidths {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			t.Parallel()
			got := terminal(t, r, width)
			path := filepath.Join("testdata", fmt.Sprintf("terminal-%d.txt", width))
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendering (run with -update if the change is intended):\n%s", path, firstDiff(want, got))
			}
		})
	}
}

// TestTerminalFitsTheWidth: at every pinned width no line of what the
// terminal shows is wider than the terminal, counted in display columns;
// at every width from 72 up (the verdict "inconclusive" is 12 columns) the table and its legends fit, for the
// fixture and for a report with long policy names and large counts.
func TestTerminalFitsTheWidth(t *testing.T) {
	t.Parallel()
	fix := setup(t)
	for _, width := range terminalWidths {
		tooWide(t, fmt.Sprintf("the fixture at %d", width), terminal(t, fix, width), width)
	}
	wide := 0
	for _, l := range strings.Split(string(render(t, Table, fix)), "\n") {
		wide = max(wide, twwidth.Width(l))
	}
	if wide <= 200 {
		t.Fatalf("the wide table is %d columns: the test should cover a table that needs folding", wide)
	}
	big := bigReport(fix)
	for width := 72; width <= 240; width++ {
		for name, r := range map[string]*Report{"fixture": fix, "big": big} {
			var b bytes.Buffer
			if err := fitTable(&b, r, width); err != nil {
				t.Fatal(err)
			}
			tooWide(t, fmt.Sprintf("%s at %d", name, width), b.Bytes(), width)
		}
	}
}

// TestTerminalChoosesTheLayoutByWidth: a wide terminal gets every column
// in one table, narrower ones the cost table apart, and no width the wide
// table exactly as Table renders it.
func TestTerminalChoosesTheLayoutByWidth(t *testing.T) {
	t.Parallel()
	r := setup(t)
	if !bytes.HasPrefix(terminal(t, r, 0), render(t, Table, r)) {
		t.Error("with no width the terminal does not start with the wide table")
	}
	if !bytes.HasPrefix(terminal(t, r, 400), render(t, Table, r)) {
		t.Error("a 400-column terminal does not get the wide table")
	}
	wide, _, _ := strings.Cut(string(render(t, Table, r)), "\n")
	w := utf8.RuneCountInString(wide) // the wide table fits from here on
	for width, apart := range map[int]bool{w: false, 120: true, 80: true} {
		out := string(terminal(t, r, width))
		if got := len(regexp.MustCompile(`(?m)^[│ ]*policy\b`).FindAllString(out, -1)); (got == 2) != apart {
			t.Errorf("at %d columns %d tables, want the cost apart: %t\n%s", width, got, apart, out)
		}
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		room int
		want string
	}{
		{"restart-whole-workflow", 22, "restart-whole-workflow"},
		{"restart-whole-workflow", 15, "restart-whole-\nworkflow"},
		{"restart-whole-workflow", 8, "restart-\nwhole-\nworkflow"},
		{"supercalifragilistic", 8, "supercal\nifragili\nstic"},
		{"ours", 8, "ours"},
	} {
		if got := fold(c.name, c.room); got != c.want {
			t.Errorf("fold(%q, %d) = %q, want %q", c.name, c.room, got, c.want)
		}
	}
}

// bigReport is the fixture with long policy names and counts in the
// thousands, under --duration.
func bigReport(fix *Report) *Report {
	r := *fix
	r.Policies = nil
	for i, p := range fix.Policies {
		p.Name = strings.Repeat("team-", i) + p.Name + "-with-a-long-name"
		p.Runs = 123456
		v := map[invariants.ID]int{}
		for id, n := range p.Violations {
			v[id] = n * 1000
		}
		p.Violations = v
		p.Cost.DuplicateChargesCents *= 100000
		r.Policies = append(r.Policies, p)
	}
	return &r
}

func terminal(t *testing.T, r *Report, width int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Terminal(&b, r, &TerminalOptions{Width: width}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tooWide(t *testing.T, what string, out []byte, width int) {
	t.Helper()
	for i, l := range strings.Split(string(out), "\n") {
		if n := twwidth.Width(l); n > width {
			t.Errorf("%s: line %d is %d columns wide:\n%s", what, i+1, n, l)
			return
		}
	}
}
