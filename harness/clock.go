package harness

import (
	"context"
	"time"
)

// Epoch is where every simulated run's virtual clock starts.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// VirtualClock is a clock that moves only when told to. Sleeping on it
// costs no wall time: it moves the clock forward. It is meant for one
// single-threaded simulation.
type VirtualClock struct{ now time.Time }

// NewVirtualClock returns a clock at Epoch.
func NewVirtualClock() *VirtualClock { return &VirtualClock{now: Epoch} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time { return c.now }

// Sleep moves the clock forward by d.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return ctx.Err()
}

// AdvanceTo moves the clock to t if t is later.
func (c *VirtualClock) AdvanceTo(t time.Time) {
	if t.After(c.now) {
		c.now = t
	}
}

// Elapsed returns the virtual time since Epoch.
func (c *VirtualClock) Elapsed() time.Duration { return c.now.Sub(Epoch) }
