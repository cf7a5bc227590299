package harness

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/scenarios"
)

func TestShrinkTimeFitsBeforeTheDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name     string
		bound    time.Duration
		deadline time.Time
		left     int
		want     time.Duration
	}{
		{"no deadline: the bound", 3 * time.Second, time.Time{}, 4, 3 * time.Second},
		{"no deadline, no bound: 10s", 0, time.Time{}, 1, 10 * time.Second},
		{"a share of what remains", time.Minute, now.Add(8 * time.Second), 4, 2 * time.Second},
		{"the bound, when less", time.Second, now.Add(8 * time.Second), 2, time.Second},
		{"nothing after the deadline", time.Minute, now.Add(-time.Millisecond), 1, -time.Millisecond},
	}
	for _, c := range cases {
		if got := shrinkTime(c.bound, c.deadline, now, c.left); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestShrinkReserve(t *testing.T) {
	t.Parallel()
	cases := []struct {
		o    ExploreOpts
		want time.Duration
	}{
		{ExploreOpts{Duration: time.Hour}, 10 * time.Second},
		{ExploreOpts{Duration: time.Hour, ShrinkTime: time.Second}, time.Second},
		{ExploreOpts{Duration: 2 * time.Second}, 500 * time.Millisecond},
		{ExploreOpts{Duration: time.Hour, NoShrink: true}, 0},
		{ExploreOpts{Runs: 100}, 0},
	}
	for _, c := range cases {
		if got := c.o.shrinkReserve(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.o, got, c.want)
		}
	}
}

// stuck is a Runner whose runs never end on their own, as a net-mode run
// waiting on a timeout may not for a while.
type stuck struct{}

func (stuck) Run(ctx context.Context, _ scenarios.Scenario, _ policy.Policy) (*Run, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestDurationCutsARunStillGoingAtTheEnd: a run still going when the
// duration ends is cut and not counted, and its cut is no error.
func TestDurationCutsARunStillGoingAtTheEnd(t *testing.T) {
	t.Parallel()
	s, err := Explore(context.Background(), policy.Reference(), &ExploreOpts{
		Duration: 10 * time.Millisecond, Workers: 2, NewRunner: func() (Runner, error) { return stuck{}, nil },
	})
	if err != nil || s.Runs != 0 {
		t.Fatalf("Explore = %d runs, %v; want 0 runs and no error", s.Runs, err)
	}
}

// TestMinimisationEndsWithTheDeadline: each counterexample is announced to
// Shrinking and minimised; past the deadline none is, and each stays as it
// was found.
func TestMinimisationEndsWithTheDeadline(t *testing.T) {
	t.Parallel()
	p := policies.NaiveBackoff()
	explore := func() (*Summary, ExploreOpts, *[]invariants.ID) {
		var announced []invariants.ID
		var mu sync.Mutex
		o, err := exploreDefaults(&ExploreOpts{Runs: 40, NoShrink: true})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Explore(context.Background(), p, &o)
		if err != nil || len(s.First) == 0 {
			t.Fatalf("Explore: %v, %d counterexamples", err, len(s.First))
		}
		o.Shrinking = func(id invariants.ID) { // called by the minimisations side by side
			mu.Lock()
			defer mu.Unlock()
			announced = append(announced, id)
		}
		return s, o, &announced
	}
	s, o, announced := explore()
	if err := s.shrink(context.Background(), p, o, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var ids []invariants.ID
	for id, f := range s.First {
		ids = append(ids, id)
		if !f.Shrunk {
			t.Errorf("%s: not minimised", id)
		}
	}
	slices.Sort(ids)
	slices.Sort(*announced)
	if !slices.Equal(*announced, ids) {
		t.Errorf("Shrinking was told %v, want %v", *announced, ids)
	}

	s, o, announced = explore()
	if err := s.shrink(context.Background(), p, o, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	for id, f := range s.First {
		if f.Shrunk {
			t.Errorf("%s: minimised after the deadline", id)
		}
	}
	if len(*announced) > 0 {
		t.Errorf("Shrinking was told %v after the deadline", *announced)
	}
}

// holding is a Runner that simulates, except that its first run waits
// until let is closed; it counts the runs it began.
type holding struct {
	began *atomic.Int64
	held  *atomic.Bool
	let   chan struct{}
}

func (h holding) Run(ctx context.Context, sc scenarios.Scenario, p policy.Policy) (*Run, error) {
	h.began.Add(1)
	if h.held.CompareAndSwap(false, true) {
		<-h.let
	}
	return Simulate(ctx, sc, p, nil)
}

// TestARunThatTakesLongHoldsUpAWindowOnly: runs are aggregated in order, so
// the runs after one that takes long wait for it; the workers begin no
// more of them than the window holds, and once it ends the exploration
// goes on to the last run.
func TestARunThatTakesLongHoldsUpAWindowOnly(t *testing.T) {
	t.Parallel()
	const workers, runs = 3, 1000
	h := holding{began: new(atomic.Int64), held: new(atomic.Bool), let: make(chan struct{})}
	type result struct {
		s   *Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Explore(context.Background(), policy.Reference(), &ExploreOpts{
			Runs: runs, Workers: workers, NoTargeting: true, NewRunner: func() (Runner, error) { return h, nil },
		})
		done <- result{s, err}
	}()
	// The held run is among the first the workers claimed, so fewer than
	// workers runs before it can have been aggregated.
	limit := int64(aheadPerWorker*workers + workers)
	for deadline := time.Now().Add(10 * time.Second); h.began.Load() < aheadPerWorker*workers; {
		if time.Now().After(deadline) {
			t.Fatalf("the workers began %d runs; want them to fill the window of %d", h.began.Load(), aheadPerWorker*workers)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // room to begin more, were they allowed to
	if n := h.began.Load(); n > limit {
		t.Fatalf("with one run held, the workers began %d runs; want at most %d", n, limit)
	}
	close(h.let)
	r := <-done
	if r.err != nil || r.s.Runs != runs {
		t.Fatalf("Explore = %v, %v; want %d runs", r.s, r.err, runs)
	}
}
