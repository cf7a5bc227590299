package policies

import (
	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/reference/policy"
)

// The spellings of the architecture's choices in a policy file, in the order
// of the policy package's constants.
var (
	contextNames  = []string{"versioned", "shared"}
	resumeNames   = []string{"checkpoint", "restart"}
	contractNames = []string{"honor", "ignore"}
	keyNames      = []string{"per-operation", "per-attempt", "none"}
	scopeNames    = []string{"step", "global"}
	jitterNames   = []string{"full", "equal", "none"}
)

var (
	parseContext  = oneOf("context mode", contextNames, []policy.ContextMode{policy.Versioned, policy.Shared})
	parseResume   = oneOf("resume mode", resumeNames, []policy.ResumeMode{policy.Checkpoint, policy.Restart})
	parseContract = oneOf("tenant contract mode", contractNames, []policy.ContractMode{policy.Honor, policy.Ignore})
	parseKeys     = oneOf("idempotency key mode", keyNames, []policy.KeyMode{policy.PerOperation, policy.PerAttempt, policy.NoKeys})
	parseScope    = oneOf("budget scope", scopeNames, []policy.BudgetScope{policy.StepBudget, policy.GlobalBudget})
	parseJitter   = oneOf("jitter", jitterNames, []policy.Jitter{policy.FullJitter, policy.EqualJitter, policy.NoJitter})
)

// set adapts a reader of one value to a field that stores it.
func set[T any](dst *T, read func(*yaml.Node, string) (T, error)) field {
	return func(v *yaml.Node, path string) (err error) {
		*dst, err = read(v, path)
		return err
	}
}

// readArchitecture reads the architecture mapping; keys left out keep
// [policy.DefaultArchitecture]'s values.
func readArchitecture(n *yaml.Node, path string, a *policy.Architecture) error {
	compensation, reconciliation := a.Compensation(), a.Reconciliation()
	_, err := schema([]string{"context", "resume", "compensation", "reconciliation", "tenant_contracts", "idempotency_keys"}, map[string]field{
		"context":          set(&a.Context, enum(parseContext)),
		"resume":           set(&a.Resume, enum(parseResume)),
		"compensation":     set(&compensation, boolean),
		"reconciliation":   set(&reconciliation, boolean),
		"tenant_contracts": set(&a.TenantContracts, enum(parseContract)),
		"idempotency_keys": set(&a.Keys, enum(parseKeys)),
	}).read(n, path)
	a.DisableCompensation, a.DisableReconciliation = !compensation, !reconciliation
	return err
}

// readBudget reads the budget mapping: scope and the default max_retries.
func readBudget(n *yaml.Node, path string, b *policy.Budget) error {
	_, err := schema([]string{"scope", "max_retries"}, map[string]field{
		"scope": set(&b.Scope, enum(parseScope)),
		"max_retries": set(&b.MaxRetries, func(v *yaml.Node, p string) (int, error) {
			return integer(v, p, 0, policy.MaxRetriesLimit)
		}),
	}).read(n, path)
	return err
}

// readBackoff reads the backoff mapping. max must be at least initial: an
// uncapped exponential backoff overflows after a few dozen retries.
func readBackoff(n *yaml.Node, path string, b *policy.Backoff) error {
	lines, err := schema([]string{"initial", "multiplier", "max", "jitter"}, map[string]field{
		"initial": set(&b.Initial, duration),
		"multiplier": set(&b.Multiplier, func(v *yaml.Node, p string) (float64, error) {
			m, err := number(v, p)
			if err == nil && m < 1 {
				err = errAt(v, p, "multiplier %s is below 1: the delays would shrink", v.Value)
			}
			return m, err
		}),
		"max":    set(&b.Max, duration),
		"jitter": set(&b.Jitter, enum(parseJitter)),
	}).read(n, path)
	switch {
	case err != nil || b.Max >= b.Initial:
	case lines["max"] > 0:
		return &Error{Line: lines["max"], Key: join(path, "max"), Msg: "max " + b.Max.String() + " is below initial " + b.Initial.String()}
	default:
		return &Error{Line: lines["initial"], Key: join(path, "initial"), Msg: "initial " + b.Initial.String() + " is above the default max " + b.Max.String() + "; set max too"}
	}
	return err
}
