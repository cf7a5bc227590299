package feasibility_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// backoff v5.0.3's Retry with its defaults: every error retried, no limit
// on tries, until 15 minutes (DefaultMaxElapsedTime) have passed; intervals
// from 500ms growing 1.5x to 60s, each randomized ±50% with the global
// math/rand/v2. On the bubble's clock the quarter of an hour costs nothing.
func TestBackoffRetriesForFifteenVirtualMinutes(t *testing.T) {
	var tries int
	var elapsed time.Duration
	wall := time.Now() // outside the bubble: the wall clock, to log
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, always(fakes.SendEmail, wire.Fault{Kind: wire.Unavailable}))
		start := time.Now()
		_, err := backoff.Retry(t.Context(), func() (struct{}, error) {
			tries++
			return struct{}{}, post(t.Context(), r.http, r.ep.Tools[fakes.SendEmail], "")
		})
		elapsed = time.Since(start)
		if err == nil {
			t.Fatal("a tool down for good did not fail the retry")
		}
		if elapsed < 13*time.Minute+30*time.Second || elapsed > 15*time.Minute || tries < 15 {
			t.Fatalf("%d tries in %v of virtual time; want them to run out near 15 minutes", tries, elapsed)
		}
	})
	t.Logf("%d tries over %v of virtual time, %v of wall time", tries, elapsed, time.Since(wall))
}

// A reply lost after the tool acted is an error like any other: the
// default Retry calls again, and a keyless tool acts twice.
func TestBackoffRetriesALostReply(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := setup(t, at(fakes.SendEmail, wire.Fault{Kind: wire.Reset}, 1))
		_, err := backoff.Retry(t.Context(), func() (struct{}, error) {
			return struct{}{}, post(t.Context(), r.http, r.ep.Tools[fakes.SendEmail], "")
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := r.applied(fakes.SendEmail); n != 2 {
			t.Fatalf("%d emails, want 2", n)
		}
	})
}
