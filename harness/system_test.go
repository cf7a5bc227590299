package harness_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/engine"
)

var (
	naive   = team{wait: 500 * time.Millisecond, tries: 12}
	careful = team{careful: true, wait: 500 * time.Millisecond, tries: 12}
)

// cases is how many generated cases a test runs: a few under -short.
func cases(n int) int {
	if testing.Short() {
		return max(n/10, 10)
	}
	return n
}

// Plain net/http code that retries a charge without a key charges twice
// when a reply is lost after the charge landed; the shrunk case says so in
// at most three steps, with its timeline and ledger.
func TestNaiveCodeIsCaughtChargingTwice(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}}
	run, id, err := harness.SearchSystem(t, shop(t), naive.body, 1, cases(200), opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.NoDuplicateSideEffects {
		t.Fatalf("the naive code was not caught by no-duplicate-side-effects: run %v, %q", run != nil, id)
	}
	if n := run.Scenario.Steps(); n > 3 {
		t.Errorf("the shrunk case has %d steps, want at most 3:\n%s", n, run.Explain(id))
	}
	msg := run.Explain(id)
	for _, want := range []string{"applied twice", "timeline", "request ", "fault ", "answered ", "ledger:", "applied "} {
		if !strings.Contains(msg, want) {
			t.Errorf("the explanation lacks %q:\n%s", want, msg)
		}
	}
}

// The careful code — the operation id as its key, a lookup before doing a
// step again, Retry-After honoured, a dead letter when it gives up — is
// clean in every case, crashes and restarts included.
func TestCarefulCodeIsClean(t *testing.T) {
	t.Parallel()
	run, id, err := harness.SearchSystem(t, shop(t), careful.body, 1, cases(200), &harness.SystemOpts{AllFaults: true})
	if err != nil {
		t.Fatal(err)
	}
	if run != nil {
		t.Fatalf("the careful code failed (%s):\n%s", id, run.Failure(nil))
	}
}

// What the wire cannot see says unknown, with the reason; the rest decide.
func TestTheWireDecidesWhatItSees(t *testing.T) {
	t.Parallel()
	space, err := harness.Compile(shop(t))
	if err != nil {
		t.Fatal(err)
	}
	run, err := harness.RunSystem(t, shop(t), space.Seeded(3, true), careful.body, nil)
	if err != nil {
		t.Fatal(err)
	}
	unknown := map[invariants.ID]bool{invariants.NoPoisonedContextReads: true, invariants.ResumeFromCheckpoint: true,
		invariants.ReconciliationComplete: true}
	for _, r := range run.Results {
		if unknown[r.Invariant] != (r.Status == invariants.Unknown) {
			t.Errorf("%s: %s (%s)", r.Invariant, r.Status, r.Reason)
		}
	}
}

// A body that runs its executions one after the other gives the same
// ledger for the same case, every time — the same history too, as this
// team's backoff has no jitter.
func TestTheSameCaseGivesTheSameLedger(t *testing.T) {
	t.Parallel()
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	for seed := uint64(1); seed <= 20; seed++ {
		sc := space.Seeded(seed, true)
		var digests, histories []string
		for range 2 {
			run, err := harness.RunSystem(t, w, sc, naive.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			digests = append(digests, run.LedgerDigest())
			var b strings.Builder
			for _, e := range run.History.Events {
				b.WriteString(e.At.String() + " " + e.String() + "\n")
			}
			histories = append(histories, b.String())
		}
		if digests[0] != digests[1] {
			t.Fatalf("seed %d: two ledgers of one case differ", seed)
		}
		if histories[0] != histories[1] {
			t.Fatalf("seed %d: two histories of one case differ:\n%s\n---\n%s", seed, histories[0], histories[1])
		}
	}
}

// waitForever blocks on a channel nobody sends on.
func waitForever() { <-make(chan struct{}) }

// retryForever never gives up and ignores its context; it waits a second
// between calls, whatever they answer. (A loop that does not wait at all
// spins in no virtual time: only the bubble's wall-clock guard stops it.)
func retryForever(s *harness.System, x harness.Execution) {
	for {
		call(context.Background(), s, x.Steps[0], false)
		time.Sleep(time.Second)
	}
}

// A body that never ends — deadlocked, or retrying for ever — is a
// terminal-state violation with the goroutines that hung, not a test
// timeout, at no wall-clock cost.
func TestAHungBodyIsATerminalStateViolation(t *testing.T) {
	t.Parallel()
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	sc := space.Seeded(1, false)
	for _, tc := range []struct {
		name  string
		body  func(*harness.System)
		stack string
	}{
		{"deadlock", func(*harness.System) { waitForever() }, "harness_test.waitForever"},
		{"livelock", func(s *harness.System) { retryForever(s, s.Executions()[0]) }, "harness_test.retryForever"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, err := harness.RunSystem(t, w, sc, tc.body, &harness.SystemOpts{Limit: 10 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			res := run.Result(invariants.TerminalState)
			if res.Status != invariants.Violated || !strings.Contains(res.Violations[0].Message, "never ended") {
				t.Fatalf("terminal-state %s: %v", res.Status, res.Violations)
			}
			if run.Hang == nil || !strings.Contains(run.Hang.String(), tc.stack) || run.Virtual != 10*time.Minute {
				t.Fatalf("hang %v after %v", run.Hang, run.Virtual)
			}
			if msg := run.Failure(nil); !strings.Contains(msg, tc.stack) {
				t.Fatalf("the failure does not show the goroutines:\n%s", msg)
			}
		})
	}
}

// CheckSystem fails the test with the shrunk case and the go test line
// that replays it (in a child process, whose failure is the point).
func TestCheckSystemFailsWithTheCaseAndTheReplayLine(t *testing.T) {
	if os.Getenv("CHAOSRUN_CHECKSYSTEM_CHILD") == "1" {
		harness.CheckSystem(t, shop(t), naive.body, &harness.SystemOpts{Invariants: []invariants.ID{invariants.NoDuplicateSideEffects}})
		return
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCheckSystemFailsWithTheCaseAndTheReplayLine$", "-rapid.checks=200", "-rapid.seed=1",
		"-rapid.nofailfile")
	cmd.Env = append(os.Environ(), "CHAOSRUN_CHECKSYSTEM_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the naive code passed:\n%s", out)
	}
	for _, want := range []string{"the code violates no-duplicate-side-effects", "timeline", "ledger:",
		"Replay it with: go test -run '^TestCheckSystemFailsWithTheCaseAndTheReplayLine$' -rapid.seed="} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the failure lacks %q:\n%s", want, out)
		}
	}
}

// A crash abandons the run of an execution mid-flight — its context
// cancelled, its report unheard — and the restart hook resumes it: the
// naive restart charges again what the crashed run charged; the careful
// one, whose key is the operation's, does not.
func TestACrashAbandonsTheRunAndTheRestartResumesIt(t *testing.T) {
	t.Parallel()
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	checkout, err := space.Lookup("checkout")
	if err != nil {
		t.Fatal(err)
	}
	crashes, restarts, unheard, naiveDups := 0, 0, 0, 0
	for seed := uint64(1); seed <= uint64(cases(60)); seed++ {
		sc := space.Seeded(seed, false)
		sc.Executions = sc.Executions[:1]
		sc.Executions[0].Workflow = checkout
		sc.Faults.Rates = [len(sc.Faults.Rates)]uint16{}
		sc.Faults.Rates[faults.Crash] = 400
		for _, tm := range []team{naive, careful} {
			run, err := harness.RunSystem(t, w, sc, tm.body, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range run.History.Events {
				switch e.Kind {
				case engine.EvCrash:
					crashes++
				case engine.EvRecover:
					restarts++
				}
			}
			unheard += len(run.Notes)
			if tm.careful {
				if msg := run.Failure(nil); msg != "" {
					t.Fatalf("seed %d: the careful code failed:\n%s", seed, msg)
				}
			} else if run.Result(invariants.NoDuplicateSideEffects).Status == invariants.Violated {
				naiveDups++
			}
		}
	}
	if crashes == 0 || restarts != crashes || unheard == 0 || naiveDups == 0 {
		t.Fatalf("%d crashes, %d restarts, %d unheard reports, %d naive duplicates", crashes, restarts, unheard, naiveDups)
	}
}

// Goroutines of the code that outlive a body whose executions all ended
// fail the case as a leak, with their stacks; a panic of the body fails it
// with the panic, not the test binary.
func TestALeakAndAPanicFailTheCase(t *testing.T) {
	t.Parallel()
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	sc := space.Seeded(2, false)
	leaky := func(s *harness.System) {
		go waitForever()
		for _, x := range s.Executions() {
			s.Report(x, errors.New("not run today"))
		}
	}
	run, err := harness.RunSystem(t, w, sc, leaky, nil)
	if err != nil {
		t.Fatal(err)
	}
	if msg := run.Failure(nil); !run.Leak || !strings.Contains(msg, "outlived the body") || !strings.Contains(msg, "harness_test.waitForever") {
		t.Fatalf("leak %t:\n%s", run.Leak, msg)
	}
	run, err = harness.RunSystem(t, w, sc, func(*harness.System) { panic("the team's bug") }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if msg := run.Failure(nil); !strings.Contains(msg, "panicked: the team's bug") {
		t.Fatalf("the panic was not reported:\n%s", msg)
	}
}

// Code that waits its own backoff whatever the tool said is caught by
// retry-after-honored on the wire: its retry reaches a rate-limited tool
// before the Retry-After that tool answered. The careful code, which waits
// it out, holds it (TestCarefulCodeIsClean).
func TestIgnoringRetryAfterIsCaughtOnTheWire(t *testing.T) {
	t.Parallel()
	opts := &harness.SystemOpts{Invariants: []invariants.ID{invariants.RetryAfterHonored}}
	run, id, err := harness.SearchSystem(t, shop(t), naive.body, 1, cases(200), opts)
	if err != nil {
		t.Fatal(err)
	}
	if run == nil || id != invariants.RetryAfterHonored {
		t.Fatalf("code that ignores Retry-After held retry-after-honored")
	}
	if msg := run.Explain(id); !strings.Contains(msg, "too soon") || !strings.Contains(msg, "Retry-After") {
		t.Fatalf("the explanation does not say it:\n%s", msg)
	}
}
