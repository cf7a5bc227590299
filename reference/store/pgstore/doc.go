// Package pgstore is the Postgres implementation of the storage port
// [store.Store], on [pgx] v5 and a [pgxpool.Pool]. It passes the same
// conformance suite as the in-memory store (storetest.Exercise), and adds
// what one process cannot give: durability, several engines and workers on
// several machines sharing one database, and tenant isolation that the
// database enforces.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("CHAOS_PG_DSN"))
//	...
//	s, err := pgstore.New(ctx, pool, &pgstore.Opts{Migrate: true})
//
// # Schema and migrations
//
// The schema is in migrations/*.sql, embedded in the binary. [Store.Migrate]
// (or [Opts].Migrate) applies the ones a database lacks, each in its own
// transaction, and records them in schema_migrations. Every migration
// transaction takes the same transaction-scoped advisory lock first, so two
// processes migrating one database at once apply each migration once.
//
// One row of executions per (tenant, id); attempts holds the begin records;
// commits holds a step's result and the context version it produced (JSON)
// in one row, whose primary key (tenant, exec, run, step) is the
// commit-at-most-once rule; dead_letters and recon_events are the two queues
// and their history. Nothing is ever deleted.
//
// # Transactions
//
// A begin record is committed in its own transaction before Begin returns.
// Commit, DeadLetter, End, Finish, Restart and WriteShared each write in one
// statement, sent with the tenant's scope setting in one batch: one round
// trip, one implicit transaction. Their writes are ordered by a row lock on
// the execution (FOR SHARE for Begin, Commit and WriteShared, the update's
// own lock for the writes that change the execution), and each writes only
// if the locked row allows it; a write that found nothing to change asks
// why in a second round trip. The commit of a workflow's last step
// ([store.Commit.Complete]) locks the row FOR NO KEY UPDATE and updates it
// in the same statement, ending the execution: a completed execution costs
// no Finish. A snapshot is read in one repeatable-read transaction, sent as
// one batch: one round trip too.
//
// ClaimDeadLetters and Audit take one row at a time with
// FOR UPDATE SKIP LOCKED and keep the transaction open while their handler
// runs: the row lock is the claim. Workers in any number of processes never
// hold the same row, and a worker that dies releases its row when its
// connection goes. Audit stores the handler's events and marks the
// execution audited in the transaction of the claim. Its queue is a partial
// index on the pending rows (terminal, recovered, not audited), so a pass
// costs what the pending executions cost, not what the table holds.
//
// # Tenant isolation
//
// Every table has row-level security, forced on the tables' owner too. Each
// transaction switches, for itself only, to a role that can neither log in
// nor bypass row-level security, and sets the tenant it acts for:
//
//	SELECT set_config('role', 'chaosrun_app', true), set_config('app.tenant', $1, true)
//
// The tenant is a query parameter, never text of a query. The policies let
// chaosrun_app see and write only rows whose tenant is app.tenant: a query
// that forgets its WHERE clause still sees one tenant. The switch matters
// because a superuser bypasses row-level security whatever the policies say,
// and a store often connects as one.
//
// # System operations
//
// [Store.Active], [Store.Audit] and [Store.ClaimDeadLetters] are the
// system's: they cross tenants. They run as a second role, chaosrun_system,
// whose policies let it read and lock the executions and dead letters of
// every tenant and write none (its UPDATE policy refuses every row). To
// change a row it claimed, a system transaction switches to chaosrun_app and
// the row's tenant, keeping its locks, so every write passes the tenant's
// policies. The roles are the server's, not the database's: the migration
// creates them where they are missing and grants them to the user it runs
// as; a store that connects as another user needs "GRANT chaosrun_app,
// chaosrun_system TO" that user. Row-level security here guards against a
// query that forgets its tenant, not against code that sets another role on
// purpose: any session of the store's user may switch to either role.
//
// # Errors
//
// Every error goes through one function that translates pgx's and the
// server's errors into the port's, wrapped with %w and prefixed with what
// the store was doing: no row is [store.ErrNotFound]; a duplicate execution
// is [store.ErrExists]; a second commit of a step is [store.ErrCommitted];
// an unreachable or restarting server, a dropped connection, a closed pool,
// a serialization failure or a deadlock is [store.ErrUnavailable], with what
// to check. [store.ErrTerminal] and [store.ErrStaleRun] come from the state
// the store reads under the execution's row lock.
//
// # Limits
//
// Times are stored as timestamptz, to the microsecond, and come back in UTC.
// Text cannot hold NUL bytes: a value containing one where the store keeps
// it as text (a result, a cause, a shared key's data) is refused by the
// server. The documents (a context, an input, an outcome) are json, which
// keeps the \u0000 escape as it was written (see
// migrations/0007_documents_as_json.sql).
//
// # Throwaway databases and testing
//
// A [Throwaway] is a database made for one test or one run and dropped
// after it; its name says which process made it, so that
// [SweepThrowaways] can drop those a killed process left, and only those.
// Package pgstoretest makes one per test: CHAOS_PG_DSN names a server, or
// testcontainers starts one where a Docker engine answers, or the tests
// skip with one line; CHAOS_REQUIRE_PG=1 turns that skip into a failure.
// Net mode (harness/netrig) makes one per rig.
package pgstore
