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
//
// # Policy files
//
// A policy file is YAML: a name, the architecture the policy runs on, and
// decision rules read top to bottom, the first match deciding. README.md in
// this directory documents every key; the catalog's files are examples, each
// commented so that a reader learns its mistake from it.
//
//	name: ours
//	architecture: {tenant_contracts: honor, idempotency_keys: per-operation}
//	budget: {scope: step, max_retries: 5}
//	rules:
//	  - when: {layer: orchestrator, class: deterministic}
//	    do: fail
//	  - when: {phase: pre}
//	    do: retry
//	  - do: dead-letter
//
// [Load] and [Parse] compile a file to a [policy.Rules], which is a
// [policy.Policy]; [Builtin] does it for the catalog's files, embedded in the
// binary, by name. The reader is strict, because a policy that runs with a
// typo in it tests something other than what its team meant: an unknown key
// at any level, a value of the wrong type, a bad value, a duplicate key and a
// rule that can never apply (max_retries on a rule that does not retry,
// compensate with compensation off, reconcile without keys, an llm_phase in
// a phase it never happens in, ...) are refused with an [*Error] that names
// the file, the line and the key. Nothing runs.
//
// The reader walks go.yaml.in/yaml/v3's node tree rather than decoding into
// structs: nodes keep their lines, and walking them is what lets it refuse
// what a struct decoder would silently accept (a duplicate key, a quoted
// "true", a 5 where a duration belongs).
//
// [Format] writes any [policy.Rules] back as a file, so a policy built in Go
// can be saved and edited.
//
// # Lint
//
// [Lint] checks a policy against the fake world's registry and tenants. It
// does not read the rules' text: it evaluates them, with their own matching,
// on every kind of failure the registered tools can have, and asks
// [policy.Resolve] what each decision becomes under the tenants' contracts.
// So it reports what a rule can really do: retry a tier-3 tool after it may
// have acted, compensate a tool that has no compensator, never be reached
// behind a catch-all, retry a model call cut mid-inference without its dedup
// token, break a tenant's contract, and so on (see README.md for the list).
// The reference draws no finding at all; each mistake draws findings that
// name the invariants it breaks.
package policies
