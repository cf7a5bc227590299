package pgstoretest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvBin names the directory of the Postgres server's programs (initdb,
// pg_ctl) for [NewCluster], e.g. /usr/lib/postgresql/16/bin. Without it
// the kit looks in /usr/lib/postgresql/*/bin, then on PATH.
const EnvBin = "CHAOS_PG_BIN"

// Cluster is a private Postgres server for one test: made by initdb in a
// directory of its own and listening on loopback on a port of its own, so
// that the test can stop, start and crash it without touching the server
// the other tests share. It trusts every local connection.
type Cluster struct {
	bin, dir string
	port     int
	// as runs a program as the cluster's owner: initdb refuses to run as
	// root, so root runs it as the postgres user.
	as []string
}

// NewCluster makes and starts a private cluster, stopped and removed when
// the test ends. Where that is impossible — no server programs, or running
// as root without a postgres user to run them as — the test skips with one
// line, or fails under CHAOS_REQUIRE_PG=1.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := serverBin()
	if err != nil {
		unavailable(t, fmt.Sprintf("pgstoretest: no private cluster: %v; install postgresql or set %s", err, EnvBin))
	}
	c := &Cluster{bin: bin}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			unavailable(t, "pgstoretest: no private cluster: initdb refuses to run as root and there is no postgres user to run it as")
		}
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			unavailable(t, "pgstoretest: no private cluster: initdb refuses to run as root and runuser is missing")
		}
		c.as = []string{runuser, "-u", "postgres", "--"}
	}
	if c.dir, err = os.MkdirTemp("", "chaosrun-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(c.dir) })
	if len(c.as) > 0 {
		u, _ := user.Lookup("postgres")
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("pgstoretest: initdb: %v\n%s", err, out)
	}
	c.startOnAFreePort(t)
	t.Cleanup(func() { _, _ = c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop") })
	return c
}

// unavailable skips the test, or fails it where Postgres is required.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatal(why)
	}
	t.Skip(why)
}

func serverBin() (string, error) {
	if dir := os.Getenv(EnvBin); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	initdb, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("initdb is neither in /usr/lib/postgresql/*/bin nor on PATH")
	}
	return filepath.Dir(initdb), nil
}

// version is N of /usr/lib/postgresql/N/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) run(program string, args ...string) ([]byte, error) {
	argv := append(slices.Clone(c.as), append([]string{filepath.Join(c.bin, program)}, args...)...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// startOnAFreePort starts the server on a port below the kernel's
// ephemeral range (which other tests' connections and listeners draw
// from), trying another where one is taken.
func (c *Cluster) startOnAFreePort(t testing.TB) {
	t.Helper()
	var out []byte
	var err error
	for range 10 {
		c.port = 20000 + rand.IntN(10000)
		if out, err = c.ctl("start"); err == nil {
			return
		}
	}
	t.Fatalf("pgstoretest: start a private cluster: %v\n%s\n%s", err, out, c.log())
}

func (c *Cluster) ctl(action string, args ...string) ([]byte, error) {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.port, c.dir)
	argv := append([]string{"-D", c.data(), "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60", "-o", opts}, args...)
	return c.run("pg_ctl", append(argv, action)...)
}

func (c *Cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// DSN returns the DSN of the cluster's postgres database, as its
// superuser.
func (c *Cluster) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
}

// Stop stops the server: a fast shutdown, which ends every session.
func (c *Cluster) Stop(t testing.TB) { c.must(t, "stop", "-m", "fast") }

// Start starts the server again, on its port.
func (c *Cluster) Start(t testing.TB) { c.must(t, "start") }

// Crash stops the server as a crash does (an immediate shutdown, recovered
// from its log at the next start) and starts it again.
func (c *Cluster) Crash(t testing.TB) { c.must(t, "restart", "-m", "immediate") }

func (c *Cluster) must(t testing.TB, action string, args ...string) {
	t.Helper()
	if out, err := c.ctl(action, args...); err != nil {
		t.Errorf("pgstoretest: pg_ctl %s: %v\n%s\n%s", action, err, out, c.log())
	}
}

// Databases lists the cluster's databases whose name starts with prefix.
func (c *Cluster) Databases(t testing.TB, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.DSN())
	if err != nil {
		t.Fatalf("pgstoretest: connect to the private cluster: %v", err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1`, prefix)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("pgstoretest: list the private cluster's databases: %v", err)
	}
	return names
}
