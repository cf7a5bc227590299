package pgstore

import (
	"fmt"

	"github.com/chaosrun/chaosrun/reference/store"
)

// state is what a write must know about its execution before it writes.
type state struct {
	status store.Status
	run    int
}

// Row locks on the execution order the writes to it. Begin and Commit only
// read it (FOR SHARE: they run side by side, and wait for a Finish or a
// Restart); the writes that change it lock it by updating it. An execution
// that is not there, or is another tenant's, is pgx.ErrNoRows:
// store.ErrNotFound.

// running refuses a write to a finished execution.
func (st state) running() error {
	if st.status.Terminal() {
		return fmt.Errorf("execution is %s: %w", st.status, store.ErrTerminal)
	}
	return nil
}

// current refuses a write for a run that is not the execution's current run.
func (st state) current(run int) error {
	if run != st.run {
		return fmt.Errorf("run %d, current run %d: %w", run, st.run, store.ErrStaleRun)
	}
	return nil
}

// writable is running and current together, what Begin and Commit need.
func (st state) writable(run int) error {
	if err := st.running(); err != nil {
		return err
	}
	return st.current(run)
}

// restartable refuses a restart of a finished execution, or as any run but
// the one after the current run.
func (st state) restartable(run int) error {
	if err := st.running(); err != nil {
		return err
	}
	if run != st.run+1 {
		return fmt.Errorf("run %d cannot follow run %d: %w", run, st.run, store.ErrStaleRun)
	}
	return nil
}
