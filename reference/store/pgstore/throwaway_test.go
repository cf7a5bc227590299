package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

// admin returns the configuration of the test server's own database.
func admin(t *testing.T) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgstoretest.DSN(t))
	must(t, err)
	return cfg
}

func exists(t *testing.T, admin *pgxpool.Config, name string) bool {
	t.Helper()
	var ok bool
	pool := pgstoretest.Open(t, admin)
	must(t, pool.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok))
	return ok
}

func TestThrowawayCreateAndDropMayBeCalledAgain(t *testing.T) {
	t.Parallel()
	a := admin(t)
	db := pgstore.NewThrowaway(a, "chaosrun_tw_")
	t.Cleanup(func() { must(t, db.Drop(context.Background())) })
	if tag := pgstore.ProcessTag(); tag != "" && !strings.HasPrefix(db.Name(), "chaosrun_tw_"+tag+"_") {
		t.Fatalf("name %q should carry this process's tag %q", db.Name(), tag)
	}
	for range 2 { // the second as after an answer lost: the database is this one
		must(t, db.Create(t.Context(), &pgstore.ThrowawayOpts{Migrate: true}))
	}
	s := open(t, pgstoretest.Open(t, db.Config()))
	must(t, s.Create(t.Context(), execution("acme", "e1")))
	for range 2 {
		must(t, db.Drop(t.Context()))
	}
	if exists(t, a, db.Name()) {
		t.Fatalf("%s is still there after Drop", db.Name())
	}
}

func TestThrowawayOnAServerThatIsDownIsUnavailable(t *testing.T) {
	t.Parallel()
	cfg, err := pgxpool.ParseConfig("postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
	must(t, err)
	db := pgstore.NewThrowaway(cfg, "chaosrun_tw_")
	for what, err := range map[string]error{"create": db.Create(t.Context(), nil), "drop": db.Drop(t.Context())} {
		if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "check the DSN and that the server is running") {
			t.Errorf("%s on a closed port: %v, want store unavailable and what to check", what, err)
		}
	}
	if _, err := pgstore.SweepThrowaways(t.Context(), cfg, "chaosrun_tw_"); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("sweep on a closed port: %v, want store unavailable", err)
	}
}

// The sweep drops what a process that ended left, and nothing else: not a
// live process's database, not one another host made, not one whose name
// says nothing of its maker.
func TestSweepDropsOnlyWhatAnEndedProcessLeft(t *testing.T) {
	t.Parallel()
	tag := pgstore.ProcessTag()
	if tag == "" {
		t.Skip("processes cannot be told apart on this system: the sweep drops nothing")
	}
	a := admin(t)
	f := strings.Split(tag, "_")                             // host, pid, start time
	prefix := fmt.Sprintf("chaosrun_sweep_%d_", os.Getpid()) // this test's databases only
	names := map[string]bool{                                // name -> stale
		prefix + tag + "_live":                                  false,
		prefix + f[0] + "_4194305_1_gone":                       true, // a pid above Linux's maximum
		prefix + f[0] + "_" + f[1] + "_" + f[2] + "1_reused":    true, // our pid, another start time
		prefix + "0000beef_" + f[1] + "_" + f[2] + "_elsewhere": false,
		prefix + "nomaker":                                      false,
	}
	for name := range names {
		db := pgstore.ThrowawayNamed(a, name)
		must(t, db.Create(t.Context(), nil))
		t.Cleanup(func() { must(t, db.Drop(context.Background())) })
	}
	dropped, err := pgstore.SweepThrowaways(t.Context(), a, prefix)
	must(t, err)
	for name, stale := range names {
		if slices.Contains(dropped, name) != stale || exists(t, a, name) == stale {
			t.Errorf("%s: dropped %v, want %v (swept: %v)", name, !stale, stale, dropped)
		}
	}
}
