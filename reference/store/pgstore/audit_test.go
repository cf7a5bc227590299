package pgstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

// TestClaimsScanPendingRowsOnly puts 100 recovered executions among 100,000
// clean ones, and 100 dead letters among 100,000 resolved ones, and checks
// that both claims read the partial index of the pending rows, under the
// system role's policies, not the table.
func TestClaimsScanPendingRowsOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 200,000 rows")
	}
	t.Parallel()
	ctx := t.Context()
	pool := pgstoretest.Pool(t)
	s := open(t, pool)
	const clean, pending = 100_000, 100
	bulk(t, s, "clean", clean, `'completed', false`, `true`)
	bulk(t, s, "pending", pending, `'dead-lettered', true`, `false`)
	_, err := pool.Exec(ctx, `ANALYZE executions, dead_letters`)
	must(t, err)

	for name, query := range map[string]string{"audit": pgstore.ClaimAudit, "dead letter": pgstore.ClaimDeadLetter} {
		plan := explain(t, s, query)
		if !strings.Contains(plan, "Index Scan using") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("the %s claim should scan a partial index, not the table:\n%s", name, plan)
		}
	}
	t.Logf("audit claim plan:\n%s", explain(t, s, pgstore.ClaimAudit))

	start := time.Now()
	n, err := s.Audit(ctx, 2*pending, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
	must(t, err)
	if n != pending {
		t.Fatalf("audited %d executions, want %d", n, pending)
	}
	t.Logf("audit pass over %d recovered among %d clean executions: %v (over the %d alone: %v)",
		pending, clean, time.Since(start), pending, auditAlone(t, pending))
	start = time.Now()
	n, err = s.ClaimDeadLetters(ctx, 2*pending, func(store.DeadLetter) error { return nil })
	must(t, err)
	if n != pending {
		t.Fatalf("resolved %d dead letters, want %d", n, pending)
	}
	t.Logf("dead-letter pass over %d among %d resolved: %v", pending, clean, time.Since(start))
}

// auditAlone times an audit pass over n recovered executions and nothing else.
func auditAlone(t *testing.T, n int) time.Duration {
	t.Helper()
	s := setup(t)
	bulk(t, s, "pending", n, `'dead-lettered', true`, `false`)
	start := time.Now()
	_, err := s.Audit(t.Context(), 2*n, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
	must(t, err)
	return time.Since(start)
}

// bulk writes n finished executions of tenant, each with a dead letter, in
// two statements. execution is the SQL of their status and recovered
// columns, resolved that of their dead letters' resolved column.
func bulk(t *testing.T, s *pgstore.Store, tenant string, n int, execution, resolved string) {
	t.Helper()
	must(t, s.AsTenant(t.Context(), tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(t.Context(), `
			INSERT INTO executions (tenant, id, workflow, steps, input, status, recovered, created)
			SELECT $1, 'e' || g, 'wf', '[]', '{}', `+execution+`, now()
			FROM generate_series(1, $2::int) AS g`, tenant, n)
		if err != nil {
			return err
		}
		_, err = tx.Exec(t.Context(), `
			INSERT INTO dead_letters (tenant, exec, run, step, cause, at, resolved)
			SELECT $1, 'e' || g, 0, 0, 'review', now(), `+resolved+`
			FROM generate_series(1, $2::int) AS g`, tenant, n)
		return err
	}))
}

func explain(t *testing.T, s *pgstore.Store, query string) string {
	t.Helper()
	var lines []string
	must(t, s.AsSystem(t.Context(), func(tx pgx.Tx) error {
		rows, _ := tx.Query(t.Context(), "EXPLAIN "+query)
		var err error
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	return strings.Join(lines, "\n")
}
