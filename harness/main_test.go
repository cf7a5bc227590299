package harness_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain keeps rapid from saving fail files under testdata (the tests
// here check what a first failure reports, and a saved one would be replayed
// instead).
func TestMain(m *testing.M) {
	flag.Parse()
	if os.Getenv(envFailfileChild) == "" { // the child of TestCheckReplaysFromAFailFile saves them
		if err := flag.Set("rapid.nofailfile", "true"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
