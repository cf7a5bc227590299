package policies

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Entry is one policy of the catalog.
type Entry struct {
	Name string
	// Mistake is the mistake's number (0 for the reference) and Summary says it.
	Mistake int
	Summary string
	// CaughtBy lists the invariants the mistake must violate.
	CaughtBy []invariants.ID
	// Go returns the policy's Go form.
	Go func() policy.Policy
}

// Catalog returns the reference and the seven mistakes, in order.
func Catalog() []Entry {
	return []Entry{
		{"reference", 0, "none: the five layers", nil, policy.Reference},
		{"naive-backoff", 1, "backoff on every tool, idempotent or not", ids(invariants.NoDuplicateSideEffects), NaiveBackoff},
		{"status-code-llm-retry", 2, "LLM failures retried by HTTP status, mid-inference included", ids(invariants.NoDuplicateSideEffects), StatusCodeLLMRetry},
		{"shared-mutable-context", 3, "retries read the context the failed attempt half-wrote", ids(invariants.NoPoisonedContextReads), SharedMutableContext},
		{"global-retry-budget", 4, "one retry budget for every step", ids(invariants.NoDuplicateSideEffects), GlobalRetryBudget},
		{"restart-whole-workflow", 5, "retry at orchestrator level, from the start", ids(invariants.ResumeFromCheckpoint, invariants.NoOrchestratorRetry), RestartWholeWorkflow},
		{"static-system-policy", 6, "one system policy, tenant contracts ignored", ids(invariants.TenantContractHonored), StaticSystemPolicy},
		{"retry-only", 7, "no compensation, no reconciliation", ids(invariants.NoOrphanedSideEffects, invariants.ReconciliationComplete), RetryOnly},
	}
}

func ids(v ...invariants.ID) []invariants.ID { return v }

// Names lists the catalog's policy names.
func Names() []string {
	var ns []string
	for _, e := range Catalog() {
		ns = append(ns, e.Name)
	}
	return ns
}

// Lookup returns a catalog entry by name.
func Lookup(name string) (Entry, error) {
	i := slices.IndexFunc(Catalog(), func(e Entry) bool { return e.Name == name })
	if i < 0 {
		return Entry{}, fmt.Errorf("unknown policy %q (built in: %s)", name, strings.Join(Names(), ", "))
	}
	return Catalog()[i], nil
}

var (
	yes = policy.Bool(true)
	no  = policy.Bool(false)
)

// ReferenceRules is the reference decision tree written as rules: the form
// reference.yaml compiles to. It decides exactly as [policy.Reference].
func ReferenceRules() []policy.Rule {
	return []policy.Rule{
		{When: policy.Match{Layers: []outcome.Layer{outcome.Orchestrator}, Classes: []outcome.Class{outcome.Deterministic}}, Do: policy.Fail},
		{When: policy.Match{Classes: []outcome.Class{outcome.Deterministic}, SideEffects: no, InFlight: no}, Do: policy.Fail},
		{When: policy.Match{Classes: []outcome.Class{outcome.Deterministic}, Compensator: yes}, Do: policy.Compensate},
		{When: policy.Match{Classes: []outcome.Class{outcome.Deterministic}}, Do: policy.DeadLetter},
		{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, Do: policy.Retry, MaxRetries: 5, DedupToken: true},
		{When: policy.Match{SideEffects: no}, Do: policy.Retry, MaxRetries: 5, DedupToken: true},
		{When: policy.Match{SideEffects: no, InFlight: no}, Do: policy.Fail},
		{When: policy.Match{SideEffects: no, Compensator: yes}, Do: policy.Compensate},
		{When: policy.Match{SideEffects: no}, Do: policy.DeadLetter},
		{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePost}}, Do: policy.Reconcile},
		{When: policy.Match{LLMPhases: []outcome.LLMPhase{outcome.MidInference}, Lookup: yes}, Do: policy.Retry, MaxRetries: 3, DedupToken: true},
		{When: policy.Match{Lookup: yes}, Do: policy.Reconcile},
		{When: policy.Match{Idempotency: []registry.Class{registry.Idempotent}}, Do: policy.Retry, MaxRetries: 3, DedupToken: true},
		{When: policy.Match{Compensator: yes}, Do: policy.Compensate},
		{Do: policy.DeadLetter},
	}
}

func rules(name, description string, arch policy.Architecture, list ...policy.Rule) policy.Policy {
	return &policy.Rules{PolicyName: name, Description: description, Arch: arch, List: list}
}

var failInvalidPlan = policy.Rule{When: policy.Match{Layers: []outcome.Layer{outcome.Orchestrator}, Classes: []outcome.Class{outcome.Deterministic}}, Do: policy.Fail}

// NaiveBackoff is mistake #1: exponential backoff on every failure of every
// tool, whatever its idempotency, from a generic client that sends no
// idempotency keys.
func NaiveBackoff() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.Keys = policy.NoKeys
	return rules("naive-backoff", "Exponential backoff on every tool, idempotent or not, with no idempotency keys.", arch,
		failInvalidPlan, policy.Rule{Do: policy.Retry})
}

// StatusCodeLLMRetry is mistake #2: model calls retried by their HTTP status
// (timeouts and 5xx), mid-inference included, without a dedup token.
func StatusCodeLLMRetry() policy.Policy {
	llm := policy.Rule{When: policy.Match{LLMPhases: []outcome.LLMPhase{outcome.PreInference, outcome.MidInference, outcome.PostInference},
		Classes: []outcome.Class{outcome.Transient, outcome.Timeout, outcome.RateLimited}}, Do: policy.Retry, MaxRetries: 3}
	return rules("status-code-llm-retry", "The reference, except that model calls are retried by HTTP status, whatever the inference phase.",
		policy.DefaultArchitecture(), append([]policy.Rule{llm}, ReferenceRules()...)...)
}

// SharedMutableContext is mistake #3: one mutable context document, and
// the agent's reasoning steps (search, model, planner: the tools of tiers 0
// and 1) simply re-run after a failure, whatever they had already written
// into it.
func SharedMutableContext() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.Context = policy.Shared
	rerun := policy.Rule{When: policy.Match{Tiers: []int{0, 1}, Phases: []outcome.Phase{outcome.PhaseMid, outcome.PhasePost},
		Classes: []outcome.Class{outcome.Transient, outcome.RateLimited, outcome.Timeout}}, Do: policy.Retry, MaxRetries: 3, DedupToken: true}
	return rules("shared-mutable-context", "The reference on a shared mutable context, re-running the reasoning steps after a failure.",
		arch, append([]policy.Rule{rerun}, ReferenceRules()...)...)
}

// GlobalRetryBudget is mistake #4: one retry budget for the whole
// execution, the same for a vector search and a charge.
func GlobalRetryBudget() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.Budget = policy.Budget{Scope: policy.GlobalBudget, MaxRetries: 5}
	return rules("global-retry-budget", "Retry up to 5 times per execution, every step alike.", arch, failInvalidPlan, policy.Rule{Do: policy.Retry})
}

// RestartWholeWorkflow is mistake #5: any failure re-runs the workflow from
// its first step, planning included.
func RestartWholeWorkflow() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.Resume = policy.Restart
	arch.Budget = policy.Budget{Scope: policy.GlobalBudget, MaxRetries: 3}
	return rules("restart-whole-workflow", "Any failure restarts the workflow from the first step, re-planning included.", arch, policy.Rule{Do: policy.Retry})
}

// StaticSystemPolicy is mistake #6: one system policy for every tenant.
// publish_report is registered system-wide as an idempotent upsert (true for
// acme), so idempotent tools are retried; tenant contracts and tenant
// registrations are ignored.
func StaticSystemPolicy() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.TenantContracts = policy.Ignore
	retryIdempotent := policy.Rule{When: policy.Match{Idempotency: []registry.Class{registry.Idempotent},
		Classes: []outcome.Class{outcome.Transient, outcome.RateLimited, outcome.Timeout}}, Do: policy.Retry, MaxRetries: 3, DedupToken: true}
	return rules("static-system-policy", "One system policy for every tenant: idempotent tools (publish_report is registered as an upsert) are retried, tenant contracts ignored.",
		arch, append([]policy.Rule{retryIdempotent}, ReferenceRules()...)...)
}

// RetryOnly is mistake #7: retry is the only recovery. The team retries
// what is safe to retry and, where it is not, the execution simply fails:
// no compensation, no dead letter, no reconciliation — whatever the failed
// step did stays done, unaudited.
func RetryOnly() policy.Policy {
	arch := policy.DefaultArchitecture()
	arch.DisableCompensation, arch.DisableReconciliation = true, true
	return rules("retry-only", "Retry what is safe to retry; otherwise fail: no compensation, no dead letters, no reconciliation.", arch,
		failInvalidPlan,
		policy.Rule{When: policy.Match{Classes: []outcome.Class{outcome.Deterministic}}, Do: policy.Fail},
		policy.Rule{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePre}}, Do: policy.Retry, MaxRetries: 5, DedupToken: true},
		policy.Rule{When: policy.Match{SideEffects: no}, Do: policy.Retry, MaxRetries: 5, DedupToken: true},
		policy.Rule{When: policy.Match{LLMPhases: []outcome.LLMPhase{outcome.MidInference}, Lookup: yes}, Do: policy.Retry, MaxRetries: 3, DedupToken: true},
		policy.Rule{When: policy.Match{Idempotency: []registry.Class{registry.Idempotent}}, Do: policy.Retry, MaxRetries: 3, DedupToken: true})
}
