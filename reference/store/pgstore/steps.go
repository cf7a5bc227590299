package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// guardedAs is guarded with the row lock named (see guarded).
func guardedAs(lock, insert string) string {
	return insert + `
		FROM executions
		WHERE tenant = $1 AND id = $2 AND status = 'running' AND run = $3
		` + lock
}

// guarded turns an insert of a record of an execution into one statement
// that inserts only if the execution is running in the record's run, and
// locks the execution's row while it does (FOR SHARE: begins and commits
// run side by side, and wait for a Finish or a Restart, whose change they
// then see). It is a plain INSERT ... SELECT: one scan of the execution's
// row, and the insert's foreign key finds that row already locked. With the
// scope setting before it in one batch, a checkpoint write is one round
// trip; only a refused write asks why, in a second (see write).
func guarded(insert string) string { return guardedAs("FOR SHARE", insert) }

var insertAttempt = guarded(`INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10`)

// Begin implements [store.Store]. The begin record is committed before
// Begin returns: it is durable before the step runs.
func (s *Store) Begin(ctx context.Context, a store.Attempt) error {
	outcome, err := outcomeJSON(a.Outcome)
	if err == nil {
		// The kind goes as the integer it is stored as: a named type costs
		// pgx a conversion by reflection on every call.
		err = s.write(ctx, a.Tenant, a.Exec, nil, writable(a.Run), insertAttempt,
			a.Tenant, a.Exec, a.Run, a.Step, a.Attempt, int16(a.Kind), a.Key, a.Token, a.Begun, outcome)
		if err == nil {
			return nil
		}
	} else {
		err = fmt.Errorf("outcome: %w", err)
	}
	return s.interpret(ctx, err, fmt.Sprintf("begin attempt %d of step %d of %s/%s", a.Attempt, a.Step, a.Tenant, a.Exec))
}

// noOutcome is the zero outcome, what a begin record holds until its
// attempt ends: {} decodes to it, and costs neither encoding nor the bytes
// of every zero field.
var noOutcome = []byte("{}")

func outcomeJSON(o outcome.Outcome) ([]byte, error) {
	if o == (outcome.Outcome{}) {
		return noOutcome, nil
	}
	return json.Marshal(o)
}

func writable(run int) func(state) error { return func(st state) error { return st.writable(run) } }

// write runs a guarded statement for a tenant as one implicit transaction:
// the scope setting and the statement in one batch, one round trip,
// committed when the server reaches its end. A statement that changed no
// row was refused: a second round trip reads the execution's state, and
// refused says why (an execution that is not there is pgx.ErrNoRows). A
// state only moves on (running to finished, a run to the next), so the
// state read after the refusal refuses the write too. before, if set, runs
// just before the batch is sent.
func (s *Store) write(ctx context.Context, tenant, id string, before func(), refused func(state) error, query string, args ...any) error {
	b := scoped(tenant, query, args...)
	if before != nil {
		before()
	}
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err == nil && tag.RowsAffected() == 0 {
		err = s.refusal(ctx, tenant, id, refused)
	}
	return err
}

// selectState is what a refused write reads to say why.
const selectState = `SELECT status, run FROM executions WHERE tenant = $1 AND id = $2`

// refusal reads the state of an execution whose write changed nothing and
// returns what refused says of it. A state that would have let the write in
// is one the write did not see: the execution was not there yet.
func (s *Store) refusal(ctx context.Context, tenant, id string, refused func(state) error) error {
	b := scoped(tenant, selectState, tenant, id)
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	var status string
	var cur state
	if err == nil {
		err = br.QueryRow().Scan(&status, &cur.run)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if cur.status, err = store.ParseStatus(status); err != nil {
		return err
	}
	if err := refused(cur); err != nil {
		return err
	}
	return pgx.ErrNoRows
}

// exec runs one statement for a tenant in one round trip (see write).
func (s *Store) exec(ctx context.Context, tenant string, query string, args ...any) error {
	return s.pool.SendBatch(ctx, scoped(tenant, query, args...)).Close()
}

// endAttempt ends the latest begin record of the attempt (after a crash the
// same attempt may have begun twice) and marks its execution recovered, in
// one statement: both or neither. It answers whether the execution exists
// and whether it ended a begin record.
const endAttempt = `
	WITH latest AS (
		SELECT max(seq) AS seq FROM attempts
		WHERE tenant = $1 AND exec = $2 AND run = $3 AND step = $4 AND number = $5 AND kind = $6
	), recovered AS (
		UPDATE executions SET recovered = true
		WHERE tenant = $1 AND id = $2 AND (SELECT seq FROM latest) IS NOT NULL
		RETURNING 1
	), ended AS (
		UPDATE attempts SET ended = true, outcome = $7
		WHERE tenant = $1 AND exec = $2 AND seq = (SELECT seq FROM latest)
		RETURNING 1
	)
	SELECT EXISTS (SELECT 1 FROM executions WHERE tenant = $1 AND id = $2),
		EXISTS (SELECT 1 FROM ended) AND EXISTS (SELECT 1 FROM recovered)`

// End implements [store.Store], in one round trip. It also ends attempts of
// a finished execution: an outcome learnt late is still worth auditing.
func (s *Store) End(ctx context.Context, a store.Attempt) error {
	outcome, err := outcomeJSON(a.Outcome)
	if err == nil {
		br := s.pool.SendBatch(ctx, scoped(a.Tenant, endAttempt, a.Tenant, a.Exec, a.Run, a.Step, a.Attempt, int16(a.Kind), outcome))
		var exists, ended bool
		if _, err = br.Exec(); err == nil {
			err = br.QueryRow().Scan(&exists, &ended)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		switch {
		case err != nil:
		case !exists:
			err = pgx.ErrNoRows
		case !ended:
			err = fmt.Errorf("no begin record: %w", store.ErrNotFound)
		default:
			return nil
		}
	} else {
		err = fmt.Errorf("outcome: %w", err)
	}
	return s.interpret(ctx, err, fmt.Sprintf("end attempt %d of step %d of %s/%s", a.Attempt, a.Step, a.Tenant, a.Exec))
}

// writeShared is guarded as the begin and commit records are, and
// replaces the key's row: a shared scratchpad keeps the last write.
var writeShared = guarded(`INSERT INTO shared_context (tenant, exec, key, data, writer)
		SELECT $1, $2, $4, $5, $6`) + `
	ON CONFLICT (tenant, exec, key) DO UPDATE SET data = EXCLUDED.data, writer = EXCLUDED.writer`

// WriteShared implements [store.Store]: one key of the shared scratchpad,
// in one round trip.
func (s *Store) WriteShared(ctx context.Context, w store.SharedWrite) error {
	run := w.Value.Writer.Run
	err := s.write(ctx, w.Tenant, w.Exec, nil, writable(run), writeShared, w.Tenant, w.Exec, run, w.Key, w.Value.Data, writerJSON(w.Value.Writer))
	if err == nil {
		return nil
	}
	return s.interpret(ctx, err, fmt.Sprintf("write shared key %q of %s/%s", w.Key, w.Tenant, w.Exec))
}

const commitRow = `INSERT INTO commits (tenant, exec, run, step, attempt, result_data, result_ref, version, context, at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10`

var insertCommit = guarded(commitRow)

// completeCommit is the commit of a workflow's last step, which also ends
// the execution completed: the guarded insert, then the update of the row
// the guard locked, in one statement (both or neither). The update changes
// a row only when the insert wrote one, so a refused commit changes
// nothing, as insertCommit's does, and the statement's row count says so.
// Its guard takes the lock the update needs (FOR NO KEY UPDATE) at once: two
// completing commits of one step that both held FOR SHARE would each wait
// for the other, one on the commits key, the other to update the row (a
// deadlock); this way the second waits for the row, then finds the
// execution completed.
var completeCommit = `
	WITH landed AS (` + guardedAs("FOR NO KEY UPDATE", commitRow) + `
		RETURNING 1
	)
	UPDATE executions SET status = 'completed', cause = ''
	WHERE tenant = $1 AND id = $2 AND EXISTS (SELECT 1 FROM landed)`

// Commit implements [store.Store]: the step's result, its context version
// and the checkpoint are one row, written in one transaction, which also
// ends the execution completed if c.Complete. A second commit of the step
// in the run breaks the commits primary key, which interpret reports as
// [store.ErrCommitted].
func (s *Store) Commit(ctx context.Context, c store.Commit) error {
	var before func()
	if s.beforeCommit != nil {
		before = func() { s.beforeCommit(ctx, c) }
	}
	query := insertCommit
	if c.Complete {
		query = completeCommit
	}
	err := s.write(ctx, c.Tenant, c.Exec, before, writable(c.Run), query, c.Tenant, c.Exec, c.Run, c.Step, c.Attempt,
		c.Result.Data, c.Result.Ref, c.Context.Version, valuesJSON(c.Context.Values), c.At)
	if err == nil {
		return nil
	}
	return s.interpret(ctx, err, fmt.Sprintf("commit step %d of run %d of %s/%s", c.Step, c.Run, c.Tenant, c.Exec))
}
