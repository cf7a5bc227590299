package policies

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
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
	parseContext    = yamlstrict.OneOf("context mode", contextNames, []policy.ContextMode{policy.Versioned, policy.Shared})
	parseResume     = yamlstrict.OneOf("resume mode", resumeNames, []policy.ResumeMode{policy.Checkpoint, policy.Restart})
	parseContract   = yamlstrict.OneOf("tenant contract mode", contractNames, []policy.ContractMode{policy.Honor, policy.Ignore})
	parseKeys       = yamlstrict.OneOf("idempotency key mode", keyNames, []policy.KeyMode{policy.PerOperation, policy.PerAttempt, policy.NoKeys})
	parseScope      = yamlstrict.OneOf("budget scope", scopeNames, []policy.BudgetScope{policy.StepBudget, policy.GlobalBudget})
	parseJitter     = yamlstrict.OneOf("jitter", jitterNames, []policy.Jitter{policy.FullJitter, policy.EqualJitter, policy.NoJitter})
	parseRetryAfter = yamlstrict.OneOf("retry_after mode", retryAfterNames, []bool{false, true})
)

// readArchitecture reads the architecture mapping; keys left out keep
// [policy.DefaultArchitecture]'s values.
func readArchitecture(w *world, n *yaml.Node, path string, a *policy.Architecture) error {
	compensation, reconciliation := a.Compensation(), a.Reconciliation()
	_, err := strict.Mapping(n, path, []string{"context", "resume", "compensation", "reconciliation", "tenant_contracts", "idempotency_keys"}, map[string]yamlstrict.Field{
		"context":          yamlstrict.Set(&a.Context, yamlstrict.Enum(parseContext)),
		"resume":           yamlstrict.Set(&a.Resume, yamlstrict.Enum(parseResume)),
		"compensation":     yamlstrict.Set(&compensation, yamlstrict.Boolean),
		"reconciliation":   yamlstrict.Set(&reconciliation, yamlstrict.Boolean),
		"tenant_contracts": yamlstrict.Set(&a.TenantContracts, yamlstrict.Enum(parseContract)),
		"idempotency_keys": func(v *yaml.Node, p string) error { return readKeys(w, v, p, a) },
	})
	a.DisableCompensation, a.DisableReconciliation = !compensation, !reconciliation
	return err
}

// readKeys reads idempotency_keys: one mode for every tool, or a mapping
// of modes by tool with a default for the tools it does not name.
func readKeys(w *world, n *yaml.Node, path string, a *policy.Architecture) error {
	if n.Kind != yaml.MappingNode {
		k, err := yamlstrict.Enum(parseKeys)(n, path)
		a.Keys = k
		return err
	}
	fields := map[string]yamlstrict.Field{"default": yamlstrict.Set(&a.Keys, yamlstrict.Enum(parseKeys))}
	names := append([]string{"default"}, w.tools...)
	for _, tool := range w.tools {
		fields[tool] = func(v *yaml.Node, p string) error {
			k, err := yamlstrict.Enum(parseKeys)(v, p)
			if err == nil {
				if a.ToolKeys == nil {
					a.ToolKeys = map[string]policy.KeyMode{}
				}
				a.ToolKeys[tool] = k
			}
			return err
		}
	}
	_, err := strict.Mapping(n, path, names, fields)
	return err
}

// readBudget reads the budget mapping: scope, the default max_retries and
// the elapsed-time budget.
func readBudget(n *yaml.Node, path string, b *policy.Budget) error {
	_, err := strict.Mapping(n, path, []string{"scope", "max_retries", "max_elapsed"}, map[string]yamlstrict.Field{
		"scope": yamlstrict.Set(&b.Scope, yamlstrict.Enum(parseScope)),
		"max_retries": yamlstrict.Set(&b.MaxRetries, func(v *yaml.Node, p string) (int, error) {
			return retries(v, p, 0, policy.MaxRetriesLimit)
		}),
		"max_elapsed": yamlstrict.Set(&b.MaxElapsed, func(v *yaml.Node, p string) (time.Duration, error) {
			d, err := yamlstrict.Duration(v, p)
			if err == nil && d == 0 {
				err = yamlstrict.At(v, p, "an elapsed-time budget of 0 allows no retry; leave max_elapsed out for none")
			}
			return d, err
		}),
	})
	return err
}

// readBackoff reads the backoff mapping. max must be at least initial: an
// uncapped exponential backoff overflows after a few dozen retries.
func readBackoff(n *yaml.Node, path string, b *policy.Backoff) error {
	lines, err := strict.Mapping(n, path, []string{"initial", "multiplier", "max", "jitter", "retry_after"}, map[string]yamlstrict.Field{
		"initial": yamlstrict.Set(&b.Initial, yamlstrict.Duration),
		"multiplier": yamlstrict.Set(&b.Multiplier, func(v *yaml.Node, p string) (float64, error) {
			m, err := yamlstrict.Number(v, p)
			if err == nil && m < 1 {
				err = yamlstrict.At(v, p, "multiplier %s is below 1: the delays would shrink", v.Value)
			}
			return m, err
		}),
		"max":         yamlstrict.Set(&b.Max, yamlstrict.Duration),
		"jitter":      func(v *yaml.Node, p string) error { return readJitter(v, p, b) },
		"retry_after": yamlstrict.Set(&b.IgnoreRetryAfter, yamlstrict.Enum(parseRetryAfter)),
	})
	switch {
	case err != nil || b.Max >= b.Initial:
	case lines["max"] > 0:
		return &yamlstrict.Error{Line: lines["max"], Key: yamlstrict.Join(path, "max"), Msg: "max " + b.Max.String() + " is below initial " + b.Initial.String()}
	default:
		return &yamlstrict.Error{Line: lines["initial"], Key: yamlstrict.Join(path, "initial"), Msg: "initial " + b.Initial.String() + " is above the default max " + b.Max.String() + "; set max too"}
	}
	return err
}

// readJitter reads a jitter mode, or a randomization factor as
// {factor: F}: each wait is uniform in [d(1-F), d(1+F)].
func readJitter(n *yaml.Node, path string, b *policy.Backoff) error {
	if n.Kind != yaml.MappingNode {
		j, err := yamlstrict.Enum(parseJitter)(n, path)
		b.Jitter = j
		return err
	}
	lines, err := strict.Mapping(n, path, []string{"factor"}, map[string]yamlstrict.Field{
		"factor": yamlstrict.Set(&b.Factor, func(v *yaml.Node, p string) (float64, error) {
			f, err := yamlstrict.Number(v, p)
			if err == nil && (f < 0 || f > 1) {
				err = yamlstrict.At(v, p, "factor %s is not within 0..1", v.Value)
			}
			return f, err
		}),
	})
	if err == nil && lines["factor"] == 0 {
		return yamlstrict.At(n, path, "a jitter mapping takes factor (e.g. {factor: 0.5}); or write full, equal or none")
	}
	b.Jitter = policy.FactorJitter
	return err
}
