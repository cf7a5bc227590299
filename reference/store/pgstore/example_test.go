package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
)

// A store is a pool, migrated once. This example needs a Postgres server
// (CHAOS_PG_DSN), so it is compiled but not run; the same steps run in
// TestConformance.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("CHAOS_PG_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	s, err := pgstore.New(ctx, pool, &pgstore.Opts{Migrate: true})
	if err != nil {
		log.Fatal(err) // wraps store.ErrUnavailable when the server does not answer
	}
	e := store.Execution{Tenant: "acme", Exec: "e1", Workflow: "wf",
		Steps: []store.Step{{Tool: "insert_record", Writes: []string{"record"}}}}
	if err := s.Create(ctx, e); err != nil {
		log.Fatal(err)
	}
	commit := store.Commit{
		AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1", Step: 0, Attempt: 1},
		Result:    store.Result{Data: "ok", Ref: "rec_1"},
		Context:   store.Context{Version: 1, Values: map[string]store.Value{"record": {Data: "ok"}}},
	}
	if err := s.Commit(ctx, commit); err != nil {
		log.Fatal(err)
	}
	err = s.Commit(ctx, commit)
	fmt.Println(errors.Is(err, store.ErrCommitted))
}

// A server that does not answer is store.ErrUnavailable, and the error says
// what to check.
func ExampleNew_unavailable() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	_, err = pgstore.New(ctx, pool, nil)
	fmt.Println(errors.Is(err, store.ErrUnavailable))
	// Output:
	// true
}
