package invariants_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/scenarios"
)

// checked is a history and a ledger with what fresh checkers make of them.
type checked struct {
	name      string
	h         *invariants.History
	l         *fakes.Ledger
	results   []invariants.Result
	anomalies []invariants.Anomaly
	dups      []bool
	wasted    int
}

// crowded is a history of more executions and ledger entries than the
// index searches, so that it finds them through its maps.
func crowded() *history {
	h := &history{}
	for i := range 12 {
		x := h.start("acme", fmt.Sprintf("e%d", i), "send_email", "insert_record", "charge_card")
		x.attempt(0, 1, "")
		x.effect(fakes.Applied, 0, 1, x.ref(0, 1))
		x.fail(0, 1, midTimeout)
		x.ok(0, 2, "", fakes.Applied)
		x.ok(1, 1, "k", fakes.Applied)
		if i%3 == 0 {
			x.deadLetter(2, "review")
			continue
		}
		x.ok(2, 1, "c", fakes.Applied)
		x.finish(store.Completed, "")
	}
	h.review("acme/e0", "acme/e3")
	return h
}

// cases are the checkers' hand-made cases, a crowded history, and runs
// recorded under a correct policy and a naive one, each with what checkers
// given a fresh index make of it.
func cases(t *testing.T) []checked {
	t.Helper()
	var out []checked
	add := func(name string, h *invariants.History, l *fakes.Ledger) {
		c := checked{name: name, h: h, l: l, anomalies: invariants.Anomalies(h, l)}
		for _, ch := range invariants.Checkers() {
			c.results = append(c.results, ch.Check(h, l))
		}
		fresh := invariants.Analyze(h, l) // never released: its memory is its own
		c.wasted = fresh.TokensWasted()
		for _, e := range l.Effects() {
			c.dups = append(c.dups, fresh.Duplicate(e.Seq))
		}
		out = append(out, c)
	}
	big := crowded()
	for i, cc := range checkCases {
		h := &history{}
		cc.build(h)
		add(cc.name, &invariants.History{Events: h.events, Cut: h.cut}, fakes.NewLedger(h.effects, h.drift...))
		if i%8 == 0 {
			add("crowded", &invariants.History{Events: big.events}, fakes.NewLedger(big.effects))
		}
	}
	for _, name := range []string{"reference", "naive-backoff"} {
		e, _ := policies.Lookup(name)
		for seed := uint64(1); seed <= 30; seed++ {
			r, err := harness.Simulate(context.Background(), scenarios.Seeded(seed, seed%3 == 0), e.Go(), nil)
			if err != nil {
				t.Fatal(err)
			}
			add(fmt.Sprintf("%s seed %d", name, seed), &r.History, r.Ledger)
		}
	}
	return out
}

// TestReleasedAnalysisLeavesNoTrace checks histories of every size one
// after another, on two goroutines, releasing each analysis so that the
// next fills its memory: each must read as it does to checkers given an
// index of their own.
func TestReleasedAnalysisLeavesNoTrace(t *testing.T) {
	t.Parallel()
	cs := cases(t)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range 3 {
				for i := range cs {
					c := &cs[(i+g*len(cs)/2)%len(cs)]
					a := invariants.Analyze(c.h, c.l)
					if got := a.Check(); !reflect.DeepEqual(got, c.results) {
						t.Errorf("round %d, %s: results %+v, want %+v", round, c.name, got, c.results)
					}
					if got := a.Anomalies(); !reflect.DeepEqual(got, c.anomalies) {
						t.Errorf("round %d, %s: anomalies %+v, want %+v", round, c.name, got, c.anomalies)
					}
					for j, e := range c.l.Effects() {
						if a.Duplicate(e.Seq) != c.dups[j] {
							t.Errorf("round %d, %s: ledger #%d duplicate %t, want %t", round, c.name, e.Seq, !c.dups[j], c.dups[j])
						}
					}
					if got := a.TokensWasted(); got != c.wasted {
						t.Errorf("round %d, %s: %d tokens wasted, want %d", round, c.name, got, c.wasted)
					}
					a.Release()
				}
			}
		}()
	}
	wg.Wait()
}
