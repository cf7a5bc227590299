package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// Addr is an address on a [Network]: "host:port".
type Addr string

// Network implements [net.Addr].
func (Addr) Network() string { return "tcp" }

func (a Addr) String() string { return string(a) }

// pipe is one direction of a connection: its writer appends to buf, its
// reader drains it. mu is held only to copy, never across a wait; waiters
// wait on wake, which is closed and replaced on every change.
type pipe struct {
	mu   sync.Mutex
	buf  []byte
	rerr error // returned to the reader once buf is empty
	werr error // returned to the writer
	wake chan struct{}
}

func newPipe() *pipe { return &pipe{wake: make(chan struct{})} }

// signal wakes every waiter. Callers hold p.mu.
func (p *pipe) signal() {
	close(p.wake)
	p.wake = make(chan struct{})
}

func (p *pipe) read(b []byte, dl *deadline) (int, error) {
	for {
		if dl.expired() {
			return 0, os.ErrDeadlineExceeded
		}
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			p.mu.Unlock()
			return n, nil
		}
		if err := p.rerr; err != nil {
			p.mu.Unlock()
			return 0, err
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-wake:
		case <-dl.wait():
		}
	}
}

func (p *pipe) write(b []byte, dl *deadline) (int, error) {
	if dl.expired() {
		return 0, os.ErrDeadlineExceeded
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.werr != nil {
		return 0, p.werr
	}
	p.buf = append(p.buf, b...)
	p.signal()
	return len(b), nil
}

// shut sets the errors each end sees from now on and wakes both: the
// local end's error always, the peer's only if the peer has not closed its
// end already; drop discards what the reader has not read yet.
func (p *pipe) shut(rerr, werr error, localReads, drop bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if drop {
		p.buf = nil
	}
	if localReads || p.rerr == nil {
		p.rerr = rerr
	}
	if !localReads || p.werr == nil {
		p.werr = werr
	}
	p.signal()
}

// Conn is one end of an in-memory connection. Writes never block; reads
// wait for data, the peer's close or reset, or the read deadline.
type Conn struct {
	in, out       *pipe
	local, remote Addr
	rd, wd        deadline
	once          sync.Once
}

var _ net.Conn = (*Conn)(nil)

func newConnPair(client, server Addr) (*Conn, *Conn) {
	up, down := newPipe(), newPipe()
	c := &Conn{in: down, out: up, local: client, remote: server}
	s := &Conn{in: up, out: down, local: server, remote: client}
	return c, s
}

// Read implements [net.Conn].
func (c *Conn) Read(b []byte) (int, error) {
	n, err := c.in.read(b, &c.rd)
	return n, c.opError("read", err)
}

// Write implements [net.Conn].
func (c *Conn) Write(b []byte) (int, error) {
	n, err := c.out.write(b, &c.wd)
	return n, c.opError("write", err)
}

// Close implements [net.Conn]: the peer reads what was written, then
// io.EOF; its later writes fail with EPIPE.
func (c *Conn) Close() error {
	closed := true
	c.once.Do(func() {
		closed = false
		c.in.shut(net.ErrClosed, syscall.EPIPE, true, true)
		c.out.shut(io.EOF, net.ErrClosed, false, false)
	})
	if closed {
		return c.opError("close", net.ErrClosed)
	}
	return nil
}

// Reset aborts the connection as a TCP RST does: what was not yet read by
// the peer is lost, and the peer's reads and writes fail with ECONNRESET.
func (c *Conn) Reset() {
	c.once.Do(func() {
		c.in.shut(net.ErrClosed, syscall.ECONNRESET, true, true)
		c.out.shut(syscall.ECONNRESET, net.ErrClosed, false, true)
	})
}

// Cut aborts the connection after what was written: the peer reads it all,
// then ECONNRESET; its writes fail with ECONNRESET. It is a reset whose
// timing is fixed — a reply cut after k bytes reaches the peer as k bytes
// and an error, every time — where [Conn.Reset] loses what the peer had not
// read yet, as an RST does.
func (c *Conn) Cut() {
	c.once.Do(func() {
		c.in.shut(net.ErrClosed, syscall.ECONNRESET, true, true)
		c.out.shut(syscall.ECONNRESET, net.ErrClosed, false, false)
	})
}

// LocalAddr implements [net.Conn].
func (c *Conn) LocalAddr() net.Addr { return c.local }

// RemoteAddr implements [net.Conn].
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

// SetDeadline implements [net.Conn].
func (c *Conn) SetDeadline(t time.Time) error {
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

// SetReadDeadline implements [net.Conn].
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rd.set(t)
	return nil
}

// SetWriteDeadline implements [net.Conn].
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wd.set(t)
	return nil
}

// opError wraps err as the net package does: io.EOF bare, the rest in a
// *net.OpError (errnos in an *os.SyscallError).
func (c *Conn) opError(op string, err error) error {
	switch err {
	case nil, io.EOF:
		return err
	case syscall.ECONNRESET, syscall.EPIPE:
		err = os.NewSyscallError(op, err)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

// deadline is a settable deadline: a channel closed by a timer, as
// net.Pipe's. In a bubble the timer is the bubble's.
type deadline struct {
	mu    sync.Mutex
	timer *time.Timer
	done  chan struct{}
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.done == nil {
		d.done = make(chan struct{})
	}
	return d.done
}

func (d *deadline) expired() bool {
	select {
	case <-d.wait():
		return true
	default:
		return false
	}
}

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.done == nil || isClosed(d.done) {
		d.done = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	wait := time.Until(t)
	if wait <= 0 {
		close(d.done)
		return
	}
	done := d.done
	d.timer = time.AfterFunc(wait, func() {
		d.mu.Lock()
		defer d.mu.Unlock()
		if !isClosed(done) {
			close(done)
		}
	})
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
