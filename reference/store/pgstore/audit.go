package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

// Audit implements [store.Store]. Each execution is claimed, loaded, handed
// to fn, and has its events stored and its audited mark set in one
// transaction of its own; the claim is the row lock (FOR UPDATE SKIP LOCKED),
// so workers in any number of processes never audit the same execution, and
// a worker that dies mid-audit loses only the one it held, which stays
// pending. It stops at fn's first error, which it returns as it is.
func (s *Store) Audit(ctx context.Context, limit int, fn func(store.Snapshot) ([]store.ReconEvent, error)) (int, error) {
	return claimEach(ctx, limit, func() (bool, error) { return s.auditOne(ctx, fn) })
}

// claimAudit is the audit queue: it repeats the predicate of the partial
// index executions_audit_pending word for word, so that the planner scans
// the pending rows only.
const claimAudit = `
	SELECT tenant, id FROM executions
	WHERE status <> 'running' AND recovered AND NOT audited
	ORDER BY seq
	LIMIT 1
	FOR UPDATE SKIP LOCKED`

// auditOne audits one execution; it reports false when none is pending.
func (s *Store) auditOne(ctx context.Context, fn func(store.Snapshot) ([]store.ReconEvent, error)) (bool, error) {
	var audited bool
	var fnErr error
	var ref store.Ref
	err := s.asSystem(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, claimAudit).Scan(&ref.Tenant, &ref.Exec)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		snap, err := load(ctx, tx, ref.Tenant, ref.Exec) // as the tenant from here on
		if err != nil {
			return err
		}
		var events []store.ReconEvent
		if events, fnErr = fn(snap); fnErr != nil {
			return errRelease
		}
		err = record(ctx, tx, ref, events)
		audited = err == nil
		return err
	})
	if fnErr != nil {
		return false, fnErr
	}
	what := "audit"
	if ref.Exec != "" {
		what += " " + ref.String()
	}
	return audited, s.interpret(ctx, err, what)
}

const (
	insertReconEvent = `
		INSERT INTO recon_events (tenant, exec, step, tool, kind, detail, action, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	markAudited = `
		UPDATE executions SET audited = true
		WHERE tenant = $1 AND id = $2`
)

// record stores an audit's events, under the execution audited whatever
// they say, and marks it audited, in one round trip.
func record(ctx context.Context, tx pgx.Tx, ref store.Ref, events []store.ReconEvent) error {
	var b pgx.Batch
	for _, ev := range events {
		b.Queue(insertReconEvent, ref.Tenant, ref.Exec, ev.Step, ev.Tool, ev.Kind, ev.Detail, ev.Action, ev.At)
	}
	b.Queue(markAudited, ref.Tenant, ref.Exec)
	return tx.SendBatch(ctx, &b).Close()
}

const executionExists = `SELECT EXISTS (SELECT 1 FROM executions WHERE tenant = $1 AND id = $2)`

const selectReconEvents = `
	SELECT step, tool, kind, detail, action, at
	FROM recon_events
	WHERE tenant = $1 AND exec = $2
	ORDER BY seq`

// ReconEvents implements [store.Store], in one round trip. Executions are
// never deleted: one that exists still does when its events are read.
func (s *Store) ReconEvents(ctx context.Context, tenant, id string) ([]store.ReconEvent, error) {
	events, err := readOf(ctx, s, tenant, id, selectReconEvents, func(row pgx.CollectableRow) (store.ReconEvent, error) {
		ev := store.ReconEvent{Tenant: tenant, Exec: id}
		err := row.Scan(&ev.Step, &ev.Tool, &ev.Kind, &ev.Detail, &ev.Action, &ev.At)
		ev.At = ev.At.UTC()
		return ev, err
	})
	if err != nil {
		return nil, s.interpret(ctx, err, fmt.Sprintf("reconciliation events of %s/%s", tenant, id))
	}
	return events, nil
}

// DeadLetters returns an execution's dead letters, resolved or not, in the
// order they were made, in one round trip: what a snapshot holds of them,
// without reading the rest (harness.DeadLetterReader).
func (s *Store) DeadLetters(ctx context.Context, tenant, id string) ([]store.DeadLetter, error) {
	dead, err := readOf(ctx, s, tenant, id, selectDeadLetters, func(row pgx.CollectableRow) (store.DeadLetter, error) {
		return scanDeadLetter(row, tenant, id)
	})
	if err != nil {
		return nil, s.interpret(ctx, err, fmt.Sprintf("dead letters of %s/%s", tenant, id))
	}
	return dead, nil
}

// readOf reads the rows of one query of an execution as its tenant, in one
// batch: the scope, whether the execution exists (pgx.ErrNoRows if not),
// and the query.
func readOf[T any](ctx context.Context, s *Store, tenant, id, query string, scan pgx.RowToFunc[T]) ([]T, error) {
	b := &pgx.Batch{}
	b.Queue(setScope, appRole, tenant)
	b.Queue(executionExists, tenant, id)
	b.Queue(query, tenant, id)
	br := s.pool.SendBatch(ctx, b)
	var exists bool
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&exists)
	}
	var out []T
	if err == nil && !exists {
		err = pgx.ErrNoRows
	}
	if err == nil {
		rows, _ := br.Query()
		out, err = pgx.CollectRows(rows, scan)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return out, err
}
