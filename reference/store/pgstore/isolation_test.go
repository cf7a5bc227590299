package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
)

// tables are the tables that hold tenant rows.
var tables = []string{"executions", "attempts", "commits", "dead_letters", "recon_events", "shared_context"}

// populate gives tenant a row in every table: an execution with a failed
// attempt, a commit and a dead letter, audited.
func populate(ctx context.Context, t *testing.T, s *pgstore.Store, tenants ...string) {
	t.Helper()
	for _, tenant := range tenants {
		recovered(ctx, t, s, tenant, "e1", store.Running)
		must(t, s.Commit(ctx, store.Commit{
			AttemptID: store.AttemptID{Tenant: tenant, Exec: "e1", Step: 0, Attempt: 1},
			Context:   store.Context{Version: 1, Values: map[string]store.Value{"a": {Data: tenant + ":a"}}},
		}))
		must(t, s.WriteShared(ctx, store.SharedWrite{Tenant: tenant, Exec: "e1", Key: "notes", Value: store.Value{Data: tenant + ":notes"}}))
		must(t, s.DeadLetter(ctx, store.DeadLetter{AttemptID: store.AttemptID{Tenant: tenant, Exec: "e1", Step: 1}, Cause: "review"}))
	}
	n, err := s.Audit(ctx, 10, func(snap store.Snapshot) ([]store.ReconEvent, error) {
		return []store.ReconEvent{{Step: 1, Tool: "send_email", Kind: "orphaned-effect", Action: "flagged"}}, nil
	})
	must(t, err)
	if n != len(tenants) {
		t.Fatalf("audited %d executions, want %d", n, len(tenants))
	}
}

// tenantsIn lists the tenant of every row of table that tx can see. The
// query has no WHERE clause: only the policies stand between it and the
// other tenants' rows.
func tenantsIn(ctx context.Context, tx pgx.Tx, table string) ([]string, error) {
	rows, _ := tx.Query(ctx, "SELECT tenant FROM "+table)
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func TestTenantTransactionSeesOnlyItsTenant(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := setup(t)
	populate(ctx, t, s, "acme", "globex")
	for _, tenant := range []string{"acme", "globex"} {
		must(t, s.AsTenant(ctx, tenant, func(tx pgx.Tx) error {
			for _, table := range tables {
				got, err := tenantsIn(ctx, tx, table)
				if err != nil {
					return err
				}
				if len(got) == 0 {
					t.Errorf("%s: %s sees none of its own rows", table, tenant)
				}
				for _, other := range got {
					if other != tenant {
						t.Errorf("%s: a transaction of %s sees a row of %s", table, tenant, other)
					}
				}
			}
			return nil
		}))
	}
}

func TestTransactionWithoutTenantSeesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := setup(t)
	populate(ctx, t, s, "acme")
	must(t, s.AsTenant(ctx, "", func(tx pgx.Tx) error {
		for _, table := range tables {
			got, err := tenantsIn(ctx, tx, table)
			if err != nil {
				return err
			}
			if len(got) != 0 {
				t.Errorf("%s: a transaction with no tenant sees rows of %v", table, got)
			}
		}
		return nil
	}))
}

func TestTenantCannotWriteAnotherTenantsRows(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := setup(t)
	populate(ctx, t, s, "acme", "globex")
	err := s.AsTenant(ctx, "acme", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE executions SET cause = 'overwritten'")
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			t.Errorf("an UPDATE with no WHERE clause in acme's transaction changed %d rows, want acme's 1", tag.RowsAffected())
		}
		_, err = tx.Exec(ctx, `INSERT INTO executions (tenant, id, workflow, steps, input, created)
			VALUES ('globex', 'planted', 'wf', '[]', '{}', now())`)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Fatalf("acme inserting a row of globex: got %v, want a row-level security violation", err)
	}
}

func TestRolesCannotBypassRowSecurity(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := setup(t)
	check := func(tx pgx.Tx) error {
		var role string
		var super, bypass bool
		err := tx.QueryRow(ctx, `SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).
			Scan(&role, &super, &bypass)
		if err == nil && (super || bypass || !strings.HasPrefix(role, "chaosrun_")) {
			t.Errorf("transactions run as %s (superuser %v, bypasses row security %v)", role, super, bypass)
		}
		return err
	}
	must(t, s.AsTenant(ctx, "acme", check))
	must(t, s.AsSystem(ctx, check))
}

func TestSystemReadsEveryTenantAndWritesNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := setup(t)
	populate(ctx, t, s, "acme", "globex")
	must(t, s.AsSystem(ctx, func(tx pgx.Tx) error {
		got, err := tenantsIn(ctx, tx, "executions")
		if len(got) != 2 {
			t.Errorf("the system sees executions of %v, want acme's and globex's", got)
		}
		return err
	}))
	writes := []string{
		"UPDATE executions SET audited = false",
		"UPDATE dead_letters SET resolved = false",
		"UPDATE executions SET status = 'running'",
		"DELETE FROM executions",
		"SELECT count(*) FROM commits",
	}
	for _, sql := range writes {
		err := s.AsSystem(ctx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql)
			return err
		})
		if err == nil {
			t.Errorf("the system role ran %q", sql)
		}
	}
}
