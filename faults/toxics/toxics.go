package toxics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	client "github.com/Shopify/toxiproxy/v2/client"
	"github.com/rs/zerolog"
)

// Server is Toxiproxy embedded in this process, its API on loopback.
type Server struct {
	api  *toxiproxy.ApiServer
	ln   net.Listener
	http *http.Server
}

// Start starts an embedded Toxiproxy with no proxies.
func Start() (*Server, error) {
	api := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("toxiproxy API: listen on loopback: %w", err)
	}
	s := &Server{api: api, ln: ln, http: &http.Server{Handler: api.Routes(), ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// API returns the address of Toxiproxy's HTTP API, for [Connect].
func (s *Server) API() string { return "http://" + s.ln.Addr().String() }

// Proxy starts a proxy named name in front of upstream (host:port) and
// returns the loopback address it listens on.
func (s *Server) Proxy(name, upstream string) (string, error) {
	p := toxiproxy.NewProxy(s.api, name, "127.0.0.1:0", upstream)
	if err := s.api.Collection.Add(p, true); err != nil {
		return "", fmt.Errorf("toxiproxy: proxy %s to %s: %w", name, upstream, err)
	}
	return p.Listen, nil
}

// Remove stops a proxy and closes its connections.
func (s *Server) Remove(name string) error {
	if err := s.api.Collection.Remove(name); err != nil {
		return fmt.Errorf("toxiproxy: remove proxy %s: %w", name, err)
	}
	return nil
}

// Reset removes every toxic from a proxy, whoever added it, in this
// process without a call to the API: a proxy that serves run after run
// starts each run bare. A proxy without toxics is left as it is.
func (s *Server) Reset(name string) error {
	p, err := s.api.Collection.Get(name)
	if err != nil {
		return fmt.Errorf("toxiproxy: proxy %s: %w", name, err)
	}
	if len(p.Toxics.GetToxicArray()) > 0 {
		p.Toxics.ResetToxics(context.Background())
	}
	return nil
}

// Close stops every proxy and the API.
func (s *Server) Close() error {
	_ = s.api.Collection.Clear()
	return s.http.Close()
}

// Toxic is one Toxiproxy toxic. Its toxicity is always 1.
type Toxic struct {
	Type   string
	Stream string // "upstream" (client to server) or "downstream" (server to client)
	Attrs  map[string]any
}

// The toxics chaosrun uses.
var (
	// HoldReplies drops everything the server sends: the request arrives,
	// the tool acts, the reply never comes and the client times out.
	HoldReplies = Toxic{Type: "timeout", Stream: "downstream", Attrs: map[string]any{"timeout": 0}}
	// ResetOnReply resets the connection when the reply starts: the tool has
	// acted, the client sees a reset.
	ResetOnReply = Toxic{Type: "reset_peer", Stream: "downstream", Attrs: map[string]any{"timeout": 0}}
	// HoldRequests drops everything the client sends: the request never
	// arrives, and the client, which sent it, times out not knowing that.
	HoldRequests = Toxic{Type: "timeout", Stream: "upstream", Attrs: map[string]any{"timeout": 0}}
)

// CutAfter lets n bytes of the reply through, then closes the connection.
func CutAfter(n int) Toxic {
	return Toxic{Type: "limit_data", Stream: "downstream", Attrs: map[string]any{"bytes": n}}
}

// Slow delays every reply by d.
func Slow(d time.Duration) Toxic {
	return Toxic{Type: "latency", Stream: "downstream", Attrs: map[string]any{"latency": d.Milliseconds()}}
}

// Control adds and removes toxics through Toxiproxy's API.
type Control struct {
	c *client.Client
}

// Connect returns a Control for the API at addr (see [Server.API]).
func Connect(api string) *Control { return &Control{c: client.NewClient(api)} }

// A toxic's name says which process added it (see Clear): several processes
// add toxics to the same proxies.
var (
	owner = strconv.Itoa(os.Getpid())
	seq   atomic.Int64
)

// Apply adds t to a proxy and returns the function that removes it.
func (c *Control) Apply(proxy string, t Toxic) (undo func() error, err error) {
	return c.apply(proxy, []Toxic{t})
}

// The cut link: every connection is reset at its first byte either way,
// and nothing passes.
var cut = []Toxic{
	{Type: "reset_peer", Stream: "upstream", Attrs: map[string]any{"timeout": 0}},
	{Type: "reset_peer", Stream: "downstream", Attrs: map[string]any{"timeout": 0}},
}

// Cut cuts a proxy's link and returns the function that restores it. The
// proxy keeps listening — a disabled proxy would close its listener, and
// another process could take the port before it listens again — but every
// connection through it, open or new, is reset as soon as a byte flows
// either way (toxic reset_peer on both streams), and no byte reaches the
// other side. A client sees its connection reset; the server, at most a
// connection opened and closed.
func (c *Control) Cut(proxy string) (undo func() error, err error) {
	return c.apply(proxy, cut)
}

func (c *Control) apply(proxy string, ts []Toxic) (undo func() error, err error) {
	p, err := c.c.Proxy(proxy)
	if err != nil {
		return nil, fmt.Errorf("toxiproxy: proxy %s: %w", proxy, err)
	}
	var names []string
	undo = func() error {
		for _, name := range names {
			if err := p.RemoveToxic(name); err != nil {
				return fmt.Errorf("toxiproxy: remove %s from %s: %w", name, proxy, err)
			}
		}
		return nil
	}
	for _, t := range ts {
		name := fmt.Sprintf("%s-%s-%s-%d", owner, t.Type, t.Stream, seq.Add(1))
		if _, err := p.AddToxic(name, t.Type, t.Stream, 1, client.Attributes(t.Attrs)); err != nil {
			return nil, errors.Join(fmt.Errorf("toxiproxy: add %s to %s: %w", t.Type, proxy, err), undo())
		}
		names = append(names, name)
	}
	return undo, nil
}

// Clear removes from a proxy every toxic another process added: what an
// engine process that applied them and died can no longer undo itself. The
// toxics this process added (a link it cut itself, say) stay.
func (c *Control) Clear(proxy string) error {
	p, err := c.c.Proxy(proxy)
	if err != nil {
		return fmt.Errorf("toxiproxy: proxy %s: %w", proxy, err)
	}
	toxics, err := p.Toxics()
	if err != nil {
		return fmt.Errorf("toxiproxy: list the toxics of %s: %w", proxy, err)
	}
	for _, t := range toxics {
		if strings.HasPrefix(t.Name, owner+"-") {
			continue
		}
		if err := p.RemoveToxic(t.Name); err != nil {
			return fmt.Errorf("toxiproxy: remove %s from %s: %w", t.Name, proxy, err)
		}
	}
	return nil
}
