package pgstore

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/chaosrun/chaosrun/reference/store"
)

// Load implements [store.Store]. The snapshot is read in one repeatable-read
// transaction, so its parts agree with each other, and in one round trip:
// the transaction's begin, its scope, the snapshot's queries and its commit
// go in one batch. (A batch that fails part way leaves its transaction open;
// the pool closes such a connection rather than reuse it.)
func (s *Store) Load(ctx context.Context, tenant, id string) (store.Snapshot, error) {
	b := &pgx.Batch{}
	b.Queue(beginSnapshot)
	b.Queue(setScope, appRole, tenant)
	queueLoad(b, tenant, id)
	b.Queue("COMMIT")
	br := s.pool.SendBatch(ctx, b)
	_, err := br.Exec()
	if err == nil {
		_, err = br.Exec()
	}
	var snap store.Snapshot
	if err == nil {
		snap, err = readLoad(br, tenant, id)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return store.Snapshot{}, s.interpret(ctx, err, "load "+tenant+"/"+id)
	}
	return snap, nil
}

const beginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// load switches a transaction to tenant (see actAs) and reads a snapshot in
// it, in one round trip.
func load(ctx context.Context, tx pgx.Tx, tenant, id string) (store.Snapshot, error) {
	b := &pgx.Batch{}
	b.Queue(setScope, appRole, tenant)
	queueLoad(b, tenant, id)
	br := tx.SendBatch(ctx, b)
	_, err := br.Exec()
	var snap store.Snapshot
	if err == nil {
		snap, err = readLoad(br, tenant, id)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return snap, err
}

// queueLoad queues the queries of a snapshot, which readLoad reads.
func queueLoad(b *pgx.Batch, tenant, id string) {
	b.Queue(selectExecution, tenant, id)
	b.Queue(selectCommits, tenant, id)
	b.Queue(selectAttempts, tenant, id)
	b.Queue(selectDeadLetters, tenant, id)
	b.Queue(selectShared, tenant, id)
}

// readLoad reads the results of queueLoad's queries; an execution that is
// not there is pgx.ErrNoRows.
func readLoad(br pgx.BatchResults, tenant, id string) (store.Snapshot, error) {
	e, err := loadExecution(br, tenant, id)
	if err != nil {
		return store.Snapshot{}, err
	}
	snap := store.Snapshot{Execution: e, Context: inputContext(e.Input)}
	if snap.Commits, snap.Context, err = loadCommits(br, e, snap.Context); err != nil {
		return store.Snapshot{}, err
	}
	if snap.Attempts, err = loadAttempts(br, tenant, id); err != nil {
		return store.Snapshot{}, err
	}
	if snap.DeadLetters, err = loadDeadLetters(br, tenant, id); err != nil {
		return store.Snapshot{}, err
	}
	if snap.Shared, err = loadShared(br); err != nil {
		return store.Snapshot{}, err
	}
	return snap, nil
}

const selectShared = `
	SELECT key, data, writer
	FROM shared_context
	WHERE tenant = $1 AND exec = $2`

func loadShared(br pgx.BatchResults) (map[string]store.Value, error) {
	rows, _ := br.Query()
	shared := map[string]store.Value{}
	var key string
	var v store.Value
	_, err := pgx.ForEachRow(rows, []any{&key, &v.Data, &v.Writer}, func() error {
		shared[key] = v
		return nil
	})
	return shared, err
}

const selectExecution = `
	SELECT workflow, steps, input, status, cause, run, recovered, audited, created
	FROM executions
	WHERE tenant = $1 AND id = $2`

func loadExecution(br pgx.BatchResults, tenant, id string) (store.Execution, error) {
	e := store.Execution{Tenant: tenant, Exec: id}
	var status string
	err := br.QueryRow().Scan(
		&e.Workflow, &e.Steps, &e.Input, &status, &e.Cause, &e.Run, &e.Recovered, &e.Audited, &e.Created)
	if err != nil {
		return store.Execution{}, err
	}
	if e.Steps == nil {
		e.Steps = []store.Step{}
	}
	e.Created = e.Created.UTC()
	e.Status, err = store.ParseStatus(status)
	return e, err
}

// inputContext is context version 0: the execution's input.
func inputContext(input map[string]string) store.Context {
	c := store.Context{Values: make(map[string]store.Value, len(input))}
	for k, v := range input {
		c.Values[k] = store.Value{Data: v, Writer: store.InputWriter}
	}
	return c
}

const selectCommits = `
	SELECT step, attempt, result_data, result_ref, version, context, at, seq
	FROM commits
	WHERE tenant = $1 AND exec = $2
		AND run = (SELECT run FROM executions WHERE tenant = $1 AND id = $2)
	ORDER BY step`

// loadCommits returns the current run's commits in step order, and the
// context of the last one written (input when there is none).
func loadCommits(br pgx.BatchResults, e store.Execution, input store.Context) ([]store.Commit, store.Context, error) {
	rows, _ := br.Query()
	commits := []store.Commit{}
	last, lastSeq := input, int64(-1)
	var seq int64
	c := store.Commit{AttemptID: store.AttemptID{Tenant: e.Tenant, Exec: e.Exec, Run: e.Run}}
	_, err := pgx.ForEachRow(rows, []any{&c.Step, &c.Attempt, &c.Result.Data, &c.Result.Ref, &c.Context.Version, &c.Context.Values, &c.At, &seq}, func() error {
		c.At = c.At.UTC()
		commits = append(commits, c)
		if seq > lastSeq {
			last, lastSeq = c.Context, seq
		}
		c.Context.Values = nil // the next row decodes into a map of its own
		return nil
	})
	return commits, last, err
}

const selectAttempts = `
	SELECT run, step, number, kind, key, token, begun, ended, outcome
	FROM attempts
	WHERE tenant = $1 AND exec = $2
	ORDER BY seq`

func loadAttempts(br pgx.BatchResults, tenant, id string) ([]store.Attempt, error) {
	rows, _ := br.Query()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Attempt, error) {
		a := store.Attempt{AttemptID: store.AttemptID{Tenant: tenant, Exec: id}}
		err := row.Scan(&a.Run, &a.Step, &a.Attempt, &a.Kind, &a.Key, &a.Token, &a.Begun, &a.Ended, &a.Outcome)
		a.Begun = a.Begun.UTC()
		return a, err
	})
}

const selectDeadLetters = `
	SELECT run, step, cause, at
	FROM dead_letters
	WHERE tenant = $1 AND exec = $2
	ORDER BY seq`

func loadDeadLetters(br pgx.BatchResults, tenant, id string) ([]store.DeadLetter, error) {
	rows, _ := br.Query()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.DeadLetter, error) {
		return scanDeadLetter(row, tenant, id)
	})
}

func scanDeadLetter(row pgx.CollectableRow, tenant, id string) (store.DeadLetter, error) {
	d := store.DeadLetter{AttemptID: store.AttemptID{Tenant: tenant, Exec: id}}
	err := row.Scan(&d.Run, &d.Step, &d.Cause, &d.At)
	d.At = d.At.UTC()
	return d, err
}
