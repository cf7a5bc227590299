package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/reference/store"
)

// MCP argument names with a meaning of their own; every other argument
// goes into the world's payload.
const (
	ArgOp             = "op"
	ArgIdempotencyKey = "idempotency_key"
	ArgRef            = "ref"
)

// LookupTool is the MCP tool that answers a lookup by key.
const LookupTool = "lookup"

// MCPServer returns an MCP server (modelcontextprotocol/go-sdk) with one
// tool per tool served, annotated from its registration, and the lookup
// tool. Serve it over mcp.NewInMemoryTransports or [Server.MCPHandler].
func (s *Server) MCPServer() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "chaosrun-world", Version: "v1"}, nil)
	for _, e := range s.entries {
		srv.AddTool(&mcp.Tool{Name: e.Tool, Description: "the world's " + e.Tool, InputSchema: callSchema,
			Annotations: Annotations(e, s.entries)}, s.mcpCall(e.Tool))
	}
	srv.AddTool(&mcp.Tool{Name: LookupTool, Description: "did the operation with this key happen, and with what result?",
		InputSchema: lookupSchema, Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: ptr(false)}},
		s.mcpLookup)
	return srv
}

// MCPHandler serves [Server.MCPServer] over the streamable HTTP transport,
// one JSON reply per request.
func (s *Server) MCPHandler() http.Handler {
	srv := s.MCPServer()
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv },
		&mcp.StreamableHTTPOptions{JSONResponse: true})
}

var callSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		ArgOp:             map[string]any{"type": "string", "description": "the operation id the execution's inputs carry"},
		ArgIdempotencyKey: map[string]any{"type": "string"},
		ArgRef:            map[string]any{"type": "string", "description": "the effect to undo, for a compensator"},
	},
	"required":             []string{ArgOp},
	"additionalProperties": true,
}

var lookupSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"tool":   map[string]any{"type": "string"},
		"tenant": map[string]any{"type": "string"},
		"key":    map[string]any{"type": "string"},
	},
	"required": []string{"tool", "tenant", "key"},
}

// Annotations maps a registration to MCP's tool hints:
//
//	readOnlyHint     no side effects
//	idempotentHint   class idempotent
//	destructiveHint  side effects that are tier 3 (irreversible, financial) or that undo another tool's
//	openWorldHint    class unknown (a third party) or a trigger of another pipeline
func Annotations(e registry.Entry, all []registry.Entry) *mcp.ToolAnnotations {
	undoes := false
	for _, o := range all {
		undoes = undoes || o.Compensator == e.Tool
	}
	return &mcp.ToolAnnotations{
		Title:           strings.ReplaceAll(e.Tool, "_", " "),
		ReadOnlyHint:    !e.SideEffects,
		IdempotentHint:  e.Class == registry.Idempotent,
		DestructiveHint: ptr(e.SideEffects && (e.Tier >= 3 || undoes)),
		OpenWorldHint:   ptr(e.Class == registry.Unknown || e.Signals),
	}
}

func ptr[T any](v T) *T { return &v }

// mcpCall is a tool's MCP handler. Faults become what an MCP client can
// see: a tool error (isError) for a status, a protocol error for a reply
// lost, no reply until the client cancels for a timeout.
func (s *Server) mcpCall(tool string) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var args map[string]any
		if err := json.Unmarshal(req.Params.Arguments, &args); err != nil {
			return nil, fmt.Errorf("decode the arguments: %w", err)
		}
		opID, _ := args[ArgOp].(string)
		op, err := ParseOp(opID)
		if err != nil {
			return nil, err
		}
		key, _ := args[ArgIdempotencyKey].(string)
		ref, _ := args[ArgRef].(string)
		delete(args, ArgOp)
		delete(args, ArgIdempotencyKey)
		delete(args, ArgRef)
		st, f := s.site(Site{Phase: Call, Tool: tool, Op: op, Key: key, Tenant: op.Tenant})
		switch f.Kind {
		case Unavailable, Outage, RateLimit, Refuse:
			f.then()
			r := Reply{Status: 503, RetryAfter: f.RetryAfter, Outcome: "tool error before the tool acted"}
			if f.Kind == RateLimit {
				r.Status = 429
			}
			s.record(st, f, r)
			return toolError(fmt.Sprintf("%s: retry after %s", f.Kind, f.RetryAfter)), nil
		}
		c := engine.Call{AttemptID: store.AttemptID{Tenant: op.Tenant, Exec: op.Exec, Step: op.Step, Attempt: st.Attempt}, Tool: tool,
			Key: key, Payload: Payload(args), Ref: ref}
		if f.Kind == Zombie {
			s.park(c, op)
			f.then()
			s.record(st, f, Reply{Outcome: "protocol error; the effect is held back"})
			return nil, errReplyLost
		}
		resp, err := s.invoke(ctx, c)
		f.then()
		switch f.Kind {
		case Reset, StreamCut:
			s.record(st, f, Reply{Outcome: "protocol error after the tool acted"})
			return nil, errReplyLost
		case Timeout:
			hold(ctx, f.Hold)
			s.record(st, f, Reply{Outcome: "no reply after the tool acted"})
			return nil, errReplyLost
		case Status:
			s.record(st, f, Reply{Status: f.Status, Outcome: "tool error after the tool acted"})
			return toolError(fmt.Sprintf("status %d", f.Status)), nil
		}
		if err != nil {
			s.record(st, f, Reply{Status: 500, Outcome: "tool error: " + err.Error()})
			return toolError(err.Error()), nil
		}
		s.record(st, f, Reply{Status: 200, Result: true, Outcome: "result"})
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: resp.Data}},
			StructuredContent: toolReply{Data: resp.Data, Ref: resp.Ref}}, nil
	}
}

var errReplyLost = errors.New("the reply was lost")

func toolError(msg string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: msg}}}
}

func (s *Server) mcpLookup(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var args struct{ Tool, Tenant, Key string }
	if err := json.Unmarshal(req.Params.Arguments, &args); err != nil {
		return nil, fmt.Errorf("decode the arguments: %w", err)
	}
	r := engine.LookupRequest{AttemptID: store.AttemptID{Tenant: args.Tenant}, Tool: args.Tool, Key: args.Key}
	st, f := s.site(Site{Phase: Lookup, Tool: r.Tool, Key: r.Key, Tenant: r.Tenant})
	switch f.Kind {
	case Unavailable, Outage, RateLimit, Refuse, Status:
		f.then()
		s.record(st, f, Reply{Status: 503, RetryAfter: f.RetryAfter, Outcome: "tool error"})
		return toolError(f.Kind.String()), nil
	}
	res, err := s.lookup(ctx, r, f)
	f.then()
	if err != nil {
		s.record(st, f, Reply{Status: 500, Outcome: "tool error: " + err.Error()})
		return toolError(err.Error()), nil
	}
	s.record(st, f, Reply{Status: 200, Result: true, Found: res.Found, Outcome: fmt.Sprintf("found=%t", res.Found)})
	reply := lookupReply{Found: res.Found, Refs: res.Refs, Data: res.Response.Data, Ref: res.Response.Ref}
	b, _ := json.Marshal(reply)
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: reply}, nil
}
