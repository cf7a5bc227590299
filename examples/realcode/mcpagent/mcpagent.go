// Package mcpagent is an agent that calls its tools over MCP with the
// modelcontextprotocol/go-sdk client, in a retry loop, as teams write it.
// It knows nothing of chaosrun: it is given an MCP transport.
//
// Naive (Careful false) calls a tool again on any error — a protocol
// error, a tool error — after a backoff: a ticket whose reply was lost
// after it was opened is opened again. Careful reads each tool's
// annotations: a tool with readOnlyHint or idempotentHint is retried
// freely; any other gets the operation id as its idempotency_key argument,
// and before it is called again the server's lookup tool is asked whether
// the operation already happened (one that answers no lookup is not
// called again: it may have acted, and nothing can tell). It waits out the
// "retry after" a tool error names, and bounds every call. It trusts the
// hints: where one is wrong, so is the agent.
package mcpagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Agent is a connected MCP client and what it read of the tools.
type Agent struct {
	session *mcp.ClientSession
	hints   map[string]*mcp.ToolAnnotations
	careful bool
}

// Connect opens a session over the transport and lists the tools.
func Connect(ctx context.Context, t mcp.Transport, careful bool) (*Agent, error) {
	client := mcp.NewClient(&mcp.Implementation{Name: "helpdesk-agent", Version: "v1"}, nil)
	s, err := client.Connect(ctx, t, nil)
	if err != nil {
		return nil, err
	}
	a := &Agent{session: s, hints: map[string]*mcp.ToolAnnotations{}, careful: careful}
	for tool, err := range s.Tools(ctx, nil) {
		if err != nil {
			s.Close()
			return nil, err
		}
		a.hints[tool.Name] = tool.Annotations
	}
	return a, nil
}

// Close ends the session.
func (a *Agent) Close() error { return a.session.Close() }

// Step is one tool call of a job; Op is the operation id the job carries.
type Step struct {
	Tool string
	Op   string
	Args map[string]any
}

// Run calls the steps in order for the tenant and returns the first error.
func (a *Agent) Run(ctx context.Context, tenant string, steps []Step) error {
	for i, st := range steps {
		if err := a.step(ctx, tenant, st); err != nil {
			return fmt.Errorf("step %d (%s): %w", i, st.Tool, err)
		}
	}
	return nil
}

// safe reports whether a tool may be called again as it is: read-only or
// idempotent, by its annotations.
func (a *Agent) safe(tool string) bool {
	h := a.hints[tool]
	return h != nil && (h.ReadOnlyHint || h.IdempotentHint)
}

// errNoLookup is the lookup tool's answer for a tool that answers none.
var errNoLookup = errors.New("the tool answers no lookups")

func (a *Agent) step(ctx context.Context, tenant string, st Step) error {
	args := map[string]any{"op": st.Op}
	for k, v := range st.Args {
		args[k] = v
	}
	keyed := a.careful && !a.safe(st.Tool)
	if keyed {
		args["idempotency_key"] = st.Op
	}
	wait := 500 * time.Millisecond
	var err error
	for try := 1; try <= 12; try++ {
		if keyed && try > 1 {
			found, lerr := a.found(ctx, tenant, st)
			switch {
			case lerr == nil && found:
				return nil
			case errors.Is(lerr, errNoLookup):
				return fmt.Errorf("not retried: it may have acted, and nothing can tell: %w", err)
			}
		}
		var after time.Duration
		if after, err = a.call(ctx, st.Tool, args); err == nil {
			return nil
		}
		d := wait
		if a.careful && after > d {
			d = after
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
		wait = min(2*wait, 30*time.Second)
	}
	return err
}

var retryAfter = regexp.MustCompile(`retry after (\S+)`)

// call calls a tool once; a tool error is an error, with the wait its text
// names, if any.
func (a *Agent) call(ctx context.Context, tool string, args map[string]any) (time.Duration, error) {
	if a.careful {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
	}
	res, err := a.session.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		return 0, err
	}
	if !res.IsError {
		return 0, nil
	}
	msg := text(res)
	var d time.Duration
	if m := retryAfter.FindStringSubmatch(msg); m != nil {
		d, _ = time.ParseDuration(m[1])
	}
	return d, errors.New(msg)
}

// found asks the server's lookup tool whether the step's operation happened.
func (a *Agent) found(ctx context.Context, tenant string, st Step) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := a.session.CallTool(ctx, &mcp.CallToolParams{Name: "lookup",
		Arguments: map[string]any{"tool": st.Tool, "tenant": tenant, "key": st.Op}})
	if err != nil {
		return false, err
	}
	if res.IsError {
		if msg := text(res); strings.Contains(msg, "no lookups") {
			return false, fmt.Errorf("%s: %w", msg, errNoLookup)
		}
		return false, errors.New(text(res))
	}
	var r struct{ Found bool }
	b, _ := json.Marshal(res.StructuredContent)
	return r.Found, json.Unmarshal(b, &r)
}

func text(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return "tool error"
}
