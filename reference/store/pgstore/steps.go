package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

const insertAttempt = `
	INSERT INTO attempts (tenant, exec, run, step, number, kind, key, token, begun, outcome)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// Begin implements [store.Store]. The begin record is committed in its own
// transaction before Begin returns: it is durable before the step runs.
func (s *Store) Begin(ctx context.Context, a store.Attempt) error {
	what := fmt.Sprintf("begin attempt %d of step %d of %s/%s", a.Number, a.Step, a.Tenant, a.Exec)
	outcome, err := json.Marshal(a.Outcome)
	if err != nil {
		return fmt.Errorf("pgstore: %s: outcome: %w", what, err)
	}
	err = s.asTenant(ctx, a.Tenant, func(tx pgx.Tx) error {
		cur, err := lock(ctx, tx, lockForShare, a.Tenant, a.Exec)
		if err != nil {
			return err
		}
		if err := cur.writable(a.Run); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertAttempt,
			a.Tenant, a.Exec, a.Run, a.Step, a.Number, a.Kind, a.Key, a.Token, a.Begun, outcome)
		return err
	})
	return s.interpret(ctx, err, what)
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
	what := fmt.Sprintf("end attempt %d of step %d of %s/%s", a.Number, a.Step, a.Tenant, a.Exec)
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
		tag, err = tx.Exec(ctx, endAttempt, a.Tenant, a.Exec, a.Run, a.Step, a.Number, a.Kind, outcome)
		if err == nil && tag.RowsAffected() == 0 {
			return fmt.Errorf("no begin record: %w", store.ErrNotFound)
		}
		return err
	})
	return s.interpret(ctx, err, what)
}

const insertCommit = `
	INSERT INTO commits (tenant, exec, run, step, attempt, result_data, result_ref, version, context, at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

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
	err = s.asTenant(ctx, c.Tenant, func(tx pgx.Tx) error {
		cur, err := lock(ctx, tx, lockForShare, c.Tenant, c.Exec)
		if err != nil {
			return err
		}
		if err := cur.writable(c.Run); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, insertCommit, c.Tenant, c.Exec, c.Run, c.Step, c.Attempt,
			c.Result.Data, c.Result.Ref, c.Context.Version, values, c.At)
		if err == nil && s.beforeCommit != nil {
			s.beforeCommit(ctx, c)
		}
		return err
	})
	return s.interpret(ctx, err, what)
}
