package inputfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chaosrun/chaosrun/policies/inputfile"
)

// A loader reads a user's file through Read, and tells a path that names no
// file from a file it will not read.
func ExampleRead() {
	dir, _ := os.MkdirTemp("", "inputfile")
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "ours.yaml")
	_ = os.WriteFile(p, []byte("name: ours\n"), 0o644)

	data, err := inputfile.Read(p, 0)
	fmt.Printf("%q %v\n", data, err)
	_, err = inputfile.Read(dir, 0)
	fmt.Println(errors.Is(err, inputfile.ErrNotRegular))
	// Output:
	// "name: ours\n" <nil>
	// true
}
