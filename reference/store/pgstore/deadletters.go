package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

// deadLetterStep ends a running execution as dead-lettered and queues its
// step for review, in one statement: both or neither (see finishExecution).
const deadLetterStep = `
	WITH ended AS (
		UPDATE executions SET status = 'dead-lettered', cause = $5
		WHERE tenant = $1 AND id = $2 AND status = 'running'
		RETURNING 1
	)
	INSERT INTO dead_letters (tenant, exec, run, step, cause, at)
	SELECT $1, $2, $3, $4, $5, $6 FROM ended`

// DeadLetter implements [store.Store]: the dead letter and the end of the
// execution are one transaction, one round trip.
func (s *Store) DeadLetter(ctx context.Context, d store.DeadLetter) error {
	err := s.write(ctx, d.Tenant, d.Exec, nil, state.running, deadLetterStep, d.Tenant, d.Exec, d.Run, d.Step, d.Cause, d.At)
	if err == nil {
		return nil
	}
	return s.interpret(ctx, err, fmt.Sprintf("dead-letter step %d of %s/%s", d.Step, d.Tenant, d.Exec))
}

// errRelease rolls back a claim whose handler failed, which releases the row.
var errRelease = errors.New("release the claim")

// claimEach calls one, which claims and handles one item in a transaction
// of its own, until limit items are handled, one finds none left or fails,
// or ctx ends. It returns how many were handled: the queue loop of
// ClaimDeadLetters and Audit.
func claimEach(ctx context.Context, limit int, one func() (bool, error)) (int, error) {
	n := 0
	for n < limit {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		handled, err := one()
		if err != nil || !handled {
			return n, err
		}
		n++
	}
	return n, nil
}

// ClaimDeadLetters implements [store.Store]. Each dead letter is claimed,
// handed to fn and resolved in a transaction of its own: the claim is the
// row lock (FOR UPDATE SKIP LOCKED), so workers in any number of processes
// never hold the same dead letter, and one that dies mid-review releases it.
// It stops at fn's first error, which it returns as it is.
func (s *Store) ClaimDeadLetters(ctx context.Context, limit int, fn func(store.DeadLetter) error) (int, error) {
	return claimEach(ctx, limit, func() (bool, error) { return s.claimDeadLetter(ctx, fn) })
}

const (
	claimDeadLetter = `
		SELECT seq, tenant, exec, run, step, cause, at
		FROM dead_letters
		WHERE NOT resolved
		ORDER BY seq
		LIMIT 1
		FOR UPDATE SKIP LOCKED`
	resolveDeadLetter = `
		UPDATE dead_letters SET resolved = true
		WHERE seq = $1`
)

// claimDeadLetter resolves one dead letter; it reports false when none is free.
func (s *Store) claimDeadLetter(ctx context.Context, fn func(store.DeadLetter) error) (bool, error) {
	var claimed bool
	var fnErr error
	err := s.asSystem(ctx, func(tx pgx.Tx) error {
		var seq int64
		var d store.DeadLetter
		err := tx.QueryRow(ctx, claimDeadLetter).Scan(&seq, &d.Tenant, &d.Exec, &d.Run, &d.Step, &d.Cause, &d.At)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		d.At = d.At.UTC()
		if fnErr = fn(d); fnErr != nil {
			return errRelease
		}
		b := &pgx.Batch{} // as the dead letter's tenant (see actAs), in one round trip
		b.Queue(setScope, appRole, d.Tenant)
		b.Queue(resolveDeadLetter, seq)
		err = tx.SendBatch(ctx, b).Close()
		claimed = err == nil
		return err
	})
	if fnErr != nil {
		return false, fnErr
	}
	return claimed, s.interpret(ctx, err, "claim a dead letter")
}
