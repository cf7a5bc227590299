// Package memnet is an in-memory network whose every blocking operation is
// durably blocking in a [testing/synctest] bubble: an http.Server and an
// http.Client (or any code that dials) talk over it while the bubble's fake
// clock skips over every sleep, timer and deadline.
//
// # Why not net.Pipe or loopback
//
// Loopback sockets block in the kernel: a goroutine reading one is never
// durably blocked, so a bubble never idles and its clock never advances.
// [net.Pipe] blocks on channels, which is durable, but it is synchronous (a
// Write waits for the peer's Read) and it serialises writers with a
// sync.Mutex held across that wait: a second writer queued on the mutex is
// not durably blocked, and a bubble in which one goroutine waits for the
// mutex while the holder waits for a reader that waits for the clock stalls
// for good instead of reporting the deadlock. Go's own net/http tests use a
// buffered, channel-based connection for this reason (net/http's
// netconn_test.go). memnet does the same: a [Conn]'s writes go to an
// unbounded buffer and never block; reads wait on channels; locks are held
// only for a copy, never across a wait; deadlines are bubble timers.
//
// # Behaviour that faults rely on
//
//   - [Network.DialContext] to an address nobody listens on, to a closed
//     [Listener], or to one whose gate says no, fails at once with a
//     *net.OpError wrapping syscall.ECONNREFUSED: nothing was sent.
//   - [Conn.Close]: the peer reads what was already written, then io.EOF;
//     the peer's later writes fail with syscall.EPIPE.
//   - [Conn.Reset] (an RST): what was buffered towards the peer is dropped,
//     and the peer's reads and writes fail with syscall.ECONNRESET.
//   - [Conn.Cut]: the same, after the peer has read what was written — the
//     deterministic reset, for faults that cut a reply after k bytes.
//   - A deadline that passes fails reads or writes with an error for which
//     errors.Is(err, os.ErrDeadlineExceeded) holds and Timeout() is true.
//
// # Use
//
// Create the [Network] inside the bubble: channels and timers belong to the
// bubble that creates them, and a goroutine waiting on a channel made
// outside the bubble is not durably blocked. [Network.Transport] returns an
// *http.Transport that dials the network and uses no proxy; close its idle
// connections before the bubble ends, or their goroutines outlive it.
package memnet
