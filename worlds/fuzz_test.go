package worlds_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/worlds"
)

// FuzzParse: Parse never panics; a refusal is an *Error naming the file,
// with no world; an accepted file gives the same world every time, one that
// Validate accepts and whose registry builds. Seeded with default.yaml, the
// example worlds, every file of testdata and every import of testdata/mcp.
//
//	go test -run=XXX -fuzz=FuzzParse ./worlds
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"*.yaml", "testdata/*.yaml", "testdata/*/*.yaml", "../examples/*/world.yaml"} {
		paths, _ := filepath.Glob(glob)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := worlds.Parse("fuzz.yaml", data)
		if err != nil {
			var we *worlds.Error
			if !errors.As(err, &we) || !strings.HasPrefix(err.Error(), "fuzz.yaml:") || w != nil {
				t.Fatalf("refusal %T %q with world %v", err, err, w)
			}
			return
		}
		if err := w.Validate(); err != nil {
			t.Fatalf("Parse accepted a world Validate refuses: %v", err)
		}
		if _, err := w.Registry(); err != nil {
			t.Fatalf("Parse accepted a world whose registry does not build: %v", err)
		}
		again, _ := worlds.Parse("fuzz.yaml", data)
		if !reflect.DeepEqual(w, again) {
			t.Fatalf("the same file read twice gave\n  %+v\nand\n  %+v", w, again)
		}
	})
}
