package netrig

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill an engine process with SIGKILL when the
// process that started it ends, however it ends (a SIGKILL included): an
// engine must not outlive its harness. The signal is tied to the thread
// that starts the process; Go's runtime keeps its threads, except those a
// goroutine locked and left, which the harness never does.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
