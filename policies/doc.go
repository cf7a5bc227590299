// Package policies is chaosrun's built-in catalog: the reference policy and
// the seven classic mistakes, each as Go and as a policy file in this
// directory (reference.yaml, naive-backoff.yaml, ...). The two forms of each
// behave exactly alike; a test holds them to it.
//
// Each mistake is the reference with one thing changed — the thing the
// mistake is about — so that the invariant it breaks is the one named for it:
//
//	naive-backoff           #1 backoff on every tool, idempotent or not      no-duplicate-side-effects
//	status-code-llm-retry   #2 LLM failures retried by status, mid-inference  no-duplicate-side-effects
//	shared-mutable-context  #3 retries read what the failed attempt wrote     no-poisoned-context-reads
//	global-retry-budget     #4 one budget for every step                      no-duplicate-side-effects
//	restart-whole-workflow  #5 retry at orchestrator level, from the start    resume-from-checkpoint, no-orchestrator-retry
//	static-system-policy    #6 one system policy, tenant contracts ignored    tenant-contract-honored
//	retry-only              #7 no compensation, no reconciliation             no-orphaned-side-effects, reconciliation-complete
package policies
