package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

// guarded turns an insert of a begin or commit record into one statement
// that locks the execution's row (FOR SHARE: begins and commits run side by
// side, and wait for a Finish or a Restart), inserts only if the execution
// is running in the record's run, and says what it found. With the scope
// setting before it in one batch, a checkpoint write is one round trip.
func guarded(insert string) string {
	return `
	WITH cur AS (
		SELECT status, run FROM executions
		WHERE tenant = $1 AND id = $2
		FOR SHARE
	), ins AS (
		` + insert + `
		FROM cur WHERE cur.status = 'running' AND cur.run = $3
		RETURNING 1
	)
	SELECT cur.status, cur.run, EXISTS (SELECT 1 FROM ins) FROM cur`
}

var insertAttempt = guarded(`INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10`)

// Begin implements [store.Store]. The begin record is committed before
// Begin returns: it is durable before the step runs.
func (s *Store) Begin(ctx context.Context, a store.Attempt) error {
	what := fmt.Sprintf("begin attempt %d of step %d of %s/%s", a.Attempt, a.Step, a.Tenant, a.Exec)
	outcome, err := json.Marshal(a.Outcome)
	if err != nil {
		return fmt.Errorf("pgstore: %s: outcome: %w", what, err)
	}
	err = s.write(ctx, a.Tenant, nil, writable(a.Run), insertAttempt,
		a.Tenant, a.Exec, a.Run, a.Step, a.Attempt, a.Kind, a.Key, a.Token, a.Begun, outcome)
	return s.interpret(ctx, err, what)
}

func writable(run int) func(state) error { return func(st state) error { return st.writable(run) } }

// write runs a guarded statement for a tenant as one implicit transaction:
// the scope setting and the statement in one batch, one round trip,
// committed when the server reaches its end. The statement answers the
// execution's status, run, and whether it wrote; when it did not, refused
// says why. before, if set, runs just before the batch is sent.
func (s *Store) write(ctx context.Context, tenant string, before func(), refused func(state) error, query string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(setScope, appRole, tenant)
	b.Queue(query, args...)
	if before != nil {
		before()
	}
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		var status string
		var cur state
		var wrote bool
		if err = br.QueryRow().Scan(&status, &cur.run, &wrote); err == nil && !wrote {
			if cur.status, err = store.ParseStatus(status); err == nil {
				err = refused(cur)
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// exec runs one statement for a tenant in one round trip (see write).
func (s *Store) exec(ctx context.Context, tenant string, query string, args ...any) error {
	b := &pgx.Batch{}
	b.Queue(setScope, appRole, tenant)
	b.Queue(query, args...)
	return s.pool.SendBatch(ctx, b).Close()
}

const (
	markRecovered = `
		UPDATE executions SET recovered = true
		WHERE tenant = $1 AND id = $2`
	// endAttempt ends the latest begin record of the attempt: after a crash
	// the same attempt may have begun twice.
	endAttempt = `
		UPDATE attempts SET ended = true, outcome = $7
		WHERE seq = (
			SELECT max(seq) FROM attempts
			WHERE tenant = $1 AND exec = $2 AND run = $3 AND step = $4 AND number = $5 AND kind = $6)`
)

// End implements [store.Store]. It also ends attempts of a finished
// execution: an outcome learnt late is still worth auditing.
func (s *Store) End(ctx context.Context, a store.Attempt) error {
	what := fmt.Sprintf("end attempt %d of step %d of %s/%s", a.Attempt, a.Step, a.Tenant, a.Exec)
	outcome, err := json.Marshal(a.Outcome)
	if err != nil {
		return fmt.Errorf("pgstore: %s: outcome: %w", what, err)
	}
	err = s.asTenant(ctx, a.Tenant, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, markRecovered, a.Tenant, a.Exec)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return pgx.ErrNoRows
		}
		tag, err = tx.Exec(ctx, endAttempt, a.Tenant, a.Exec, a.Run, a.Step, a.Attempt, a.Kind, outcome)
		if err == nil && tag.RowsAffected() == 0 {
			return fmt.Errorf("no begin record: %w", store.ErrNotFound)
		}
		return err
	})
	return s.interpret(ctx, err, what)
}

// writeShared is guarded as the begin and commit records are, and
// replaces the key's row: a shared scratchpad keeps the last write.
const writeShared = `
	WITH cur AS (
		SELECT status, run FROM executions
		WHERE tenant = $1 AND id = $2
		FOR SHARE
	), ins AS (
		INSERT INTO shared_context (tenant, exec, key, data, writer)
		SELECT $1, $2, $4, $5, $6
		FROM cur WHERE cur.status = 'running' AND cur.run = $3
		ON CONFLICT (tenant, exec, key) DO UPDATE SET data = EXCLUDED.data, writer = EXCLUDED.writer
		RETURNING 1
	)
	SELECT cur.status, cur.run, EXISTS (SELECT 1 FROM ins) FROM cur`

// WriteShared implements [store.Store]: one key of the shared scratchpad,
// in one round trip.
func (s *Store) WriteShared(ctx context.Context, w store.SharedWrite) error {
	what := fmt.Sprintf("write shared key %q of %s/%s", w.Key, w.Tenant, w.Exec)
	writer, err := json.Marshal(w.Value.Writer)
	if err != nil {
		return fmt.Errorf("pgstore: %s: writer: %w", what, err)
	}
	run := w.Value.Writer.Run
	err = s.write(ctx, w.Tenant, nil, writable(run), writeShared, w.Tenant, w.Exec, run, w.Key, w.Value.Data, writer)
	return s.interpret(ctx, err, what)
}

var insertCommit = guarded(`INSERT INTO commits (tenant, exec, run, step, attempt, result_data, result_ref, version, context, at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10`)

// Commit implements [store.Store]: the step's result, its context version
// and the checkpoint are one row, written in one transaction. A second
// commit of the step in the run breaks the commits primary key, which
// interpret reports as [store.ErrCommitted].
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	what := fmt.Sprintf("commit step %d of run %d of %s/%s", c.Step, c.Run, c.Tenant, c.Exec)
	values, err := json.Marshal(c.Context.Values)
	if err != nil {
		return fmt.Errorf("pgstore: %s: context: %w", what, err)
	}
	var before func()
	if s.beforeCommit != nil {
		before = func() { s.beforeCommit(ctx, c) }
	}
	err = s.write(ctx, c.Tenant, before, writable(c.Run), insertCommit, c.Tenant, c.Exec, c.Run, c.Step, c.Attempt,
		c.Result.Data, c.Result.Ref, c.Context.Version, values, c.At)
	return s.interpret(ctx, err, what)
}
