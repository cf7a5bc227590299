package pgstore_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
	"github.com/chaosrun/chaosrun/reference/store/storetest"
)

// setup returns a migrated store on a throwaway database.
func setup(t *testing.T) *pgstore.Store {
	t.Helper()
	return open(t, pgstoretest.Pool(t))
}

// open returns a migrated store on pool.
func open(t *testing.T, pool *pgxpool.Pool) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(t.Context(), pool, &pgstore.Opts{Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(context.Background(), t, func(t *testing.T) store.Store { return setup(t) })
}

func execution(tenant, id string) store.Execution {
	return store.Execution{
		Tenant: tenant, Exec: id, Workflow: "wf",
		Steps: []store.Step{{Tool: "insert_record", Writes: []string{"a"}}, {Tool: "send_email"}},
		Input: map[string]string{"request": tenant + ":hello"},
	}
}

// recovered creates an execution whose first attempt failed, then ends it
// with status st.
func recovered(ctx context.Context, t *testing.T, s store.Store, tenant, id string, st store.Status) {
	t.Helper()
	must(t, s.Create(ctx, execution(tenant, id)))
	a := store.Attempt{AttemptID: store.AttemptID{Tenant: tenant, Exec: id, Attempt: 1}, Key: tenant + "-key"}
	must(t, s.Begin(ctx, a))
	a.Outcome = outcome.Outcome{Phase: outcome.PhaseMid, Class: outcome.Timeout, Layer: outcome.Agent, Cause: "timed out"}
	must(t, s.End(ctx, a))
	if st.Terminal() {
		must(t, s.Finish(ctx, tenant, id, st, "cause"))
	}
}
