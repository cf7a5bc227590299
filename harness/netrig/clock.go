package netrig

import (
	"context"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// ScaledClock runs faster than the wall clock: virtual time is harness.Epoch plus
// the wall time since its start multiplied by its speedup, and sleeping on
// it sleeps that much less. Net mode uses it so that backoff delays and the
// world's rate-limit windows are compressed while network timeouts stay real.
type ScaledClock struct {
	start   time.Time
	speedup float64
}

// NewScaledClock returns a clock that starts now and runs speedup times
// faster than the wall clock (speedup < 1 means 1).
func NewScaledClock(start time.Time, speedup float64) *ScaledClock {
	if speedup < 1 {
		speedup = 1
	}
	return &ScaledClock{start: start, speedup: speedup}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	return harness.Epoch.Add(time.Duration(float64(time.Since(c.start)) * c.speedup))
}

// Sleep waits d of scaled time, d/speedup of wall time.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	return engine.RealClock.Sleep(ctx, time.Duration(float64(d)/c.speedup))
}

// wallRetry is the scaled duration that lasts 50ms of wall time: how long
// an engine waits before trying an unavailable store again.
func wallRetry(speedup float64) time.Duration {
	return time.Duration(float64(50*time.Millisecond) * max(speedup, 1))
}
