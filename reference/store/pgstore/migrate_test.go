package pgstore_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

// TestConcurrentMigrations migrates one database from two pools and several
// goroutines at once, as processes starting together do.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	cfg := pgstoretest.Database(t)
	pools := []*pgxpool.Pool{pgstoretest.Open(t, cfg), pgstoretest.Open(t, cfg)}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			if _, err := pgstore.New(t.Context(), pools[i%2], &pgstore.Opts{Migrate: true}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	s := open(t, pools[0]) // and once more, when every migration is there
	must(t, s.Create(t.Context(), execution("acme", "e1")))
	var applied int
	must(t, pools[1].QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&applied))
	files, err := filepath.Glob("migrations/*.sql")
	must(t, err)
	if applied != len(files) || applied < 3 {
		t.Fatalf("schema_migrations has %d rows, want one per migration (%d)", applied, len(files))
	}
}

func TestUnmigratedDatabaseSaysSo(t *testing.T) {
	t.Parallel()
	s, err := pgstore.New(t.Context(), pgstoretest.Pool(t), nil)
	must(t, err)
	_, err = s.Load(t.Context(), "acme", "e1")
	if err == nil || !strings.Contains(err.Error(), "run Migrate") || errors.Is(err, store.ErrNotFound) {
		t.Fatalf("load before migrating: %v, want a hint to run Migrate", err)
	}
}
