package netrig_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"

	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/internal/porthog"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// The roles this test binary plays besides running the tests.
const (
	// envChild makes it net mode's engine process.
	envChild = "CHAOSRUN_ENGINE_CHILD"
	// envHog makes it a process that takes free ports (internal/porthog)
	// until it is killed.
	envHog = "CHAOSRUN_PORT_HOG"
	// envParent makes it a harness that starts an engine process of net
	// mode (a sleeping one), prints the engine's pid, and waits to be killed.
	envParent = "CHAOSRUN_ENGINE_PARENT"
	// envLeaker makes it a harness that makes a rig on the Postgres its
	// value names, prints the rig's database, and waits to be killed.
	envLeaker = "CHAOSRUN_RIG_LEAKER"
)

// EnvChildProfile names a directory where each engine process writes its
// CPU profile, child-<pid>.pprof, when it ends on its own (one killed at a
// crash point writes none): go tool pprof reads them all at once.
const EnvChildProfile = "CHAOSRUN_CHILD_CPUPROFILE"

// childProfile starts the engine process's CPU profile, if asked for, and
// returns what stops it.
func childProfile() (stop func()) {
	dir := os.Getenv(EnvChildProfile)
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("child-%d.pprof", os.Getpid())))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}
}

// EnvHogAll, set to 1, runs every test of this package while another
// process takes free ports: the check that nothing in net mode depends on a
// port staying free (go test -count=50 with it is the long form).
const EnvHogAll = "CHAOS_PORT_HOG"

func TestMain(m *testing.M) {
	switch {
	case os.Getenv(envChild) == "1":
		stop := childProfile()
		err := netrig.ChildMain(context.Background(), os.Stdin, os.Stdout, builtin)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case os.Getenv(envHog) == "1":
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		porthog.Hog(ctx)
		os.Exit(0)
	case os.Getenv(envParent) == "1":
		parent()
	case os.Getenv(envLeaker) != "":
		leaker(os.Getenv(envLeaker))
	}
	if os.Getenv(EnvHogAll) == "1" {
		stop, err := startHog()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		code := m.Run()
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// builtin resolves a policy for the engine process: a built-in name, or a
// policy file (which a rig never asks for: it hands policy files over
// compiled).
func builtin(name string) (policy.Policy, error) {
	if strings.HasSuffix(name, ".yaml") {
		return policies.Load(name)
	}
	e, err := policies.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.Go(), nil
}

// childProcess starts this test binary as net mode's engine process.
func childProcess() *exec.Cmd { return self(envChild + "=1") }

func self(env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// startHog starts a process that takes free ports, and returns what stops it.
func startHog() (stop func(), err error) {
	cmd := self(envHog + "=1")
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the port hog: %w", err)
	}
	return func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}, nil
}

// hog runs a port-taking process for the rest of the test.
func hog(t *testing.T) {
	t.Helper()
	stop, err := startHog()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

// readLine reads the first line a helper process prints.
func readLine(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the helper process printed nothing: %v", err)
	}
	return strings.TrimSpace(line)
}
