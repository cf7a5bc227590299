package harness

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/scenarios"
)

// Execution is one generated execution as the code under test is given
// it: a tenant, a workflow and, for each step, the operation id the
// requests of that step carry. The operation id is the business identity
// the fakes count effects by; the code passes it on unchanged.
type Execution struct {
	ID       string
	Tenant   string
	Workflow string
	Steps    []Step
	// Input is what the execution was asked: "request" and "goal".
	Input map[string]string
	// Run is 0 for the execution as first given, n in the n-th resume
	// after a crash of the code running it.
	Run int
}

// Step is one step of an [Execution].
type Step struct {
	Index int
	// Tool is the world's tool the step calls.
	Tool string
	// Op is the step's operation id, "tenant/execution/step": the "op"
	// field of a tool call's body, metadata["op"] of a chat completion, the
	// "op" argument of an MCP call.
	Op string
	// Args are the step's arguments, as a tool call's "args" (a planner
	// reads the goal and the request from them).
	Args map[string]any
}

// executionOf turns a generated execution into what the code is given.
func executionOf(x scenarios.Execution) Execution {
	in := x.Store().Input
	out := Execution{ID: x.ID, Tenant: x.Tenant, Workflow: x.Workflow.Name, Input: in}
	for i, tool := range x.Workflow.Tools {
		op := wire.OpID(opOf(x.Tenant, x.ID, i))
		out.Steps = append(out.Steps, Step{Index: i, Tool: tool, Op: op, Args: map[string]any{"request": in["request"], "goal": in["goal"]}})
	}
	return out
}

// DeadLettered marks what Report is told as an execution the code queued
// for human review: its effects are left for the reviewer, not orphaned.
func DeadLettered(err error) error { return &ending{status: store.DeadLettered, err: err} }

// Compensated marks what Report is told as an execution the code
// compensated: it undid its effects (through the tools' compensators) and
// gave up.
func Compensated(err error) error { return &ending{status: store.Compensated, err: err} }

type ending struct {
	status store.Status
	err    error
}

func (e *ending) Error() string {
	if e.err == nil {
		return e.status.String()
	}
	return e.err.Error()
}

func (e *ending) Unwrap() error { return e.err }

// statusOf reads what the code said became of an execution: nil is
// completed, an error marked by DeadLettered or Compensated is that, any
// other error failed, its text the cause.
func statusOf(err error) (store.Status, string) {
	var e *ending
	switch {
	case err == nil:
		return store.Completed, ""
	case errors.As(err, &e):
		return e.status, err.Error()
	}
	return store.Failed, err.Error()
}

// System is the handle the code under test is run through: the world's
// endpoints, the generated executions, a context per execution, and where
// the code says what became of each. It is safe for concurrent use.
type System struct {
	execs  []Execution
	client *http.Client
	ep     *wire.Endpoints
	rec    *wireRecorder
	ctx    context.Context

	mu      sync.Mutex
	runs    map[string]*incarnation
	restart func(Execution)
	resumes []Execution
}

// incarnation is the execution as the code now runs it: its run and its
// context, cancelled when the code running it crashes.
type incarnation struct {
	x        Execution
	ctx      context.Context
	cancel   context.CancelFunc
	reported bool
}

func newSystem(ctx context.Context, execs []Execution, client *http.Client, ep *wire.Endpoints, rec *wireRecorder) *System {
	s := &System{execs: execs, client: client, ep: ep, rec: rec, ctx: ctx, runs: map[string]*incarnation{}}
	for _, x := range execs {
		c, cancel := context.WithCancel(ctx)
		s.runs[x.ID] = &incarnation{x: x, ctx: c, cancel: cancel}
	}
	return s
}

// Executions returns the generated executions, in order.
func (s *System) Executions() []Execution { return append([]Execution(nil), s.execs...) }

// HTTPClient returns the client that reaches the world: on the in-memory
// network in a bubble, over loopback in net mode. A team's code that
// builds its own client gives it this one's Transport.
func (s *System) HTTPClient() *http.Client { return s.client }

// ModelBaseURL is the OpenAI-compatible API's base URL, for openai-go's
// option.WithBaseURL.
func (s *System) ModelBaseURL() string { return s.ep.ModelBaseURL }

// ToolURL is the URL a tool's calls are posted to; its lookup by key is
// at ToolURL(tool) + "/lookup".
func (s *System) ToolURL(tool string) string { return s.ep.Tools[tool] }

// ToolURLs maps every tool to its URL (a copy).
func (s *System) ToolURLs() map[string]string { return maps.Clone(s.ep.Tools) }

// MCPTransport returns a transport to the world's MCP server (streamable
// HTTP over HTTPClient), for the go-sdk's mcp.Client.Connect. Each call
// returns a new one; close the session it opens when done.
func (s *System) MCPTransport() mcp.Transport {
	return &mcp.StreamableClientTransport{Endpoint: s.ep.MCP, HTTPClient: s.client, DisableStandaloneSSE: true}
}

// Context returns the context of the execution as x's run of it: it is
// cancelled when the code running that run crashes, and when the case
// reaches its time limit. The context of a run that crashed is cancelled.
func (s *System) Context(x Execution) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.runs[x.ID]
	if in == nil || in.x.Run != x.Run {
		c, cancel := context.WithCancel(s.ctx)
		cancel()
		return c
	}
	return in.ctx
}

// Report says what the code says became of the execution: nil, it
// completed; an error, it failed with that cause — or, marked by
// [DeadLettered] or [Compensated], that. Only the first report of the
// execution's current run counts: a crashed run's report is its dead
// process's, and nobody hears it.
func (s *System) Report(x Execution, err error) {
	s.mu.Lock()
	in := s.runs[x.ID]
	if in == nil || in.x.Run != x.Run || in.reported {
		s.mu.Unlock()
		s.rec.note(x, "a report nobody hears (a crashed run's, or a second one): "+errText(err))
		return
	}
	in.reported = true
	s.mu.Unlock()
	status, cause := statusOf(err)
	s.rec.finish(x, status, cause)
}

func errText(err error) string {
	if err == nil {
		return "completed"
	}
	return err.Error()
}

// OnRestart gives what a restart of the team's process does for an
// execution it finds unfinished: the harness calls f, once the body has
// returned and a restart delay has passed, for every execution whose code
// crashed, with the execution's next run. A body that gives none is
// never crashed: there is nothing to restart it with. Call it before
// starting the executions.
func (s *System) OnRestart(f func(x Execution)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.restart = f
}

// crash is the fault schedule's crash of the code running the step's
// execution: nil when it cannot be crashed (no restart, or it has ended).
func (s *System) crash(site wire.Site, after bool) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.runs[site.Op.Exec]
	if s.restart == nil || in == nil || in.reported {
		return nil
	}
	run := in.x.Run
	return func() {
		s.mu.Lock()
		in := s.runs[site.Op.Exec]
		if in.x.Run != run || in.reported {
			s.mu.Unlock()
			return
		}
		in.cancel()
		next := in.x
		next.Run++
		c, cancel := context.WithCancel(s.ctx)
		s.runs[next.ID] = &incarnation{x: next, ctx: c, cancel: cancel}
		s.resumes = append(s.resumes, next)
		s.mu.Unlock()
		where := "before the tool acted"
		if after {
			where = "after the tool acted"
		}
		s.rec.crash(in.x, site, where)
	}
}

// resume runs the restart hook for every crashed execution, one after the
// other, each after delay, until none is left (a resumed run may crash
// too).
func (s *System) resume(delay time.Duration) {
	for {
		s.mu.Lock()
		if len(s.resumes) == 0 || s.ctx.Err() != nil {
			s.mu.Unlock()
			return
		}
		x := s.resumes[0]
		s.resumes = s.resumes[1:]
		f := s.restart
		s.mu.Unlock()
		time.Sleep(delay)
		s.rec.recover(x)
		f(x)
	}
}
