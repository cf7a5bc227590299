package pgstore

import (
	"context"
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
	err := s.exec(ctx, e.Tenant, insertExecution, e.Tenant, e.Exec, e.Workflow, stepsJSON(e.Steps), inputJSON(e.Input), e.Created)
	if err == nil {
		return nil
	}
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

// finishExecution ends a running execution in one statement; the update
// locks the row and, after waiting for a concurrent write, checks the status
// again on the row it will change (see write).
const finishExecution = `
	UPDATE executions SET status = $3, cause = $4
	WHERE tenant = $1 AND id = $2 AND status = 'running'`

// Finish implements [store.Store].
func (s *Store) Finish(ctx context.Context, tenant, id string, st store.Status, cause string) error {
	if !st.Terminal() {
		return fmt.Errorf("pgstore: finish %s/%s: status %s is not terminal", tenant, id, st)
	}
	err := s.write(ctx, tenant, id, nil, state.running, finishExecution, tenant, id, st.String(), cause)
	if err == nil {
		return nil
	}
	return s.interpret(ctx, err, fmt.Sprintf("finish %s/%s as %s", tenant, id, st))
}

// restartExecution moves a running execution from the run before $3 to $3,
// in one statement (see finishExecution).
const restartExecution = `
	UPDATE executions SET run = $3
	WHERE tenant = $1 AND id = $2 AND status = 'running' AND run = $3 - 1`

// Restart implements [store.Store]. The commits of earlier runs stay in the
// table as history; a snapshot shows the current run's only.
func (s *Store) Restart(ctx context.Context, tenant, id string, run int) error {
	refused := func(st state) error { return st.restartable(run) }
	err := s.write(ctx, tenant, id, nil, refused, restartExecution, tenant, id, run)
	if err == nil {
		return nil
	}
	return s.interpret(ctx, err, fmt.Sprintf("restart %s/%s", tenant, id))
}
