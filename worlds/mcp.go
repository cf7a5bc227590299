package worlds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/reference/registry"
)

// ErrNotToolsList is returned by [ImportMCP] for data that is not an MCP
// tools/list answer.
var ErrNotToolsList = errors.New("not an MCP tools/list result")

// mcpTool is one tool of a tools/list result. Every hint is a pointer: an
// absent hint (or a null one) stays unknown instead of reading as false.
type mcpTool struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Annotations *hints `json:"annotations"`
}

// hints are a tool's MCP annotations.
type hints struct {
	ReadOnly    *bool `json:"readOnlyHint"`
	Destructive *bool `json:"destructiveHint"`
	Idempotent  *bool `json:"idempotentHint"`
	OpenWorld   *bool `json:"openWorldHint"`
}

// ImportMCP reads an MCP server's answer to tools/list, as raw JSON — the
// result object {"tools": [...]} or the whole JSON-RPC response
// {"result": {"tools": [...]}} — and writes a starting world file: each
// tool with the behaviour, class and tier its annotations give (see the
// package documentation, "From MCP annotations"), and comments on what the
// team must still fill in. The file loads with [Parse] as it is.
func ImportMCP(data []byte) ([]byte, error) {
	tools, cursor, err := readToolsList(data)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeHeader(&b, len(tools), cursor)
	b.WriteString("tools:\n")
	for _, t := range tools {
		writeTool(&b, t)
	}
	writeRest(&b, tools[0].Name)
	return b.Bytes(), nil
}

// readToolsList finds the tools of a tools/list result or response.
func readToolsList(data []byte) ([]mcpTool, string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrNotToolsList, err)
	}
	if e, ok := top["error"]; ok {
		var rpc struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(e, &rpc)
		return nil, "", fmt.Errorf("%w: the server answered error %d: %s", ErrNotToolsList, rpc.Code, rpc.Message)
	}
	if r, ok := top["result"]; ok {
		top = nil
		if err := json.Unmarshal(r, &top); err != nil {
			return nil, "", fmt.Errorf("%w: result: %v", ErrNotToolsList, err)
		}
	}
	raw, ok := top["tools"]
	if !ok {
		return nil, "", fmt.Errorf(`%w: no "tools" (want {"tools": [...]} or {"result": {"tools": [...]}})`, ErrNotToolsList)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, "", fmt.Errorf("%w: tools: %v", ErrNotToolsList, err)
	}
	if len(items) == 0 {
		return nil, "", fmt.Errorf("%w: the server lists no tools", ErrNotToolsList)
	}
	var cursor string
	_ = json.Unmarshal(top["nextCursor"], &cursor)
	tools := make([]mcpTool, len(items))
	seen := map[string]bool{}
	for i, item := range items {
		t := &tools[i]
		if err := json.Unmarshal(item, t); err != nil {
			return nil, "", fmt.Errorf("%w: tools[%d]: %v", ErrNotToolsList, i, err)
		}
		switch {
		case !validTool.MatchString(t.Name):
			return nil, "", fmt.Errorf("tools[%d]: %q is not a tool name a world file can use: %s", i, t.Name, toolRule)
		case seen[t.Name]:
			return nil, "", fmt.Errorf("tools[%d]: the server lists %s twice", i, t.Name)
		}
		seen[t.Name] = true
	}
	return tools, cursor, nil
}

// imported is what a tool's hints give it, and why.
type imported struct {
	behaviour Behaviour
	class     registry.Class
	tier      int
	why       []string
}

// fromHints maps MCP annotations to a behaviour, a class and a tier. An
// unknown hint is read the cautious way: what it would have to say for
// the tool to be safer is never assumed.
func fromHints(h hints) imported {
	if is(h.ReadOnly, true) {
		return imported{Read, registry.Idempotent, 1, []string{"read: readOnlyHint true"}}
	}
	m := imported{why: []string{"writes: readOnlyHint false"}}
	if h.ReadOnly == nil {
		m.why[0] = "may write: readOnlyHint " + said(h.ReadOnly, "false")
	}
	switch {
	case is(h.Idempotent, true):
		m.behaviour, m.class = Upsert, registry.Idempotent
		m.why = append(m.why, "upsert, idempotent: idempotentHint true, a repeat has no additional effect")
	case is(h.OpenWorld, false):
		m.behaviour = Write
		m.why = append(m.why, "write: openWorldHint false, a closed domain")
	default:
		m.behaviour = ThirdParty
		reach := "it reaches external entities"
		if h.OpenWorld == nil {
			reach = "it may reach external entities"
		}
		m.why = append(m.why, "third-party: openWorldHint "+said(h.OpenWorld, "true")+", "+reach)
	}
	switch {
	case m.class != 0:
	case is(h.Idempotent, false):
		m.class = registry.NonIdempotent
		m.why = append(m.why, "non-idempotent: idempotentHint false")
	default:
		m.class = registry.Unknown
		m.why = append(m.why, "idempotency unknown: no idempotentHint")
	}
	m.tier = 3
	if is(h.Destructive, false) {
		m.tier = 2
		m.why = append(m.why, "tier 2: destructiveHint false, additive updates only")
	} else {
		m.why = append(m.why, "tier 3: destructiveHint "+said(h.Destructive, "true")+", it may destroy")
	}
	return m
}

// is reports whether hint was sent, with value v.
func is(hint *bool, v bool) bool { return hint != nil && *hint == v }

// said renders a hint: its value, or that it was absent and so taken as
// MCP's default def.
func said(hint *bool, def string) string {
	if hint == nil {
		return "absent (MCP's default: " + def + ")"
	}
	return fmt.Sprint(*hint)
}

func writeHeader(b *bytes.Buffer, n int, cursor string) {
	fmt.Fprintf(b, `# A starting world, written by chaosrun world import-mcp from an MCP
# server's tools/list answer (%d tools). Each tool's annotations gave it a
# behaviour, an idempotency class and a tier; a hint the server did not send
# is unknown, and read the cautious way. What MCP cannot say is yours to
# fill in (every key: worlds/README.md in chaosrun's source):
#   - each tool's keys, lookups, compensator and cost (see under each tool);
#   - your model calls and planner, which MCP servers do not list, e.g.
#       draft_reply: {behaviour: model, stream: true}
#   - your tenants, their contracts and overrides;
#   - your workflows.
`, n)
	if cursor != "" {
		fmt.Fprintf(b, "# This answer was one page of a longer list (nextCursor %s):\n# import the other pages and add their tools.\n", quote(cursor))
	}
	b.WriteString("world: v1\nname: imported\ndescription: Imported from an MCP server's tool list; to be completed.\n\n")
}

func writeTool(b *bytes.Buffer, t mcpTool) {
	h := hints{}
	if t.Annotations != nil {
		h = *t.Annotations
	}
	m := fromHints(h)
	fmt.Fprintf(b, "  %s:\n", quote(t.Name))
	fmt.Fprintf(b, "    # MCP: readOnlyHint %s, destructiveHint %s, idempotentHint %s, openWorldHint %s\n",
		hintText(h.ReadOnly), hintText(h.Destructive), hintText(h.Idempotent), hintText(h.OpenWorld))
	if library := defaultsOf(h); library != "" {
		fmt.Fprintf(b, "    # (%s)\n", library)
	}
	for _, why := range m.why {
		fmt.Fprintf(b, "    #   %s\n", why)
	}
	fmt.Fprintf(b, "    behaviour: %s\n    class: %s\n", m.behaviour, m.class)
	if m.behaviour != Read {
		fmt.Fprintf(b, "    tier: %d\n", m.tier)
	}
	if m.behaviour == Upsert {
		b.WriteString("    keys: none   # MCP cannot say: see below\n")
	}
	if d := strings.Join(strings.Fields(t.Description), " "); d != "" {
		fmt.Fprintf(b, "    description: %s\n", quote(d))
	}
	for _, line := range todo[m.behaviour] {
		fmt.Fprintf(b, "    # %s\n", line)
	}
}

func hintText(h *bool) string {
	if h == nil {
		return "absent"
	}
	return fmt.Sprint(*h)
}

// defaultsOf recognises hints that may be a library's defaults rather than
// the tool author's word.
func defaultsOf(h hints) string {
	switch {
	case is(h.ReadOnly, false) && is(h.Destructive, true) && is(h.Idempotent, false) && is(h.OpenWorld, true):
		return "these four are what mcp-go's NewTool sends when its author set none: they may say nothing"
	case is(h.ReadOnly, false) && is(h.Idempotent, false) && h.Destructive == nil && h.OpenWorld == nil:
		return "go-sdk sends readOnlyHint and idempotentHint even when unset: false may say nothing"
	}
	return ""
}

// todo says, per behaviour the import gives, what the team must still fill in.
var todo = map[Behaviour][]string{
	Read: {"Nothing to fill in: a read changes nothing."},
	Upsert: {
		"To fill in: does it take an idempotency key? Then drop keys: none",
		"(it then answers lookups by key; lookup: {lag: 2s} if they lag).",
		"compensator: NAME if its write can be undone; cost_cents if a call costs money.",
	},
	Write: {
		"To fill in: deduplicates by an idempotency key? behaviour: keyed-write",
		"(it then answers lookups by key; lookup: {lag: 2s} if they lag).",
		"Sends a message? behaviour: notification. Starts another pipeline? behaviour: trigger.",
		"compensator: NAME if its effect can be undone; cost_cents if a call costs money.",
	},
	ThirdParty: {
		"To fill in: rate_limit: {calls: N, window: 1s, retry_after: 2s} as the service",
		"allows (default: 3 calls a second); cost_cents if a call is billed.",
		"Deduplicates by an idempotency key? behaviour: keyed-write, with a compensator",
		"if its effect can be undone. Closed domain, no rate limit? behaviour: write.",
	},
}

func writeRest(b *bytes.Buffer, first string) {
	fmt.Fprintf(b, `
tenants:
  # Your tenants. Each may declare contracts per tool (never-retry,
  # at-most-once, key-required) and override a tool that behaves otherwise
  # for it, with or without a contract, e.g.
  #   globex:
  #     contracts: {%[1]s: never-retry}
  #     overrides: {%[1]s: {behaviour: paid-webhook, cost_cents: 50}}
  tenant-a: {}

# Your workflows: the sequences of tool calls your agents make, e.g.
#   workflows:
#     triage: {steps: [%[1]s]}
# Scenarios also draw generated workflows (1 to 8 steps) from every tool.
`, first)
}

// quote renders s as a YAML scalar, quoted where it must be.
func quote(s string) string {
	out, err := yaml.Marshal(s)
	if err != nil {
		return fmt.Sprintf("%q", s)
	}
	return strings.TrimSuffix(string(out), "\n")
}
