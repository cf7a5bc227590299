package inputfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/chaosrun/chaosrun/policies/inputfile"
)

func TestReadAcceptsARegularFileWithinTheLimit(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(p, []byte("name: ours\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := inputfile.Read(p, 11)
	if err != nil || string(got) != "name: ours\n" {
		t.Fatalf("Read = %q, %v", got, err)
	}
	if _, err := inputfile.Read(p, 10); !errors.Is(err, inputfile.ErrTooLarge) || !strings.Contains(err.Error(), "11 bytes, over the limit of 10 bytes") {
		t.Fatalf("one byte over the limit: %v, want ErrTooLarge", err)
	}
}

// TestReadRefusesWhatIsNotARegularFile: each of these would block or never
// end if it were read; each is refused at once.
func TestReadRefusesWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	held := filepath.Join(dir, "held.yaml") // a writer holds it open and writes nothing
	if err := syscall.Mkfifo(held, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenFile(held, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(held, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cases := map[string]string{
		dir:         "a directory",
		fifo:        "a named pipe (FIFO)",
		held:        "a named pipe (FIFO)",
		"/dev/zero": "a character device",
	}
	for path, kind := range cases {
		_, err := inputfile.Read(path, 0)
		if !errors.Is(err, inputfile.ErrNotRegular) || !strings.Contains(err.Error(), path+": not a regular file: it is "+kind) {
			t.Errorf("Read(%s) = %v, want ErrNotRegular naming %s", path, err, kind)
		}
	}
}

func TestReadKeepsTheErrorOfOpen(t *testing.T) {
	t.Parallel()
	_, err := inputfile.Read(filepath.Join(t.TempDir(), "missing.yaml"), 0)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReadDefaultsToOneMiB(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, make([]byte, inputfile.MaxSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := inputfile.Read(p, 0); !errors.Is(err, inputfile.ErrTooLarge) || !strings.Contains(err.Error(), "over the limit of 1 MiB") {
		t.Fatalf("Read of 1 MiB + 1 byte: %v, want ErrTooLarge", err)
	}
}
