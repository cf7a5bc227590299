package policies

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// ruleSource is a rule as read, with what the checks that need the whole
// file (the architecture) must know of where it came from.
type ruleSource struct {
	rule  policy.Rule
	path  string
	lines map[string]int // rule key -> line
	when  map[string]int // when-key -> line
}

// maxAttempt bounds a rule's attempt: no step gets more attempts than the
// largest retry limit allows.
const maxAttempt = policy.MaxRetriesLimit + 1

func readRules(w *world, n *yaml.Node, path string) ([]ruleSource, error) {
	if err := yamlstrict.MustBe(n, path, yaml.SequenceNode); err != nil {
		return nil, err
	}
	if len(n.Content) > MaxRules {
		e := yamlstrict.At(n, path, "%d rules: a policy file holds at most %d", len(n.Content), MaxRules)
		e.Err = ErrTooManyRules
		return nil, e
	}
	rules := make([]ruleSource, 0, len(n.Content))
	err := strict.List(n, path, func(item *yaml.Node, p string) error {
		rs, err := readRule(w, item, p)
		rules = append(rules, rs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return rules, nil
}

// retryOnly are the rule keys that only a retry rule takes.
var retryOnly = []string{"max_retries", "dedup_token", "require_key", "require_idempotency_key"}

func readRule(w *world, n *yaml.Node, path string) (ruleSource, error) {
	rs := ruleSource{path: path, when: map[string]int{}}
	r := &rs.rule
	r.Line = n.Line
	lines, err := strict.Mapping(n, path, []string{"when", "do", "max_retries", "dedup_token", "require_key", "require_idempotency_key"}, map[string]yamlstrict.Field{
		"when": func(v *yaml.Node, p string) (err error) {
			rs.when, err = readWhen(w, v, p, &r.When)
			return err
		},
		"do": yamlstrict.Set(&r.Do, yamlstrict.Enum(policy.ParseAction)),
		"max_retries": yamlstrict.Set(&r.MaxRetries, func(v *yaml.Node, p string) (int, error) {
			return retries(v, p, 1, policy.MaxRetriesLimit)
		}),
		"dedup_token":             yamlstrict.Set(&r.DedupToken, yamlstrict.Boolean),
		"require_key":             yamlstrict.Set(&r.RequireKey, yamlstrict.Boolean),
		"require_idempotency_key": yamlstrict.Set(&r.RequireKey, yamlstrict.Boolean),
	})
	if err != nil {
		return rs, err
	}
	rs.lines = lines
	switch {
	case lines["do"] == 0:
		return rs, &yamlstrict.Error{Line: n.Line, Key: yamlstrict.Join(path, "do"), Msg: "missing: every rule says what to do (" + strings.Join(policy.ActionNames, ", ") + ")"}
	case lines["require_key"] > 0 && lines["require_idempotency_key"] > 0:
		return rs, rs.errorf("require_idempotency_key", "the same key as require_key (line %d), given twice", lines["require_key"])
	}
	if r.Do != policy.Retry {
		for _, k := range retryOnly {
			if lines[k] > 0 {
				return rs, rs.errorf(k, "only a retry rule takes %s, and this rule does %s", k, r.Do)
			}
		}
	}
	return rs, nil
}

// errorf returns an error at the line of the rule's key k.
func (rs ruleSource) errorf(k, format string, args ...any) *yamlstrict.Error {
	return &yamlstrict.Error{Line: rs.lines[k], Key: yamlstrict.Join(rs.path, k), Msg: fmt.Sprintf(format, args...)}
}

// check refuses a rule that the architecture makes impossible: one that can
// never match, or never do what it says.
func (rs ruleSource) check(a policy.Architecture) error {
	r := rs.rule
	switch {
	case r.Do == policy.Compensate && !a.Compensation():
		return rs.errorf("do", "compensate, but architecture.compensation is false: nothing would ever be compensated")
	case r.Do == policy.Reconcile && a.NoKeysAnywhere():
		return rs.errorf("do", "reconcile looks the operation up by its key, but architecture.idempotency_keys is none: there is nothing to look up")
	case r.When.Lookup != nil && *r.When.Lookup && a.NoKeysAnywhere():
		return &yamlstrict.Error{Line: rs.when["lookup"], Key: yamlstrict.Join(rs.path, "when.lookup"), Msg: "lookup: true never holds: architecture.idempotency_keys is none, so no operation has a key to look up"}
	case r.Do == policy.Retry && r.MaxRetries == 0 && a.Budget.MaxRetries == 0:
		return &yamlstrict.Error{Line: rs.lines["do"], Key: yamlstrict.Join(rs.path, "do"), Msg: "this retry rule has no max_retries and budget.max_retries is 0: it can never match; give it max_retries"}
	case r.RequireKey && a.NoKeysAnywhere():
		k := "require_key"
		if rs.lines[k] == 0 {
			k = "require_idempotency_key"
		}
		return rs.errorf(k, "an idempotency key is required, but architecture.idempotency_keys is none: no attempt carries one, so no retry would ever be allowed")
	}
	return nil
}

// readWhen reads a rule's condition and refuses one that can never hold.
func readWhen(w *world, n *yaml.Node, path string, m *policy.Match) (map[string]int, error) {
	parseTool := yamlstrict.OneOf("tool", w.tools, w.tools)
	parseTenant := yamlstrict.OneOf("tenant", w.tenants, w.tenants)
	flag := func(dst **bool) yamlstrict.Field {
		return func(v *yaml.Node, p string) error {
			b, err := yamlstrict.Boolean(v, p)
			*dst = &b
			return err
		}
	}
	tier := func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 0, 3) }
	lines, err := strict.Mapping(n, path, whenKeys, map[string]yamlstrict.Field{
		"tool":         values(&m.Tools, yamlstrict.Enum(parseTool)),
		"tier":         values(&m.Tiers, tier),
		"idempotency":  values(&m.Idempotency, yamlstrict.Enum(registry.ParseClass)),
		"phase":        values(&m.Phases, yamlstrict.Enum(outcome.ParsePhase)),
		"llm_phase":    values(&m.LLMPhases, yamlstrict.Enum(outcome.ParseLLMPhase)),
		"class":        values(&m.Classes, yamlstrict.Enum(outcome.ParseClass)),
		"layer":        values(&m.Layers, yamlstrict.Enum(outcome.ParseLayer)),
		"side_effects": flag(&m.SideEffects),
		"context":      values(&m.Context, yamlstrict.Enum(outcome.ParseContextState)),
		"signals_sent": flag(&m.SignalsSent),
		"tenant":       values(&m.Tenants, yamlstrict.Enum(parseTenant)),
		"attempt":      yamlstrict.Set(&m.Attempt, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, maxAttempt) }),
		"status":       values(&m.Statuses, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 100, 599) }),
		"crashed":      flag(&m.Crashed),
		"in_flight":    flag(&m.InFlight),
		"lookup":       flag(&m.Lookup),
		"compensator":  flag(&m.Compensator),
	})
	if err != nil {
		return nil, err
	}
	if key, msg := contradiction(w, *m); key != "" {
		return nil, &yamlstrict.Error{Line: lines[key], Key: yamlstrict.Join(path, key), Msg: msg}
	}
	return lines, nil
}

// values adapts a reader of one value to a when-key that takes any of a list.
func values[T comparable](dst *[]T, one func(*yaml.Node, string) (T, error)) yamlstrict.Field {
	return func(v *yaml.Node, path string) (err error) {
		*dst, err = yamlstrict.AnyOf(strict, v, path, one,
			"an empty list matches nothing; leave the key out to match anything", "a value or a list of values")
		return err
	}
}

// whenKeys are the when-keys in documentation order: DESIGN's, then the
// extensions (in_flight, lookup, compensator).
var whenKeys = []string{"tool", "tier", "idempotency", "phase", "llm_phase", "class", "layer", "side_effects",
	"context", "signals_sent", "tenant", "attempt", "status", "crashed", "in_flight", "lookup", "compensator"}

// inferencePhase is the phase each LLM phase is a case of: a model call
// refused before inference failed pre-execution, one cut mid-inference
// mid-execution, one whose response was lost after inference post-execution.
var inferencePhase = map[outcome.LLMPhase]outcome.Phase{
	outcome.PreInference: outcome.PhasePre, outcome.MidInference: outcome.PhaseMid, outcome.PostInference: outcome.PhasePost,
}

// contradiction finds the clear-cut contradictions of a condition: pairs of
// keys that can never hold together, whatever the failure. It returns the
// key to blame and why, or "". A condition that holds for no tool of this
// world only because the world lacks one (a layer no tool runs at, an
// llm_phase with no streamed model call) is judged in the built-in world,
// which has one of every kind: the rule may be meant for other worlds too,
// and lint says it is inert here (see inert).
func contradiction(w *world, m policy.Match) (key, msg string) {
	if len(m.LLMPhases) > 0 && len(m.Phases) > 0 &&
		!slices.ContainsFunc(m.LLMPhases, func(l outcome.LLMPhase) bool { return slices.Contains(m.Phases, inferencePhase[l]) }) {
		return "llm_phase", fmt.Sprintf("llm_phase %s never happens in phase %s (pre-inference is a pre failure, mid-inference a mid one, post-inference a post one)",
			either(m.LLMPhases), either(m.Phases))
	}
	if inert(w, m) != "" {
		if key, msg := contradiction(builtinWorld(), m); key != "" {
			return key, msg + ", even in the built-in world, which has a tool of every kind"
		}
		return "", ""
	}
	candidates := m.Tools
	if len(candidates) == 0 {
		candidates = w.tools
	}
	if len(m.Layers) > 0 {
		candidates = slices.DeleteFunc(slices.Clone(candidates), func(t string) bool { return !slices.Contains(m.Layers, w.layer[t]) })
		if len(candidates) == 0 { // the tools are named: inert would have said so otherwise
			return "layer", fmt.Sprintf("layer %s never holds for tool %s: %s", either(m.Layers), strings.Join(m.Tools, " or "), layerOfNamed(w, m))
		}
	}
	if len(m.LLMPhases) > 0 && !slices.ContainsFunc(candidates, func(t string) bool { return w.model[t] }) {
		if len(m.Tools) == 0 {
			return "llm_phase", fmt.Sprintf("llm_phase only holds for streamed model calls (%s), and none of them runs at layer %s", orNone(w.models()), either(m.Layers))
		}
		return "llm_phase", fmt.Sprintf("llm_phase only holds for streamed model calls (%s), and this rule's tool is %s", orNone(w.models()), strings.Join(m.Tools, " or "))
	}
	return "", ""
}

// inert says why a condition that names no tool holds for none in this
// world, or "": no tool runs at its layer, or it asks for an llm_phase and
// no tool is a streamed model call.
func inert(w *world, m policy.Match) string {
	if len(m.Tools) > 0 {
		return ""
	}
	if len(m.Layers) > 0 && !slices.ContainsFunc(w.tools, func(t string) bool { return slices.Contains(m.Layers, w.layer[t]) }) {
		return fmt.Sprintf("no tool of this world runs at layer %s", either(m.Layers))
	}
	if len(m.LLMPhases) > 0 && len(w.models()) == 0 {
		return "no tool of this world is a streamed model call, the only calls an llm_phase holds for"
	}
	return ""
}

// layerOfNamed says, for a condition whose named tools all run at other
// layers than it asks for, where the asked-for layer's tools are.
func layerOfNamed(w *world, m policy.Match) string {
	if slices.Contains(m.Layers, outcome.Orchestrator) {
		return "only " + orNone(w.planners()) + " runs at the orchestrator"
	}
	if len(m.Tools) == 1 {
		return "it runs at the orchestrator"
	}
	return "they run at the orchestrator"
}

// orNone joins names with "or", or says there are none.
func orNone(names []string) string {
	if len(names) == 0 {
		return "none in this world"
	}
	return strings.Join(names, " or ")
}

// either renders values as "a or b".
func either[T fmt.Stringer](vs []T) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return strings.Join(out, " or ")
}
