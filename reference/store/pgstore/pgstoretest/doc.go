// Package pgstoretest gives tests a throwaway Postgres database.
//
//	func TestSomething(t *testing.T) {
//		pool := pgstoretest.Pool(t) // a new, empty database, dropped at the end
//		...
//	}
//
// # Where the server comes from
//
// In this order, as DESIGN section 8 says:
//
//  1. CHAOS_PG_DSN, if set. Its user must be allowed to create databases;
//     the database it names is only used to create and drop others.
//  2. Otherwise testcontainers starts a Postgres container ([Image]) where a
//     Docker engine answers; without one it gives up at once, not after a
//     timeout.
//  3. Otherwise the test skips, with one line that says how to run it.
//
// With CHAOS_REQUIRE_PG=1 (set by .ci/run) the skip of step 3 is a failure,
// and so is, always, a CHAOS_PG_DSN that does not answer: a test that was
// told where Postgres is does not quietly skip.
//
// # Throwaway databases
//
// Each call of [Database] or [Pool] creates a database (a
// pgstore.Throwaway) named chaosrun_test_<maker>_<random> on that server
// and drops it, WITH (FORCE), when the test ends. Tests never write to any
// other database. Its commits do not wait for the disk (synchronous_commit
// = off): a throwaway database need not survive a crash of the server, and
// what transactions see is the same. Roles are the server's: what a test's
// migrations create (pgstore's chaosrun_app and chaosrun_system, which
// cannot log in) stays on the server, as it would in production. A test
// binary killed before its cleanups leaves its databases behind; the next
// test binary to use the server drops those whose maker has provably ended
// (pgstore.SweepThrowaways).
package pgstoretest
