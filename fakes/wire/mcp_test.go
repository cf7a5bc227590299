package wire_test

import (
	"context"
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// connect opens an MCP client session to the rig: over the in-memory
// transports, or over streamable HTTP on the memnet network.
func (r *rig) connect(t *testing.T, overHTTP bool) *mcp.ClientSession {
	t.Helper()
	ctx := t.Context()
	var transport mcp.Transport
	if overHTTP {
		transport = &mcp.StreamableClientTransport{Endpoint: r.ep.MCP, HTTPClient: r.client, DisableStandaloneSSE: true}
	} else {
		st, ct := mcp.NewInMemoryTransports()
		ss, err := r.srv.MCPServer().Connect(ctx, st, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		transport = ct
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "team", Version: "v1"}, nil)
	cs, err := client.Connect(ctx, transport, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

func TestMCPToolsCarryTheirRegistrationsHints(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs := setup(t, nil).connect(t, false)
		res, err := cs.ListTools(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		hints := map[string]*mcp.ToolAnnotations{}
		for _, tool := range res.Tools {
			hints[tool.Name] = tool.Annotations
		}
		want := map[string][4]bool{ // readOnly, idempotent, destructive, openWorld
			fakes.VectorSearch:     {true, true, false, false},
			fakes.InsertRecord:     {false, false, false, false},
			fakes.DeleteRecord:     {false, true, true, false},
			fakes.CreateCharge:     {false, false, true, false},
			fakes.SendEmail:        {false, false, true, false},
			fakes.EnrichContact:    {false, false, false, true},
			fakes.SignalDownstream: {false, false, false, true},
			wire.LookupTool:        {true, true, false, false},
		}
		for tool, w := range want {
			h := hints[tool]
			if h == nil {
				t.Errorf("%s: no annotations", tool)
				continue
			}
			got := [4]bool{h.ReadOnlyHint, h.IdempotentHint, h.DestructiveHint != nil && *h.DestructiveHint, h.OpenWorldHint != nil && *h.OpenWorldHint}
			if got != w {
				t.Errorf("%s: hints %v, want %v", tool, got, w)
			}
		}
	})
}

func callArgs(key string) map[string]any {
	return map[string]any{wire.ArgOp: op1, wire.ArgIdempotencyKey: key, "amount": 12}
}

func TestMCPCallAndLookup(t *testing.T) {
	for _, overHTTP := range []bool{false, true} {
		name := map[bool]string{false: "in-memory", true: "streamable HTTP"}[overHTTP]
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := setup(t, nil)
				cs := r.connect(t, overHTTP)
				res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: fakes.CreateCharge, Arguments: callArgs("k1")})
				if err != nil || res.IsError {
					t.Fatalf("call: %v %+v", err, res)
				}
				look, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: wire.LookupTool,
					Arguments: map[string]any{"tool": fakes.CreateCharge, "tenant": fakes.Acme, "key": "k1"}})
				if err != nil || look.IsError {
					t.Fatalf("lookup: %v %+v", err, look)
				}
				var found struct{ Found bool }
				b, _ := json.Marshal(look.StructuredContent)
				json.Unmarshal(b, &found)
				if !found.Found || r.applied(fakes.CreateCharge) != 1 {
					t.Fatalf("lookup %s, %d charges", b, r.applied(fakes.CreateCharge))
				}
			})
		})
	}
}

func TestMCPReplyLostAfterTheToolActed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Reset}))
		cs := r.connect(t, false)
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: fakes.SendEmail, Arguments: callArgs("")}); err == nil {
			t.Fatal("a lost reply did not fail the call")
		}
		if res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: fakes.SendEmail, Arguments: callArgs("")}); err != nil || res.IsError {
			t.Fatalf("the retry: %v %+v", err, res)
		}
		if n := r.applied(fakes.SendEmail); n != 2 {
			t.Fatalf("%d emails, want 2: the lost reply's and the retry's", n)
		}
	})
}

func TestMCPStatusIsAToolError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Unavailable}))
		cs := r.connect(t, false)
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: fakes.InsertRecord, Arguments: callArgs("")})
		if err != nil || !res.IsError || r.applied(fakes.InsertRecord) != 0 {
			t.Fatalf("err %v, result %+v, %d effects", err, res, r.applied(fakes.InsertRecord))
		}
	})
}

func TestMCPTimeoutWaitsForTheClientsDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, only(wire.Call, 1, wire.Fault{Kind: wire.Timeout}))
		cs := r.connect(t, false)
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		start := time.Now()
		if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: fakes.InsertRecord, Arguments: callArgs("")}); err == nil {
			t.Fatal("a held reply did not fail the call")
		}
		if d := time.Since(start); d != 30*time.Second {
			t.Fatalf("the call failed after %v, want the 30s deadline", d)
		}
		if n := r.applied(fakes.InsertRecord); n != 1 {
			t.Fatalf("%d effects, want 1", n)
		}
	})
}
