package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Hosts on the in-memory network.
const (
	ModelHost      = "model"
	MCPHost        = "mcp"
	DownstreamHost = "downstream"
)

// DeliverPath is the downstream consumer's path.
const DeliverPath = "/v1/deliver"

// ToolHost returns the host a tool answers on: one host per tool, so that
// a dial names the tool it is for.
func ToolHost(tool string) string { return strings.ReplaceAll(tool, "_", "-") + ".tools" }

// Endpoints are the URLs the code under test is given.
type Endpoints struct {
	// ModelBaseURL is the base URL of the chat completions API, for
	// openai-go's option.WithBaseURL: "http://model/v1".
	ModelBaseURL string
	// Tools maps each tool to the URL its calls are posted to.
	Tools map[string]string
	// MCP is the URL of the MCP server (streamable HTTP).
	MCP string
	// Downstream is the URL streamed chunks are delivered to.
	Downstream string
}

// Serve puts the server on a memnet network: the model, MCP and the
// downstream consumer on their hosts, each tool on its own. Dials to a
// tool's host meet the [Dial] faults. [Server.Shutdown] stops them.
func (s *Server) Serve(n *memnet.Network) (*Endpoints, error) {
	ep := &Endpoints{ModelBaseURL: "http://" + ModelHost + "/v1", Tools: map[string]string{},
		MCP: "http://" + MCPHost + "/mcp", Downstream: "http://" + DownstreamHost + DeliverPath}
	mounts := []struct {
		host string
		h    http.Handler
		tool string
	}{{ModelHost, s.ModelHandler(), fakes.LLMComplete}, {MCPHost, s.MCPHandler(), ""}, {DownstreamHost, s.DownstreamHandler(), ""}}
	for _, tool := range s.Tools() {
		mounts = append(mounts, struct {
			host string
			h    http.Handler
			tool string
		}{ToolHost(tool), s.ToolHandler(tool), tool})
		ep.Tools[tool] = "http://" + ToolHost(tool) + ToolPath(tool)
	}
	for _, m := range mounts {
		l, err := n.Listen(m.host + ":80")
		if err != nil {
			return nil, err
		}
		if m.tool != "" {
			tool := m.tool
			l.SetGate(func() error { return s.dial(tool) })
		}
		hs := &http.Server{Handler: m.h}
		s.mu.Lock()
		s.servers = append(s.servers, hs)
		s.mu.Unlock()
		go hs.Serve(l)
	}
	return ep, nil
}

// Shutdown stops the HTTP servers Serve started, waiting for the requests
// in flight, then lands every zombie still held back ([Server.Close]).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, hs := range servers {
		errs = append(errs, hs.Shutdown(ctx))
	}
	s.Close()
	return errors.Join(errs...)
}

// deliverRequest is the body of a delivery to the downstream consumer.
type deliverRequest struct {
	Op    string `json:"op"`
	Token string `json:"token,omitempty"`
	Index int    `json:"index"`
	Text  string `json:"text"`
}

// DownstreamHandler serves the downstream consumer of streamed chunks.
func (s *Server) DownstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+DeliverPath, func(w http.ResponseWriter, r *http.Request) {
		var body deliverRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
			writeError(w, http.StatusBadRequest, 0, codeMalformed, fmt.Sprintf("decode the body: %v", err))
			return
		}
		op, err := ParseOp(body.Op)
		if err != nil {
			writeError(w, http.StatusBadRequest, 0, codeMalformed, err.Error())
			return
		}
		ch := engine.Chunk{AttemptID: store.AttemptID{Tenant: op.Tenant, Exec: op.Exec, Step: op.Step, Attempt: s.Attempts(op, fakes.LLMComplete)},
			Token: body.Token, Index: body.Index, Text: body.Text}
		if err := s.world.Deliver(r.Context(), ch); err != nil {
			writeWorldError(w, err)
			return
		}
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
