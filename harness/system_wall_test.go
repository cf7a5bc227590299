package harness_test

import (
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/harness"
)

// The wall time of a checked case of a team's code whose backoff waits
// seconds (2s, doubling to a minute, up to 12 tries a step), with every
// fault kind on. The waits pass on the bubble's clock: a case spans
// minutes of virtual time and costs milliseconds of wall time. (A
// benchmark cannot do this: synctest needs a *testing.T. The wall time is
// logged, not asserted; what is asserted is that the backoff really waited.)
func TestWallTimePerCaseWithABackoffOfSeconds(t *testing.T) {
	w := shop(t)
	space, err := harness.Compile(w)
	if err != nil {
		t.Fatal(err)
	}
	slow := team{wait: 2 * time.Second, tries: 12}
	n := cases(100)
	var virtual, longest time.Duration
	start := time.Now()
	for i := 1; i <= n; i++ {
		run, err := harness.RunSystem(t, w, space.Seeded(uint64(i), true), slow.body, nil)
		if err != nil {
			t.Fatal(err)
		}
		virtual += run.Virtual
		longest = max(longest, run.Virtual)
	}
	wall := time.Since(start)
	t.Logf("%d cases: %v of wall time per case for %v of virtual time per case (the longest %v)",
		n, wall/time.Duration(n), virtual/time.Duration(n), longest)
	if longest < 2*time.Second {
		t.Fatalf("no case waited out a backoff: the longest took %v of virtual time", longest)
	}
}
