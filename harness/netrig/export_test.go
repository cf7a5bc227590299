package netrig

import "os/exec"

// DieWithParent is how a rig starts its engine processes, for a test of it.
func DieWithParent(cmd *exec.Cmd) { dieWithParent(cmd) }
