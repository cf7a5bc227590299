package harness

import (
	"errors"

	"github.com/chaosrun/chaosrun/scenarios"
)

func runNet(space *scenarios.Space, sc scenarios.Scenario, body func(*System), o SystemOpts) (*SystemRun, error) {
	return nil, errors.New("net mode: not yet")
}
