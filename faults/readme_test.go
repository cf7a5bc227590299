package faults_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/faults"
)

// The README's table of fault kinds is the kind table's, row for row.
func TestTheReadmeListsEveryKind(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### The faults\n")
	if !ok {
		t.Fatal("README.md has no \"### The faults\" section")
	}
	var rows []string
	for line := range strings.SplitSeq(section, "\n") {
		if strings.HasPrefix(line, "### ") {
			break
		}
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| kind |") {
			rows = append(rows, line)
		}
	}
	kinds := faults.Kinds()
	if len(rows) != len(kinds) {
		t.Fatalf("README lists %d fault kinds, the table has %d", len(rows), len(kinds))
	}
	for i, k := range kinds {
		doc := strings.TrimPrefix(k.Doc(), k.Phase().String()+": ")
		if want := "| " + k.String() + " | " + k.Phase().String() + " | " + doc + " |"; rows[i] != want {
			t.Errorf("README row %d:\n  %s\nwant\n  %s", i+1, rows[i], want)
		}
	}
}
