package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
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

// Host is one host the server answers on: the model, MCP, the downstream
// consumer, or one tool (Tool set).
type Host struct {
	Name    string
	Tool    string
	Handler http.Handler
}

// Hosts lists the hosts the server answers on: the model, MCP and the
// downstream consumer, then one per tool ([ToolHost]).
func (s *Server) Hosts() []Host {
	hosts := []Host{{Name: ModelHost, Handler: s.ModelHandler()}, {Name: MCPHost, Handler: s.MCPHandler()},
		{Name: DownstreamHost, Handler: s.DownstreamHandler()}}
	for _, tool := range s.Tools() {
		hosts = append(hosts, Host{Name: ToolHost(tool), Tool: tool, Handler: s.ToolHandler(tool)})
	}
	return hosts
}

// Listen gives Serve a listener for a host and the base URL ("http://…",
// no path) its clients reach it at.
type Listen func(host Host) (l net.Listener, base string, err error)

// Serve puts the server on a memnet network: the model, MCP and the
// downstream consumer on their hosts, each tool on its own. Dials to a
// tool's host meet the [Dial] faults. [Server.Shutdown] stops them.
func (s *Server) Serve(n *memnet.Network) (*Endpoints, error) {
	return s.ServeOn(func(h Host) (net.Listener, string, error) {
		l, err := n.Listen(h.Name + ":80")
		return l, "http://" + h.Name, err
	})
}

// ServeTCP puts every host on a loopback socket of its own (net mode, for
// code that cannot run in a bubble); the endpoints name them by address.
// Dials are not gated: a refused connection needs a proxy in front.
func (s *Server) ServeTCP() (*Endpoints, error) {
	return s.ServeOn(func(Host) (net.Listener, string, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", err
		}
		return l, "http://" + l.Addr().String(), nil
	})
}

// ServeOn serves every host on the listener listen gives it. A tool's
// listener that can gate its dials (memnet's) meets the [Dial] faults.
// On an error the hosts already served are shut down.
func (s *Server) ServeOn(listen Listen) (*Endpoints, error) {
	ep := &Endpoints{Tools: map[string]string{}}
	for _, h := range s.Hosts() {
		l, base, err := listen(h)
		if err != nil {
			s.Shutdown(context.Background())
			return nil, fmt.Errorf("serve %s: %w", h.Name, err)
		}
		if g, ok := l.(interface{ SetGate(func() error) }); ok && h.Tool != "" {
			tool := h.Tool
			g.SetGate(func() error { return s.dial(tool) })
		}
		switch {
		case h.Tool != "":
			ep.Tools[h.Tool] = base + ToolPath(h.Tool)
		case h.Name == ModelHost:
			ep.ModelBaseURL = base + "/v1"
		case h.Name == MCPHost:
			ep.MCP = base + "/mcp"
		case h.Name == DownstreamHost:
			ep.Downstream = base + DeliverPath
		}
		hs := &http.Server{Handler: h.Handler}
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
			writeWorldError(w, err, noRecord)
			return
		}
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
