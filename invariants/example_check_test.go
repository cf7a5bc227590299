package invariants_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/store"
)

// CheckAll answers every invariant for a recorded history and its ledger:
// here an email sent twice by a retry.
func ExampleCheckAll() {
	h := &history{}
	x := h.start("acme", "e1", "send_email")
	x.attempt(0, 1, "")
	x.effect(fakes.Applied, 0, 1, "mail-1")
	x.fail(0, 1, midTimeout)
	x.ok(0, 2, "", fakes.Applied)
	x.finish(store.Completed, "")
	for _, r := range invariants.CheckAll(&invariants.History{Events: h.events}, fakes.NewLedger(h.effects)) {
		fmt.Println(r.Invariant, r.Status)
	}
	// Output:
	// no-duplicate-side-effects violated
	// no-lost-effects violated
	// no-poisoned-context-reads ok
	// tenant-isolation ok
	// tenant-contract-honored ok
	// resume-from-checkpoint ok
	// no-orchestrator-retry ok
	// no-orphaned-side-effects ok
	// reconciliation-complete ok
	// terminal-state ok
	// retry-after-honored ok
}
