package netrig_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/chaosrun/chaosrun/harness/netrig"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// envChild makes this test binary the engine process of net mode.
const envChild = "CHAOSRUN_ENGINE_CHILD"

// TestMain serves as the engine process when a rig starts one.
func TestMain(m *testing.M) {
	if os.Getenv(envChild) == "1" {
		err := netrig.ChildMain(context.Background(), os.Stdin, os.Stdout, builtin)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func builtin(name string) (policy.Policy, error) {
	e, err := policies.Lookup(name)
	if err != nil {
		return nil, err
	}
	return e.Go(), nil
}

// childProcess starts this test binary as net mode's engine process.
func childProcess() *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=1")
	return cmd
}
