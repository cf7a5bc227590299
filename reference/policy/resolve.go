package policy

import "fmt"

// Resolve is Layer 3's resolution: the policy's decision, then the tenant's
// contract (when the architecture honours contracts), then the budget and the
// backoff. The engine calls it before every retry.
func Resolve(p Policy, in Input) Decision {
	arch := p.Architecture()
	if arch.Without.Has(RetryBudget) {
		in.Retries = 0 // the count never advances
	}
	d := p.Decide(in)
	if d.Action == 0 {
		d = Decide(Fail, "the policy returned no action")
	}
	if arch.TenantContracts == Honor {
		d = applyContract(d, in)
	}
	switch d.Action {
	case Retry:
		d = applyBudget(d, in, arch)
	case Compensate:
		if !arch.Compensation() {
			d = Decide(DeadLetter, "compensation is disabled: "+d.Reason)
		}
	}
	return d
}

// applyContract enforces the tenant's declared contract on a retry.
func applyContract(d Decision, in Input) Decision {
	c := in.Contract
	if d.Action != Retry || c.IsZero() {
		return d
	}
	effects := in.MayHaveActed() // an earlier request still on its way counts
	canLookUp := in.Entry.Lookup && in.HasKey
	switch {
	case c.KeyRequired && !in.HasKey:
		return Decide(DeadLetter, fmt.Sprintf("tenant %s requires an idempotency key and the operation has none", in.Tenant))
	case (c.NeverRetry || c.AtMostOnce) && effects && canLookUp:
		return Decide(Reconcile, fmt.Sprintf("tenant %s contract (%s): look the operation up instead of retrying", in.Tenant, c))
	case c.NeverRetry:
		return Decide(DeadLetter, fmt.Sprintf("tenant %s contract: never retry automatically", in.Tenant))
	case c.AtMostOnce && effects:
		return Decide(DeadLetter, fmt.Sprintf("tenant %s contract: at most once, and the operation may have happened", in.Tenant))
	}
	return d
}

// applyBudget turns a retry into a retry after a delay, or refuses it when
// the budget is spent or a required key is missing.
func applyBudget(d Decision, in Input, arch Architecture) Decision {
	if d.RequireKey && !in.HasKey {
		return escalate(in, "retry requires an idempotency key and the attempt carries none")
	}
	if in.Retries >= d.MaxRetries {
		return escalate(in, fmt.Sprintf("retry budget spent (%d of %d)", in.Retries, d.MaxRetries))
	}
	d.Delay = arch.Backoff.Delay(in.Retries+1, in.Jitter)
	if ra := in.Outcome.RetryAfter; ra > d.Delay && !arch.Backoff.IgnoreRetryAfter && !arch.Without.Has(RetryAfter) {
		d.Delay = ra
	}
	if b := arch.Budget.MaxElapsed; b > 0 && in.Elapsed+d.Delay > b {
		return escalate(in, fmt.Sprintf("elapsed-time budget spent (%s of %s)", in.Elapsed, b))
	}
	return d
}

// escalate is the safety net for a retry that cannot be granted: human review
// where the tool may have acted, failure where it provably did not.
func escalate(in Input, reason string) Decision {
	if in.MayHaveActed() {
		return Decide(DeadLetter, reason)
	}
	return Decide(Fail, reason)
}
