package worlds

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// The keys of each mapping of a world file, in documentation order.
var (
	topKeys       = []string{"world", "name", "description", "tools", "tenants", "workflows", "generated"}
	toolKeys      = []string{"behaviour", "description", "class", "tier", "keys", "lookup", "compensator", "cost_cents", "money", "stream", "tokens", "rate_limit"}
	tenantKeys    = []string{"description", "contracts", "overrides"}
	workflowKeys  = []string{"description", "steps", "weight"}
	generatedKeys = []string{"tools"}
	rangeKeys     = []string{"min", "max"}
	tokensKeys    = []string{"prompt", "chunk", "chunks"}
	rateKeys      = []string{"calls", "window", "retry_after"}
)

// version is the world file format's version, the value of its `world` key.
const version = "v1"

var (
	keyNames      = []string{"none", "idempotency-key", "dedup-token"}
	parseKeys     = oneOf("key kind", keyNames, []registry.Keys{registry.NoKeys, registry.IdempotencyKey, registry.DedupToken})
	contractNames = []string{"never-retry", "at-most-once", "key-required"}
	parseContract = oneOf("contract", contractNames, []policy.Contract{{NeverRetry: true}, {AtMostOnce: true}, {KeyRequired: true}})
)

// keysAt is a `keys` value as written: its kind is checked against the
// tool's behaviour once every tool is read.
type keysAt struct {
	path, tenant, tool string
	kind               registry.Keys
}

// world reads the document's top level.
func (r *reader) world(root *yaml.Node) (*World, error) {
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root, "", "a world file is a mapping of keys (world, name, tools, tenants, workflows), found %s", describe(root))
	}
	r.lines[""] = root.Line
	w := &World{}
	lines, err := r.mapping(root, "", topKeys, map[string]field{
		"world": func(v *yaml.Node, p string) error {
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value != version {
				return errAt(v, p, "want %s, the format's version, found %s", version, describe(v))
			}
			return nil
		},
		"name":        set(&w.Name, str),
		"description": set(&w.Description, text),
		"tools": func(v *yaml.Node, p string) error {
			return r.entries(v, p, func(kn, v *yaml.Node, name string) error {
				t := Tool{Name: kn.Value}
				err := r.tool(v, name, "", &t)
				w.Tools = append(w.Tools, t)
				return err
			})
		},
		"tenants": func(v *yaml.Node, p string) error {
			return r.entries(v, p, func(kn, v *yaml.Node, name string) error {
				tn := Tenant{Name: kn.Value}
				err := r.tenant(v, name, &tn)
				w.Tenants = append(w.Tenants, tn)
				return err
			})
		},
		"workflows": func(v *yaml.Node, p string) error {
			return r.entries(v, p, func(kn, v *yaml.Node, name string) error {
				wf := Workflow{Name: kn.Value}
				err := r.workflow(v, name, &wf)
				w.Workflows = append(w.Workflows, wf)
				return err
			})
		},
		"generated": func(v *yaml.Node, p string) error {
			_, err := r.mapping(v, p, generatedKeys, map[string]field{"tools": set(&w.Generated.Tools, r.names("name at least one tool, or leave the key out for every tool"))})
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	if lines["world"] == 0 {
		return nil, errAt(root, "world", "missing: a world file says its format's version first: world: %s", version)
	}
	return w, nil
}

// text reads a description: a string, its leading and trailing blanks trimmed.
func text(n *yaml.Node, path string) (string, error) {
	s, err := str(n, path)
	return strings.TrimSpace(s), err
}

// tool reads a tool's description, or a tenant's override of it.
func (r *reader) tool(n *yaml.Node, path, tenant string, t *Tool) error {
	_, err := r.mapping(n, path, toolKeys, map[string]field{
		"behaviour":   set(&t.Behaviour, enum(ParseBehaviour)),
		"description": set(&t.Description, text),
		"class":       set(&t.Class, enum(registry.ParseClass)),
		"tier":        set(&t.Tier, func(v *yaml.Node, p string) (int, error) { return integer(v, p, 1, 3) }),
		"keys": func(v *yaml.Node, p string) error {
			kind, err := enum(parseKeys)(v, p)
			t.Keys = On
			if kind == registry.NoKeys {
				t.Keys = Off
			}
			r.keys = append(r.keys, keysAt{path: p, tenant: tenant, tool: t.Name, kind: kind})
			return err
		},
		"lookup": func(v *yaml.Node, p string) error { return r.lookup(v, p, t) },
		"compensator": func(v *yaml.Node, p string) (err error) {
			if v.Kind == yaml.ScalarNode && (v.ShortTag() == "!!null" || v.ShortTag() == "!!str" && v.Value == "") {
				return errAt(v, p, "missing: the tool has a compensator, but no name for it; name its undo action (e.g. refund_charge), or leave the key out")
			}
			t.Compensator, err = str(v, p)
			return err
		},
		"cost_cents": set(&t.Cost, r.rangeOf(maxCents)),
		"money":      set(&t.Money, flag),
		"stream":     set(&t.Stream, flag),
		"tokens": func(v *yaml.Node, p string) error {
			_, err := r.mapping(v, p, tokensKeys, map[string]field{
				"prompt": set(&t.Tokens.Prompt, func(v *yaml.Node, p string) (int, error) { return integer(v, p, 1, maxTokens) }),
				"chunk":  set(&t.Tokens.Chunk, func(v *yaml.Node, p string) (int, error) { return integer(v, p, 1, maxTokens) }),
				"chunks": set(&t.Tokens.Chunks, r.rangeOf(maxChunks)),
			})
			return err
		},
		"rate_limit": func(v *yaml.Node, p string) error {
			_, err := r.mapping(v, p, rateKeys, map[string]field{
				"calls":       set(&t.RateLimit.Calls, func(v *yaml.Node, p string) (int, error) { return integer(v, p, 1, maxCalls) }),
				"window":      set(&t.RateLimit.Window, positive),
				"retry_after": set(&t.RateLimit.RetryAfter, positive),
			})
			return err
		},
	})
	return err
}

// flag reads a boolean setting.
func flag(n *yaml.Node, path string) (Switch, error) {
	b, err := boolean(n, path)
	if b {
		return On, err
	}
	return Off, err
}

// lookup reads `lookup`: true, false, or {lag: DURATION} (a lookup that
// lags).
func (r *reader) lookup(n *yaml.Node, path string, t *Tool) error {
	if n.Kind == yaml.MappingNode {
		t.Lookup = On
		_, err := r.mapping(n, path, []string{"lag"}, map[string]field{"lag": set(&t.Lag, positive)})
		return err
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return errAt(n, path, "want true, false or {lag: DURATION}, found %s", describe(n))
	}
	var err error
	t.Lookup, err = flag(n, path)
	return err
}

// rangeOf reads a whole number in 0..hi, or {min, max} within it.
func (r *reader) rangeOf(hi int) func(*yaml.Node, string) (Range, error) {
	return func(n *yaml.Node, path string) (Range, error) {
		if n.Kind != yaml.MappingNode {
			if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
				return Range{}, errAt(n, path, "want a whole number or {min, max}, found %s", describe(n))
			}
			v, err := integer(n, path, 0, hi)
			return Fixed(v), err
		}
		var rg Range
		bound := func(v *yaml.Node, p string) (int, error) { return integer(v, p, 0, hi) }
		lines, err := r.mapping(n, path, rangeKeys, map[string]field{"min": set(&rg.Min, bound), "max": set(&rg.Max, bound)})
		switch {
		case err != nil:
			return rg, err
		case lines["min"] == 0 || lines["max"] == 0:
			return rg, errAt(n, path, "a range gives both min and max (a fixed number is written alone)")
		case rg.Max < rg.Min:
			return rg, &Error{Line: lines["max"], Key: join(path, "max"), Msg: fmt.Sprintf("max %d is below min %d", rg.Max, rg.Min)}
		}
		return rg, nil
	}
}

// positive reads a duration above zero, at most maxWait.
func positive(n *yaml.Node, path string) (time.Duration, error) {
	d, err := duration(n, path, maxWait)
	if err == nil && d == 0 {
		err = errAt(n, path, "a duration of 0 says nothing; leave the key out")
	}
	return d, err
}

// tenant reads a tenant.
func (r *reader) tenant(n *yaml.Node, path string, tn *Tenant) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return errAt(n, path, "want a mapping, found nothing (null); a tenant that declares nothing is written %s: {}", tn.Name)
	}
	_, err := r.mapping(n, path, tenantKeys, map[string]field{
		"description": set(&tn.Description, text),
		"contracts": func(v *yaml.Node, p string) error {
			tn.Contracts = map[string]policy.Contract{}
			return r.entries(v, p, func(kn, v *yaml.Node, name string) error {
				parts, err := anyOf(r, v, name, enum(parseContract))
				var c policy.Contract
				for _, part := range parts {
					c.NeverRetry, c.AtMostOnce, c.KeyRequired = c.NeverRetry || part.NeverRetry, c.AtMostOnce || part.AtMostOnce, c.KeyRequired || part.KeyRequired
				}
				tn.Contracts[kn.Value] = c
				return err
			})
		},
		"overrides": func(v *yaml.Node, p string) error {
			return r.entries(v, p, func(kn, v *yaml.Node, name string) error {
				o := Tool{Name: kn.Value}
				err := r.tool(v, name, tn.Name, &o)
				tn.Overrides = append(tn.Overrides, o)
				return err
			})
		},
	})
	return err
}

// workflow reads a named workflow.
func (r *reader) workflow(n *yaml.Node, path string, wf *Workflow) error {
	_, err := r.mapping(n, path, workflowKeys, map[string]field{
		"description": set(&wf.Description, text),
		"steps":       set(&wf.Steps, r.names("a workflow has at least one step")),
		"weight":      set(&wf.Weight, func(v *yaml.Node, p string) (int, error) { return integer(v, p, 1, maxWeight) }),
	})
	return err
}

// names reads a non-empty list of names (tools); empty says what to do
// about an empty one.
func (r *reader) names(empty string) func(*yaml.Node, string) ([]string, error) {
	return func(n *yaml.Node, path string) ([]string, error) {
		if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
			return nil, errAt(n, path, "an empty list; %s", empty)
		}
		var out []string
		err := r.list(n, path, func(v *yaml.Node, p string) error {
			s, err := str(v, p)
			out = append(out, s)
			return err
		})
		return out, err
	}
}

// checkKeys checks each `keys` value against the behaviour of the tool it
// describes: a streamed model call takes a dedup token, any other tool an
// idempotency key. A behaviour that takes no key at all is Validate's to
// refuse.
func (r *reader) checkKeys(w *World) error {
	for _, k := range r.keys {
		if k.kind == registry.NoKeys || w.tool(k.tool) == nil {
			continue
		}
		t := w.described(k.tenant, k.tool)
		want := traitsOf(t.Behaviour, t.Stream == On).key
		switch {
		case want == registry.NoKeys || want == k.kind:
		case k.kind == registry.DedupToken:
			return &Error{Line: r.lines[k.path], Key: k.path, Msg: "only a streamed model call takes a dedup token; this tool's key is an idempotency key (keys: idempotency-key)"}
		default:
			return &Error{Line: r.lines[k.path], Key: k.path, Msg: "a streamed model call's key is a dedup token (keys: dedup-token)"}
		}
	}
	return nil
}
