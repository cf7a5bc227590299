package harness_test

import (
	"os"
	"os/exec"
	"regexp"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
)

// envFailfileChild makes TestFailingCheck run in a child test binary.
const envFailfileChild = "CHAOSRUN_FAILFILE_CHILD"

// TestFailingCheck is the test a team writes, failing; it runs only as the
// child of TestCheckReplaysFromAFailFile.
func TestFailingCheck(t *testing.T) {
	if os.Getenv(envFailfileChild) == "" {
		t.Skip("runs as the child of TestCheckReplaysFromAFailFile")
	}
	harness.Check(t, policies.NaiveBackoff(), nil)
}

var (
	replayLine  = regexp.MustCompile(`Or replay its seed with: chaosrun replay --policy naive-backoff --seed (\d+)`)
	failfileRun = regexp.MustCompile(`To reproduce, specify -run="TestFailingCheck" -rapid\.failfile="[^"]+"\n`)
)

// TestCheckReplaysFromAFailFile runs a failing Check twice where rapid keeps
// its fail files: the first run saves one and names a seed; the second
// replays the fail file and names only that file. Both end with the same
// chaosrun replay line.
func TestCheckReplaysFromAFailFile(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func() string {
		cmd := exec.Command(exe, "-test.run=^TestFailingCheck$")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), envFailfileChild+"=1")
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("the failing check passed:\n%s", out)
		}
		return string(out)
	}
	first := run()
	m := replayLine.FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("the first run has no chaosrun replay line:\n%s", first)
	}
	second := run()
	if !failfileRun.MatchString(second) {
		t.Fatalf("the second run should replay rapid's fail file and name only it:\n%s", second)
	}
	if again := replayLine.FindStringSubmatch(second); again == nil || again[1] != m[1] {
		t.Fatalf("the rerun from the fail file should keep the replay line of seed %s:\n%s", m[1], second)
	}
}
