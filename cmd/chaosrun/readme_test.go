package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeExcerptIsTheOutput: the README's excerpt of `COLUMNS=80
// chaosrun` is what the command prints, line for line in order; a line
// that ends in "…" is a prefix of the line printed, and a line that is
// only "…" stands for lines left out.
func TestReadmeExcerptIsTheOutput(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const start = "$ COLUMNS=80 chaosrun\n"
	_, block, ok := strings.Cut(string(readme), start)
	if !ok {
		t.Fatalf("README.md has no excerpt starting %q", start)
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("README.md: the excerpt's code block does not end")
	}
	cmd := exec.Command(binary)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "COLUMNS=80")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("COLUMNS=80 chaosrun: %v", err)
	}
	printed := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	at := 0
	for _, want := range strings.Split(block, "\n") {
		if want == "…" {
			continue
		}
		prefix, elided := strings.CutSuffix(want, "…")
		found := false
		for ; at < len(printed) && !found; at++ {
			line := strings.TrimRight(printed[at], " ")
			found = line == want || elided && strings.HasPrefix(line, prefix)
		}
		if !found {
			t.Fatalf("README.md's excerpt line\n  %s\nis not printed (in its order) by COLUMNS=80 chaosrun:\n%s", want, out)
		}
	}
}
