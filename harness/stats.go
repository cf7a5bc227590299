package harness

import (
	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Executions counts what became of the work: a policy that dead-letters
// everything is safe and useless, and this is where it shows.
type Executions struct {
	Total        int
	Completed    int
	Compensated  int
	DeadLettered int
	Failed       int
}

// CompletionRate is completed / total (0 when nothing ran).
func (x Executions) CompletionRate() float64 {
	if x.Total == 0 {
		return 0
	}
	return float64(x.Completed) / float64(x.Total)
}

// Add sums two counts.
func (x Executions) Add(y Executions) Executions {
	return Executions{x.Total + y.Total, x.Completed + y.Completed, x.Compensated + y.Compensated, x.DeadLettered + y.DeadLettered, x.Failed + y.Failed}
}

// Cost is what a policy's recoveries cost, from the ledger and the history.
// A duplicated effect that cost money is counted in one of two sums: a
// charge by a tool that takes a customer's money ([fakes.Facts.Money]) in
// DuplicateChargesCents, any other paid call (an enrichment, a paid
// webhook) in DuplicateCostCents.
type Cost struct {
	ToolCalls             int
	Retries               int
	DuplicateEffects      int
	DuplicateChargesCents int
	DuplicateCostCents    int
	LLMTokensWasted       int
	DeadLettered          int
	Compensations         int
	ReconciliationEvents  int
}

// Add sums two costs.
func (c Cost) Add(d Cost) Cost {
	return Cost{c.ToolCalls + d.ToolCalls, c.Retries + d.Retries, c.DuplicateEffects + d.DuplicateEffects,
		c.DuplicateChargesCents + d.DuplicateChargesCents, c.DuplicateCostCents + d.DuplicateCostCents, c.LLMTokensWasted + d.LLMTokensWasted,
		c.DeadLettered + d.DeadLettered, c.Compensations + d.Compensations, c.ReconciliationEvents + d.ReconciliationEvents}
}

// Executions counts how the run's executions ended (as [Run.Statuses]
// has them: each execution id's last end). An execution that never ended
// counts in the total only.
func (r *Run) Executions() Executions {
	x := Executions{Total: len(r.Scenario.Executions)}
	evs := r.History.Events
	for i := range evs {
		if evs[i].Kind != engine.EvFinish || endsAgain(evs[i+1:], evs[i].Exec) {
			continue
		}
		switch evs[i].Status {
		case store.Completed:
			x.Completed++
		case store.Compensated:
			x.Compensated++
		case store.DeadLettered:
			x.DeadLettered++
		case store.Failed:
			x.Failed++
		}
	}
	return x
}

// endsAgain reports whether the events hold an end of execution id.
func endsAgain(evs []engine.Event, id string) bool {
	for i := range evs {
		if evs[i].Kind == engine.EvFinish && evs[i].Exec == id {
			return true
		}
	}
	return false
}

// Cost computes the run's cost.
func (r *Run) Cost() Cost {
	var c Cost
	for i := range r.History.Events {
		switch e := &r.History.Events[i]; e.Kind {
		case engine.EvInvoke:
			c.ToolCalls++
		case engine.EvDecision:
			if e.Decision != nil && e.Decision.Action == policy.Retry {
				c.Retries++
			}
		case engine.EvDeadLetter:
			c.DeadLettered++
		case engine.EvRecon:
			c.ReconciliationEvents++
		}
	}
	an := r.Analysis()
	facts := r.Ledger.Facts()
	for i := range r.Ledger.Effects() {
		e := &r.Ledger.Effects()[i]
		if an.Duplicate(e.Seq) {
			c.DuplicateEffects++
			if facts.Money(e.Op.Tenant, e.Tool) {
				c.DuplicateChargesCents += e.CostCents
			} else {
				c.DuplicateCostCents += e.CostCents
			}
		}
		if e.Kind == fakes.Compensated {
			c.Compensations++
		}
	}
	c.LLMTokensWasted = an.TokensWasted()
	return c
}
