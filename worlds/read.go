package worlds

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// A world file goes through the strict reading of YAML nodes that policy
// files go through too (internal/yamlstrict): unknown and duplicate keys,
// a value of the wrong type and an alias are refused. The reader records the
// line of every key under its full path, so that a refusal found later, by
// [World.Validate] on the values read, still names its line.

// reader walks a document; its Lines map every path it read to its line.
type reader struct {
	yamlstrict.Reader
	keys []keysAt // the `keys` values read, checked once every tool is known
}

func newReader() *reader {
	return &reader{Reader: yamlstrict.Reader{Kind: "world file", Lines: map[string]int{}}}
}

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
	parseKeys     = yamlstrict.OneOf("key kind", keyNames, []registry.Keys{registry.NoKeys, registry.IdempotencyKey, registry.DedupToken})
	contractNames = []string{"never-retry", "at-most-once", "key-required"}
	parseContract = yamlstrict.OneOf("contract", contractNames, []policy.Contract{{NeverRetry: true}, {AtMostOnce: true}, {KeyRequired: true}})
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
		return nil, yamlstrict.At(root, "", "a world file is a mapping of keys (world, name, tools, tenants, workflows), found %s", yamlstrict.Describe(root))
	}
	r.Lines[""] = root.Line
	w := &World{}
	lines, err := r.Mapping(root, "", topKeys, map[string]yamlstrict.Field{
		"world": func(v *yaml.Node, p string) error {
			if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!str" || v.Value != version {
				return yamlstrict.At(v, p, "want %s, the format's version, found %s", version, yamlstrict.Describe(v))
			}
			return nil
		},
		"name":        yamlstrict.Set(&w.Name, yamlstrict.Str),
		"description": yamlstrict.Set(&w.Description, text),
		"tools": func(v *yaml.Node, p string) error {
			return r.Entries(v, p, func(kn, v *yaml.Node, name string) error {
				t := Tool{Name: kn.Value}
				err := r.tool(v, name, "", &t)
				w.Tools = append(w.Tools, t)
				return err
			})
		},
		"tenants": func(v *yaml.Node, p string) error {
			return r.Entries(v, p, func(kn, v *yaml.Node, name string) error {
				tn := Tenant{Name: kn.Value}
				err := r.tenant(v, name, &tn)
				w.Tenants = append(w.Tenants, tn)
				return err
			})
		},
		"workflows": func(v *yaml.Node, p string) error {
			return r.Entries(v, p, func(kn, v *yaml.Node, name string) error {
				wf := Workflow{Name: kn.Value}
				err := r.workflow(v, name, &wf)
				w.Workflows = append(w.Workflows, wf)
				return err
			})
		},
		"generated": func(v *yaml.Node, p string) error {
			_, err := r.Mapping(v, p, generatedKeys, map[string]yamlstrict.Field{"tools": yamlstrict.Set(&w.Generated.Tools, r.names("name at least one tool, or leave the key out for every tool"))})
			return err
		},
	})
	if err != nil {
		return nil, err
	}
	if lines["world"] == 0 {
		return nil, yamlstrict.At(root, "world", "missing: a world file says its format's version first: world: %s", version)
	}
	return w, nil
}

// text reads a description: a string, its leading and trailing blanks trimmed.
func text(n *yaml.Node, path string) (string, error) {
	s, err := yamlstrict.Str(n, path)
	return strings.TrimSpace(s), err
}

// tool reads a tool's description, or a tenant's override of it.
func (r *reader) tool(n *yaml.Node, path, tenant string, t *Tool) error {
	_, err := r.Mapping(n, path, toolKeys, map[string]yamlstrict.Field{
		"behaviour":   yamlstrict.Set(&t.Behaviour, yamlstrict.Enum(ParseBehaviour)),
		"description": yamlstrict.Set(&t.Description, text),
		"class":       yamlstrict.Set(&t.Class, yamlstrict.Enum(registry.ParseClass)),
		"tier":        yamlstrict.Set(&t.Tier, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, 3) }),
		"keys": func(v *yaml.Node, p string) error {
			kind, err := yamlstrict.Enum(parseKeys)(v, p)
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
				return yamlstrict.At(v, p, "missing: the tool has a compensator, but no name for it; name its undo action (e.g. refund_charge), or leave the key out")
			}
			t.Compensator, err = yamlstrict.Str(v, p)
			return err
		},
		"cost_cents": yamlstrict.Set(&t.Cost, r.rangeOf(maxCents)),
		"money":      yamlstrict.Set(&t.Money, flag),
		"stream":     yamlstrict.Set(&t.Stream, flag),
		"tokens": func(v *yaml.Node, p string) error {
			_, err := r.Mapping(v, p, tokensKeys, map[string]yamlstrict.Field{
				"prompt": yamlstrict.Set(&t.Tokens.Prompt, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, maxTokens) }),
				"chunk":  yamlstrict.Set(&t.Tokens.Chunk, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, maxTokens) }),
				"chunks": yamlstrict.Set(&t.Tokens.Chunks, r.rangeOf(maxChunks)),
			})
			return err
		},
		"rate_limit": func(v *yaml.Node, p string) error {
			_, err := r.Mapping(v, p, rateKeys, map[string]yamlstrict.Field{
				"calls":       yamlstrict.Set(&t.RateLimit.Calls, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, maxCalls) }),
				"window":      yamlstrict.Set(&t.RateLimit.Window, positive),
				"retry_after": yamlstrict.Set(&t.RateLimit.RetryAfter, positive),
			})
			return err
		},
	})
	return err
}

// flag reads a boolean setting.
func flag(n *yaml.Node, path string) (Switch, error) {
	b, err := yamlstrict.Boolean(n, path)
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
		_, err := r.Mapping(n, path, []string{"lag"}, map[string]yamlstrict.Field{"lag": yamlstrict.Set(&t.Lag, positive)})
		return err
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		return yamlstrict.At(n, path, "want true, false or {lag: DURATION}, found %s", yamlstrict.Describe(n))
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
				return Range{}, yamlstrict.At(n, path, "want a whole number or {min, max}, found %s", yamlstrict.Describe(n))
			}
			v, err := yamlstrict.Integer(n, path, 0, hi)
			return Fixed(v), err
		}
		var rg Range
		bound := func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 0, hi) }
		lines, err := r.Mapping(n, path, rangeKeys, map[string]yamlstrict.Field{"min": yamlstrict.Set(&rg.Min, bound), "max": yamlstrict.Set(&rg.Max, bound)})
		switch {
		case err != nil:
			return rg, err
		case lines["min"] == 0 || lines["max"] == 0:
			return rg, yamlstrict.At(n, path, "a range gives both min and max (a fixed number is written alone)")
		case rg.Max < rg.Min:
			return rg, &yamlstrict.Error{Line: lines["max"], Key: yamlstrict.Join(path, "max"), Msg: fmt.Sprintf("max %d is below min %d", rg.Max, rg.Min)}
		}
		return rg, nil
	}
}

// positive reads a duration above zero, at most maxWait.
func positive(n *yaml.Node, path string) (time.Duration, error) {
	d, err := yamlstrict.DurationAtMost(n, path, maxWait)
	if err == nil && d == 0 {
		err = yamlstrict.At(n, path, "a duration of 0 says nothing; leave the key out")
	}
	return d, err
}

// tenant reads a tenant.
func (r *reader) tenant(n *yaml.Node, path string, tn *Tenant) error {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return yamlstrict.At(n, path, "want a mapping, found nothing (null); a tenant that declares nothing is written %s: {}", tn.Name)
	}
	_, err := r.Mapping(n, path, tenantKeys, map[string]yamlstrict.Field{
		"description": yamlstrict.Set(&tn.Description, text),
		"contracts": func(v *yaml.Node, p string) error {
			tn.Contracts = map[string]policy.Contract{}
			return r.Entries(v, p, func(kn, v *yaml.Node, name string) error {
				parts, err := yamlstrict.AnyOf(&r.Reader, v, name, yamlstrict.Enum(parseContract), "an empty list says nothing; leave the key out", "a value")
				var c policy.Contract
				for _, part := range parts {
					c.NeverRetry, c.AtMostOnce, c.KeyRequired = c.NeverRetry || part.NeverRetry, c.AtMostOnce || part.AtMostOnce, c.KeyRequired || part.KeyRequired
				}
				tn.Contracts[kn.Value] = c
				return err
			})
		},
		"overrides": func(v *yaml.Node, p string) error {
			return r.Entries(v, p, func(kn, v *yaml.Node, name string) error {
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
	_, err := r.Mapping(n, path, workflowKeys, map[string]yamlstrict.Field{
		"description": yamlstrict.Set(&wf.Description, text),
		"steps":       yamlstrict.Set(&wf.Steps, r.names("a workflow has at least one step")),
		"weight":      yamlstrict.Set(&wf.Weight, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 1, maxWeight) }),
	})
	return err
}

// names reads a non-empty list of names (tools); empty says what to do
// about an empty one.
func (r *reader) names(empty string) func(*yaml.Node, string) ([]string, error) {
	return func(n *yaml.Node, path string) ([]string, error) {
		if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
			return nil, yamlstrict.At(n, path, "an empty list; %s", empty)
		}
		var out []string
		err := r.List(n, path, func(v *yaml.Node, p string) error {
			s, err := yamlstrict.Str(v, p)
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
			return &yamlstrict.Error{Line: r.Lines[k.path], Key: k.path, Msg: "only a streamed model call takes a dedup token; this tool's key is an idempotency key (keys: idempotency-key)"}
		default:
			return &yamlstrict.Error{Line: r.Lines[k.path], Key: k.path, Msg: "a streamed model call's key is a dedup token (keys: dedup-token)"}
		}
	}
	return nil
}
