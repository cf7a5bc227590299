package pgstore_test

import (
	"errors"
	"testing"

	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
	"github.com/jackc/pgx/v5/pgconn"
)

// The database itself refuses what the store's statements never write: a
// row of an execution that does not exist, a row of the empty tenant —
// whatever writes it, here the tables' owner with plain SQL. A row of the
// empty tenant names no execution (executions refuses that tenant), so the
// foreign keys refuse both (see migrations/0008_tenant_checks_by_reference.sql);
// an execution of the empty tenant breaks its CHECK.
func TestTheSchemaRefusesOrphanRowsAndTheEmptyTenant(t *testing.T) {
	t.Parallel()
	pool := pgstoretest.Pool(t)
	s := open(t, pool)
	must(t, s.Create(t.Context(), execution("acme", "e1")))
	cases := []struct {
		name, sql, code string
	}{
		{"a commit of no execution", `INSERT INTO commits (tenant, exec, run, step, attempt, result_data, result_ref, version, context, at)
			VALUES ('acme', 'nope', 0, 0, 1, '', '', 1, '{}', now())`, "23503"},
		{"an attempt of no execution", `INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
			VALUES ('acme', 'nope', 0, 0, 1, 0, '', '', now(), '{}')`, "23503"},
		{"an attempt of the empty tenant", `INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
			VALUES ('', 'e1', 0, 0, 1, 0, '', '', now(), '{}')`, "23503"},
		{"a commit of the empty tenant", `INSERT INTO commits (tenant, exec, run, step, attempt, result_data, result_ref, version, context, at)
			VALUES ('', 'e1', 0, 0, 1, '', '', 1, '{}', now())`, "23503"},
		{"a dead letter of the empty tenant", `INSERT INTO dead_letters (tenant, exec, run, step, cause, at) VALUES ('', 'e1', 0, 0, '', now())`, "23503"},
		{"a shared key of no execution", `INSERT INTO shared_context (tenant, exec, key, data, writer) VALUES ('acme', 'nope', 'k', '', '{}')`, "23503"},
		{"a shared key of the empty tenant", `INSERT INTO shared_context (tenant, exec, key, data, writer) VALUES ('', 'e1', 'k', '', '{}')`, "23503"},
		{"a finding of the empty tenant", `INSERT INTO recon_events (tenant, exec, step, tool, kind, detail, action, at)
			VALUES ('', 'e1', 0, '', '', '', '', now())`, "23503"},
		{"an execution of the empty tenant", `INSERT INTO executions (tenant, id, workflow, steps, input, created)
			VALUES ('', 'e2', 'wf', '[]', '{}', now())`, "23514"},
	}
	for _, c := range cases {
		_, err := pool.Exec(t.Context(), c.sql)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != c.code {
			t.Errorf("%s: %v, want SQLSTATE %s", c.name, err, c.code)
		}
	}
	// And what is right still goes in.
	_, err := pool.Exec(t.Context(), `INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
		VALUES ('acme', 'e1', 0, 0, 1, 0, '', '', now(), '{}')`)
	must(t, err)
}
