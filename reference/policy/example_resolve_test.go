package policy_test

import (
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Resolve merges the system policy's decision with the tenant's contract and
// the backoff. The same refused connection to publish_report is retried for
// a tenant that declares nothing, and dead-lettered for one that declared
// "never retry automatically"; a rate limit's Retry-After raises the delay.
func ExampleResolve() {
	p := policy.Reference()
	publish := registry.Entry{Tool: "publish_report", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true}
	refused := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrRefused, SideEffects: true})
	limited := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.Status(429, 2*time.Second), SideEffects: true})
	timeout := outcome.Classify(outcome.Observation{Stage: outcome.StageInvoke, Err: outcome.ErrTimeout, SideEffects: true})

	inputs := []policy.Input{
		{Tenant: "acme", Entry: publish, Outcome: refused, Attempt: 1, Jitter: 0.5},
		{Tenant: "globex", Entry: publish, Contract: policy.Contract{NeverRetry: true}, Outcome: refused, Attempt: 1, Jitter: 0.5},
		{Tenant: "acme", Entry: publish, Outcome: limited, Attempt: 1, Jitter: 0.5},
		{Tenant: "acme", Entry: publish, Outcome: timeout, Attempt: 1, Jitter: 0.5},
	}
	for _, in := range inputs {
		fmt.Printf("%s, %s: %s\n", in.Tenant, in.Outcome.Cause, policy.Resolve(p, in))
	}
	// Output:
	// acme, connection refused: retry in 50ms (the tool did not act: nothing to duplicate)
	// globex, connection refused: dead-letter (tenant globex contract: never retry automatically)
	// acme, status 429 (retry after 2s): retry in 2s (the tool did not act: nothing to duplicate)
	// acme, timed out waiting for the response: dead-letter (the tool may have acted and can be neither verified nor undone)
}
