package worlds_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

var update = flag.Bool("update", false, "rewrite testdata/mcp/*.yaml from the importer's output")

// imported is what the import must give a tool: its behaviour, class and
// tier, from the mapping table of the package documentation.
type imported struct {
	behaviour worlds.Behaviour
	class     registry.Class
	tier      int
}

var importCases = map[string]map[string]imported{
	"annotated": { // every hint sent, by hand
		"search_docs":   {worlds.Read, registry.Idempotent, 1},
		"create_issue":  {worlds.Write, registry.NonIdempotent, 2},
		"set_labels":    {worlds.Upsert, registry.Idempotent, 2},
		"delete_branch": {worlds.Upsert, registry.Idempotent, 3},
		"post_comment":  {worlds.ThirdParty, registry.NonIdempotent, 2},
		"force_push":    {worlds.Write, registry.NonIdempotent, 3},
	},
	"partly-annotated": { // some hints absent or null: unknown, read the cautious way
		"fetch_page": {worlds.ThirdParty, registry.Unknown, 3},
		"write_file": {worlds.Write, registry.Unknown, 3},
		"put_object": {worlds.Upsert, registry.Idempotent, 3},
		"append_log": {worlds.Write, registry.Unknown, 2},
		"true":       {worlds.Read, registry.Idempotent, 1},
	},
	"unannotated": { // no hint at all: the most cautious reading
		"run_query":    {worlds.ThirdParty, registry.Unknown, 3},
		"send_invoice": {worlds.ThirdParty, registry.Unknown, 3},
		"notify":       {worlds.ThirdParty, registry.Unknown, 3},
	},
	"go-sdk": { // marshalled by modelcontextprotocol/go-sdk v1.8.0: readOnlyHint and idempotentHint always sent
		"search_docs":   {worlds.Read, registry.Idempotent, 1},
		"create_ticket": {worlds.ThirdParty, registry.NonIdempotent, 3},
		"close_ticket":  {worlds.Upsert, registry.Idempotent, 3},
		"ping":          {worlds.ThirdParty, registry.Unknown, 3},
	},
	"mcp-go": { // marshalled by mark3labs/mcp-go v1.2.1: NewTool sends all four hints
		"create_issue": {worlds.ThirdParty, registry.NonIdempotent, 3},
		"list_issues":  {worlds.Read, registry.Idempotent, 1},
		"label_issue":  {worlds.Upsert, registry.Idempotent, 2},
		"raw_tool":     {worlds.ThirdParty, registry.Unknown, 3},
	},
}

// TestImportMCP imports each tools/list answer of testdata/mcp: the world
// file it writes is the golden one beside it (go test -run TestImportMCP
// -update rewrites them), loads as it is, and gives each tool the
// behaviour, class and tier its hints map to.
func TestImportMCP(t *testing.T) {
	t.Parallel()
	for name, tools := range importCases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", "mcp", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := worlds.ImportMCP(in)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "mcp", name+".yaml")
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(out, want) {
				t.Errorf("the import differs from %s (%v); run go test ./worlds -run TestImportMCP -update and read the diff", golden, err)
			}
			w, err := worlds.Parse(golden, out)
			if err != nil {
				t.Fatalf("the import does not load: %v\n%s", err, out)
			}
			if len(w.Tools) != len(tools) {
				t.Errorf("%d tools, want %d", len(w.Tools), len(tools))
			}
			for tool, want := range tools {
				s, ok := w.Spec(w.Tenants[0].Name, tool)
				if got := (imported{s.Behaviour, s.Class, s.Tier}); !ok || got != want {
					t.Errorf("%s: %s, %s, tier %d; want %s, %s, tier %d", tool, got.behaviour, got.class, got.tier, want.behaviour, want.class, want.tier)
				}
			}
		})
	}
}

func TestImportMCPRefuses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, want string
		notList        bool
	}{
		{"not JSON", `tools: []`, "not an MCP tools/list result: invalid character", true},
		{"a JSON-RPC error", `{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}`, "the server answered error -32601: Method not found", true},
		{"no tools", `{"resources": []}`, `no "tools"`, true},
		{"an empty list", `{"result": {"tools": []}}`, "the server lists no tools", true},
		{"a hint that is no boolean", `{"tools": [{"name": "x", "annotations": {"readOnlyHint": "true"}}]}`, "tools[0]: json: cannot unmarshal string", true},
		{"a name a file cannot use", `{"tools": [{"name": "search docs"}]}`, `tools[0]: "search docs" is not a tool name`, false},
		{"no name", `{"tools": [{"description": "nameless"}]}`, `tools[0]: "" is not a tool name`, false},
		{"a name twice", `{"tools": [{"name": "x"}, {"name": "x"}]}`, "tools[1]: the server lists x twice", false},
	} {
		out, err := worlds.ImportMCP([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) || out != nil {
			t.Errorf("%s: %q, %v; want the refusal %q", c.name, out, err, c.want)
		}
		if got := errors.Is(err, worlds.ErrNotToolsList); got != c.notList {
			t.Errorf("%s: errors.Is(err, ErrNotToolsList) = %v", c.name, got)
		}
	}
}
