package reports

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the fixture")

// formats are every renderer, with the golden file that pins its output.
var formats = []struct {
	name   string
	golden string
	render func(io.Writer, *Report) error
}{
	{"table", "report.txt", Table},
	{"markdown", "report.md", Markdown},
	{"json", "report.json", JSON},
	{"junit", "report.xml", JUnit},
	{"html", "report.html", HTML},
}

// TestGolden pins every format on the fixture. Regenerate the files with
//
//	go test ./reports -run TestGolden -update
func TestGolden(t *testing.T) {
	r := setup(t)
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, f.render, r)
			if again := render(t, f.render, r); !bytes.Equal(got, again) {
				t.Fatalf("two renderings of the same report differ")
			}
			path := filepath.Join("testdata", f.golden)
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

// firstDiff shows the first line where want and got differ.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines, different bytes)"
}
