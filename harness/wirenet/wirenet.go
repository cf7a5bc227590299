package wirenet

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/faults/toxics"
)

// Opts configure a Network. The zero value (or nil) means no added
// latency.
type Opts struct {
	// Latency, when set, delays every reply of every host by it.
	Latency time.Duration
}

// Network is the embedded Toxiproxy and the proxies of the cases it
// serves. It is safe for concurrent use.
type Network struct {
	o       Opts
	proxy   *toxics.Server
	control *toxics.Control
	cases   atomic.Int64

	mu    sync.Mutex
	tools map[string]string // tool -> its proxy, for the case being served
	downs []*time.Timer
}

// New starts an embedded Toxiproxy.
func New(opts *Opts) (*Network, error) {
	var o Opts
	if opts != nil {
		o = *opts
	}
	p, err := toxics.Start()
	if err != nil {
		return nil, err
	}
	return &Network{o: o, proxy: p, control: toxics.Connect(p.API()), tools: map[string]string{}}, nil
}

// Serve puts every host of the server on a loopback socket behind a proxy
// of its own, and returns the proxies' endpoints, a client, and what
// releases the case's proxies. One case is served at a time.
func (n *Network) Serve(srv *wire.Server) (*wire.Endpoints, *http.Client, func(), error) {
	c := n.cases.Add(1)
	var names []string
	tools := map[string]string{}
	release := func() {
		n.mu.Lock()
		for _, t := range n.downs {
			t.Stop()
		}
		n.downs = nil
		n.mu.Unlock()
		for _, name := range names {
			n.proxy.Remove(name)
		}
	}
	ep, err := srv.ServeOn(func(h wire.Host) (net.Listener, string, error) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, "", err
		}
		name := fmt.Sprintf("case%d-%s", c, h.Name)
		addr, err := n.proxy.Proxy(name, l.Addr().String())
		if err != nil {
			l.Close()
			return nil, "", err
		}
		names = append(names, name)
		if h.Tool != "" {
			tools[h.Tool] = name
		}
		if n.o.Latency > 0 {
			if _, err := n.control.Apply(name, toxics.Slow(n.o.Latency)); err != nil {
				l.Close()
				return nil, "", err
			}
		}
		return l, "http://" + addr, nil
	})
	if err != nil {
		release()
		return nil, nil, nil, err
	}
	n.mu.Lock()
	n.tools = tools
	n.mu.Unlock()
	return ep, &http.Client{Transport: &http.Transport{}}, release, nil
}

// Down cuts the tool's proxy for d (toxics.Control.Cut): every connection
// through it, open or new, is reset and nothing reaches the tool.
// Implements harness.Outager.
func (n *Network) Down(tool string, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	name, ok := n.tools[tool]
	if !ok {
		return
	}
	undo, err := n.control.Cut(name)
	if err != nil {
		return // the server answers 503 for the outage all the same
	}
	n.downs = append(n.downs, time.AfterFunc(d, func() { undo() }))
}

// Close stops the proxies and Toxiproxy.
func (n *Network) Close() error {
	return errors.Join(n.proxy.Close())
}
