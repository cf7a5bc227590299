//go:build !linux

package pgstore_test

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// cpuClock reads nothing where the CPU time of the server's backends
// cannot be read (see cpu_linux_test.go).
func cpuClock(context.Context, *pgxpool.Pool) (client, server time.Duration, ok bool) {
	return 0, 0, false
}
