package memnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// ErrAddrInUse is returned by [Network.Listen] for an address taken.
var ErrAddrInUse = errors.New("address already in use")

// Network is a set of listeners by address. It is safe for concurrent use.
type Network struct {
	mu        sync.Mutex
	listeners map[Addr]*Listener
	port      int
}

// New returns an empty network. Call it inside the bubble that uses it.
func New() *Network {
	return &Network{listeners: map[Addr]*Listener{}, port: 49152}
}

// Listen listens on addr, "host:port" (an http.Transport dials
// "host:80" for "http://host/").
func (n *Network) Listen(addr string) (*Listener, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("listen %q: %w", addr, err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	a := Addr(addr)
	if l, ok := n.listeners[a]; ok && !l.isClosed() {
		return nil, fmt.Errorf("listen %s: %w", addr, ErrAddrInUse)
	}
	l := &Listener{addr: a, wake: make(chan struct{})}
	n.listeners[a] = l
	return l, nil
}

// DialContext connects to addr. It never blocks: a listener takes the
// connection into its backlog, as a kernel does. With no listener, a
// closed one, or a gate that refuses, it fails with ECONNREFUSED.
func (n *Network) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: Addr(addr), Err: err}
	}
	n.mu.Lock()
	l := n.listeners[Addr(addr)]
	n.port++
	local := Addr("127.0.0.1:" + strconv.Itoa(n.port))
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: network, Addr: Addr(addr), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	if l == nil {
		return nil, refused
	}
	c, err := l.enqueue(local)
	if err != nil {
		return nil, refused
	}
	return c, nil
}

// Transport returns an HTTP transport that dials this network and no
// proxy. HTTP/2 is not attempted: there is no TLS on the network.
func (n *Network) Transport() *http.Transport {
	return &http.Transport{DialContext: n.DialContext, Proxy: nil, ForceAttemptHTTP2: false}
}

// Listener is a [net.Listener] on a [Network].
type Listener struct {
	addr Addr

	mu     sync.Mutex
	queue  []*Conn
	closed bool
	gate   func() error
	wake   chan struct{}
}

var _ net.Listener = (*Listener)(nil)

// SetGate sets a function asked on every dial: a non-nil error refuses the
// connection (ECONNREFUSED). Nil removes the gate.
func (l *Listener) SetGate(gate func() error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gate = gate
}

func (l *Listener) enqueue(local Addr) (*Conn, error) {
	l.mu.Lock()
	gate, closed := l.gate, l.closed
	l.mu.Unlock()
	if closed {
		return nil, net.ErrClosed
	}
	if gate != nil {
		if err := gate(); err != nil {
			return nil, err
		}
	}
	c, s := newConnPair(local, l.addr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, net.ErrClosed
	}
	l.queue = append(l.queue, s)
	close(l.wake)
	l.wake = make(chan struct{})
	return c, nil
}

// Accept implements [net.Listener].
func (l *Listener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return c, nil
		}
		wake := l.wake
		l.mu.Unlock()
		<-wake
	}
}

// Close implements [net.Listener]: later dials are refused, and
// connections not yet accepted are reset.
func (l *Listener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return &net.OpError{Op: "close", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
	}
	l.closed = true
	for _, c := range l.queue {
		c.Reset()
	}
	l.queue = nil
	close(l.wake)
	l.wake = make(chan struct{})
	return nil
}

// Addr implements [net.Listener].
func (l *Listener) Addr() net.Addr { return l.addr }

func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
