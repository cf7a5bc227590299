package pgstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

// TestClaimsAcrossPools runs workers on two pools, as two processes would,
// and checks that every dead letter and every audit is taken exactly once.
func TestClaimsAcrossPools(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	cfg := pgstoretest.Database(t)
	stores := []*pgstore.Store{open(t, pgstoretest.Open(t, cfg)), open(t, pgstoretest.Open(t, cfg))}
	const perTenant = 20
	tenants := []string{"acme", "globex", "initech"}
	for _, tenant := range tenants {
		for i := range perTenant {
			recovered(ctx, t, stores[0], tenant, fmt.Sprintf("audit-%d", i), store.Completed)
			id := fmt.Sprintf("dead-%d", i)
			must(t, stores[1].Create(ctx, execution(tenant, id)))
			must(t, stores[1].DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: tenant, Exec: id}, Cause: "review"}))
		}
	}

	var mu sync.Mutex
	dead, audited := map[store.Ref]int{}, map[store.Ref]int{}
	count := func(m map[store.Ref]int, ref store.Ref) {
		mu.Lock()
		m[ref]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // hold the claim while others look
	}
	var wg sync.WaitGroup
	for w := range 6 {
		s := stores[w%2]
		wg.Go(func() {
			for {
				d, err := s.ClaimDeadLetters(ctx, 2, func(d store.DeadLetter) error {
					count(dead, store.Ref{Tenant: d.Tenant, Exec: d.Exec})
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				a, err := s.Audit(ctx, 2, func(snap store.Snapshot) ([]store.ReconEvent, error) {
					count(audited, snap.Execution.Ref())
					return nil, nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				if d+a == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	for name, seen := range map[string]map[store.Ref]int{"dead letter": dead, "audit": audited} {
		if len(seen) != perTenant*len(tenants) {
			t.Errorf("%d distinct %ss taken, want %d", len(seen), name, perTenant*len(tenants))
		}
		for ref, n := range seen {
			if n != 1 {
				t.Errorf("%s of %s taken %d times", name, ref, n)
			}
		}
	}
}
