package policies

import (
	"time"

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
	// retryAfterNames spell Backoff.IgnoreRetryAfter false and true.
	retryAfterNames = []string{"honor", "ignore"}
)

var (
	parseContext    = oneOf("context mode", contextNames, []policy.ContextMode{policy.Versioned, policy.Shared})
	parseResume     = oneOf("resume mode", resumeNames, []policy.ResumeMode{policy.Checkpoint, policy.Restart})
	parseContract   = oneOf("tenant contract mode", contractNames, []policy.ContractMode{policy.Honor, policy.Ignore})
	parseKeys       = oneOf("idempotency key mode", keyNames, []policy.KeyMode{policy.PerOperation, policy.PerAttempt, policy.NoKeys})
	parseScope      = oneOf("budget scope", scopeNames, []policy.BudgetScope{policy.StepBudget, policy.GlobalBudget})
	parseJitter     = oneOf("jitter", jitterNames, []policy.Jitter{policy.FullJitter, policy.EqualJitter, policy.NoJitter})
	parseRetryAfter = oneOf("retry_after mode", retryAfterNames, []bool{false, true})
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
func readArchitecture(w *world, n *yaml.Node, path string, a *policy.Architecture) error {
	compensation, reconciliation := a.Compensation(), a.Reconciliation()
	_, err := schema([]string{"context", "resume", "compensation", "reconciliation", "tenant_contracts", "idempotency_keys"}, map[string]field{
		"context":          set(&a.Context, enum(parseContext)),
		"resume":           set(&a.Resume, enum(parseResume)),
		"compensation":     set(&compensation, boolean),
		"reconciliation":   set(&reconciliation, boolean),
		"tenant_contracts": set(&a.TenantContracts, enum(parseContract)),
		"idempotency_keys": func(v *yaml.Node, p string) error { return readKeys(w, v, p, a) },
	}).read(n, path)
	a.DisableCompensation, a.DisableReconciliation = !compensation, !reconciliation
	return err
}

// readKeys reads idempotency_keys: one mode for every tool, or a mapping
// of modes by tool with a default for the tools it does not name.
func readKeys(w *world, n *yaml.Node, path string, a *policy.Architecture) error {
	if n.Kind != yaml.MappingNode {
		k, err := enum(parseKeys)(n, path)
		a.Keys = k
		return err
	}
	fields := map[string]field{"default": set(&a.Keys, enum(parseKeys))}
	names := append([]string{"default"}, w.tools...)
	for _, tool := range w.tools {
		fields[tool] = func(v *yaml.Node, p string) error {
			k, err := enum(parseKeys)(v, p)
			if err == nil {
				if a.ToolKeys == nil {
					a.ToolKeys = map[string]policy.KeyMode{}
				}
				a.ToolKeys[tool] = k
			}
			return err
		}
	}
	_, err := schema(names, fields).read(n, path)
	return err
}

// readBudget reads the budget mapping: scope, the default max_retries and
// the elapsed-time budget.
func readBudget(n *yaml.Node, path string, b *policy.Budget) error {
	_, err := schema([]string{"scope", "max_retries", "max_elapsed"}, map[string]field{
		"scope": set(&b.Scope, enum(parseScope)),
		"max_retries": set(&b.MaxRetries, func(v *yaml.Node, p string) (int, error) {
			return retries(v, p, 0, policy.MaxRetriesLimit)
		}),
		"max_elapsed": set(&b.MaxElapsed, func(v *yaml.Node, p string) (time.Duration, error) {
			d, err := duration(v, p)
			if err == nil && d == 0 {
				err = errAt(v, p, "an elapsed-time budget of 0 allows no retry; leave max_elapsed out for none")
			}
			return d, err
		}),
	}).read(n, path)
	return err
}

// readBackoff reads the backoff mapping. max must be at least initial: an
// uncapped exponential backoff overflows after a few dozen retries.
func readBackoff(n *yaml.Node, path string, b *policy.Backoff) error {
	lines, err := schema([]string{"initial", "multiplier", "max", "jitter", "retry_after"}, map[string]field{
		"initial": set(&b.Initial, duration),
		"multiplier": set(&b.Multiplier, func(v *yaml.Node, p string) (float64, error) {
			m, err := number(v, p)
			if err == nil && m < 1 {
				err = errAt(v, p, "multiplier %s is below 1: the delays would shrink", v.Value)
			}
			return m, err
		}),
		"max":         set(&b.Max, duration),
		"jitter":      func(v *yaml.Node, p string) error { return readJitter(v, p, b) },
		"retry_after": set(&b.IgnoreRetryAfter, enum(parseRetryAfter)),
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

// readJitter reads a jitter mode, or a randomization factor as
// {factor: F}: each wait is uniform in [d(1-F), d(1+F)].
func readJitter(n *yaml.Node, path string, b *policy.Backoff) error {
	if n.Kind != yaml.MappingNode {
		j, err := enum(parseJitter)(n, path)
		b.Jitter = j
		return err
	}
	lines, err := schema([]string{"factor"}, map[string]field{
		"factor": set(&b.Factor, func(v *yaml.Node, p string) (float64, error) {
			f, err := number(v, p)
			if err == nil && (f < 0 || f > 1) {
				err = errAt(v, p, "factor %s is not within 0..1", v.Value)
			}
			return f, err
		}),
	}).read(n, path)
	if err == nil && lines["factor"] == 0 {
		return errAt(n, path, "a jitter mapping takes factor (e.g. {factor: 0.5}); or write full, equal or none")
	}
	b.Jitter = policy.FactorJitter
	return err
}
