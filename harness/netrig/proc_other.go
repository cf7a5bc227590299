//go:build !linux

package netrig

import "os/exec"

// dieWithParent does nothing where there is no parent-death signal: an
// engine process outlives a harness killed with SIGKILL there, until its
// own run ends.
func dieWithParent(*exec.Cmd) {}
