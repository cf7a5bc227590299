package engine_test

import (
	"context"
	"sync"
	"testing"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// siteLog is a Faults port that records every site it is asked about.
type siteLog struct {
	mu    sync.Mutex
	sites []engine.Site
}

func (l *siteLog) At(_ context.Context, s engine.Site) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sites = append(l.sites, s)
	return nil
}

// A fault site after a commit belongs to the step that committed, so that a
// crash there is tied to that step, not to the next one.
func TestAfterCommitSitesNameTheCommittedStep(t *testing.T) {
	t.Parallel()
	e := setup(t)
	log := &siteLog{}
	x := workflow("acme", "e1", "vector_search", "insert_record")
	if st := e.run(e.engine(policy.Reference(), nil, log), x); st != store.Completed {
		t.Fatalf("status %s", st)
	}
	var after []engine.Site
	for _, s := range log.sites {
		if s.Point == engine.AfterCommit {
			after = append(after, s)
		}
	}
	if len(after) != 2 {
		t.Fatalf("want one after-commit site per step, got %v", after)
	}
	for i, s := range after {
		if s.Step != i || s.Tool != x.Steps[i].Tool {
			t.Fatalf("after-commit site %d names step %d (%s), want step %d (%s)", i, s.Step, s.Tool, i, x.Steps[i].Tool)
		}
	}
}
