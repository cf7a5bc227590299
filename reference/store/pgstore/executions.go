package pgstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

const insertExecution = `
	INSERT INTO executions (tenant, id, workflow, steps, input, created)
	VALUES ($1, $2, $3, $4, $5, $6)`

// Create implements [store.Store].
func (s *Store) Create(ctx context.Context, e store.Execution) error {
	if e.Tenant == "" || e.Exec == "" {
		return fmt.Errorf("pgstore: create: tenant and id are required")
	}
	steps, err := json.Marshal(e.Steps)
	if err != nil {
		return fmt.Errorf("pgstore: create %s: steps: %w", e.Ref(), err)
	}
	input, err := json.Marshal(e.Input)
	if err != nil {
		return fmt.Errorf("pgstore: create %s: input: %w", e.Ref(), err)
	}
	err = s.exec(ctx, e.Tenant, insertExecution, e.Tenant, e.Exec, e.Workflow, steps, input, e.Created)
	return s.interpret(ctx, err, "create "+e.Ref().String())
}

const activeExecutions = `
	SELECT tenant, id FROM executions
	WHERE status = 'running'
	ORDER BY seq`

// Active implements [store.Store]. It is a system operation: it lists every
// tenant's running executions, in the order they were created.
func (s *Store) Active(ctx context.Context) ([]store.Ref, error) {
	var refs []store.Ref
	err := s.asSystem(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, activeExecutions)
		var err error
		refs, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Ref, error) {
			var r store.Ref
			return r, row.Scan(&r.Tenant, &r.Exec)
		})
		return err
	})
	return refs, s.interpret(ctx, err, "list active executions")
}

// finishExecution ends a running execution in one statement, locking its
// row for the update and saying what it found (see write).
const finishExecution = `
	WITH cur AS (
		SELECT status, run FROM executions
		WHERE tenant = $1 AND id = $2
		FOR NO KEY UPDATE
	), upd AS (
		UPDATE executions AS e SET status = $3, cause = $4
		FROM cur WHERE e.tenant = $1 AND e.id = $2 AND cur.status = 'running'
		RETURNING 1
	)
	SELECT cur.status, cur.run, EXISTS (SELECT 1 FROM upd) FROM cur`

// Finish implements [store.Store].
func (s *Store) Finish(ctx context.Context, tenant, id string, st store.Status, cause string) error {
	ref := store.Ref{Tenant: tenant, Exec: id}
	if !st.Terminal() {
		return fmt.Errorf("pgstore: finish %s: status %s is not terminal", ref, st)
	}
	err := s.write(ctx, tenant, nil, state.running, finishExecution, tenant, id, st.String(), cause)
	return s.interpret(ctx, err, fmt.Sprintf("finish %s as %s", ref, st))
}

const restartExecution = `
	UPDATE executions SET run = $3
	WHERE tenant = $1 AND id = $2`

// Restart implements [store.Store]. The commits of earlier runs stay in the
// table as history; a snapshot shows the current run's only.
func (s *Store) Restart(ctx context.Context, tenant, id string, run int) error {
	ref := store.Ref{Tenant: tenant, Exec: id}
	err := s.asTenant(ctx, tenant, func(tx pgx.Tx) error {
		cur, err := lock(ctx, tx, lockForUpdate, tenant, id)
		if err != nil {
			return err
		}
		if err := cur.restartable(run); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, restartExecution, tenant, id, run)
		return err
	})
	return s.interpret(ctx, err, fmt.Sprintf("restart %s", ref))
}
