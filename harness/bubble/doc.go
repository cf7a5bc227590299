// Package bubble runs code under test in a testing/synctest bubble with a
// virtual-time limit, and turns a run that does not end into a [Hang]
// (reported by the harness as a terminal-state violation) instead of a
// test timeout.
//
// # How a hang is caught
//
// The body runs in a goroutine of the bubble; the bubble's root waits for
// it with a timer set to the virtual limit. Time in a bubble advances only
// when every goroutine in it is durably blocked, so a body stuck for good
// (a deadlock: every goroutine waiting on a channel, a sync.Cond or a
// WaitGroup of the bubble) and a body that never stops retrying (a
// livelock of sleeps and timers) both let the clock reach the limit — at
// no wall-clock cost. At the limit the stacks of the bubble's goroutines
// are taken (runtime.Stack of every goroutine, kept where the header says
// "synctest bubble N" for this bubble's N), the body's context is
// cancelled, and the root waits a grace period for the body to return.
//
// Goroutines still blocked when the root returns make synctest.Test panic
// ("deadlock: main bubble goroutine has exited but blocked goroutines
// remain"); so does a bubble with no timer left ("deadlock: all goroutines
// in bubble are blocked"). The panic is raised in the goroutine that called
// synctest.Test, outside the bubble, and [Run] recovers it: the leaked
// goroutines stay parked for the life of the process, costing memory only.
//
// # What it cannot catch
//
// A goroutine blocked on something that is not durably blocking — a
// sync.Mutex held by a goroutine that waits, real network I/O, a system
// call, a channel made outside the bubble — stops the clock without
// deadlocking it: the limit never comes. Opts.Wall bounds that case on the
// wall clock; past it Run panics with the bubble's stacks (the bubble
// cannot be stopped from outside), which still beats a bare test timeout.
package bubble
