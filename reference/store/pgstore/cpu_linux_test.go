package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuClock reads the CPU time spent so far by this process (user and
// system) and by the server's backends on the pool's database. The
// backends are read from /proc: the server must run on this machine, in
// this pid namespace; where it does not (no backend found, or a pid that is
// not a postgres process here), ok is false. A backend that exited is left
// out, with the time it ran.
func cpuClock(ctx context.Context, pool *pgxpool.Pool) (client, server time.Duration, ok bool) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0, false
	}
	client = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return client, 0, false
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) != nil {
			return client, 0, false
		}
		ns, state := onCPU(pid)
		switch state {
		case notPostgres:
			return client, 0, false
		case running:
			server += ns
			found++
		}
	}
	return client, server, found > 0 && rows.Err() == nil
}

type procState uint8

const (
	gone procState = iota
	notPostgres
	running
)

// onCPU is the time a backend has run, from the first field of its
// /proc/<pid>/schedstat.
func onCPU(pid int) (time.Duration, procState) {
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return 0, gone
	}
	if strings.TrimSpace(string(comm)) != "postgres" {
		return 0, notPostgres
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/schedstat", pid))
	if err != nil {
		return 0, gone
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, notPostgres
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, notPostgres
	}
	return time.Duration(ns), running
}
