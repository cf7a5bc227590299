package netrig

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/harness"
)

// probeEvery is how often a probe asks the server whether it answers.
const probeEvery = 100 * time.Millisecond

// probe asks a Postgres server whether it answers, every probeEvery, over a
// connection of its own that passes no proxy, and keeps the spans of wall
// time it did not: the outages a run's report counts. The faults' cuts of
// the engines' links are not outages: the probe does not see them.
type probe struct {
	cc   *pgx.ConnConfig
	done chan struct{}
	end  context.CancelFunc

	mu    sync.Mutex
	down  time.Time // since when the server does not answer; zero while it does
	spans harness.Outages
}

func startProbe(admin *pgxpool.Config) *probe {
	cc := admin.ConnConfig.Copy()
	cc.ConnectTimeout = time.Second
	ctx, cancel := context.WithCancel(context.Background())
	p := &probe{cc: cc, done: make(chan struct{}), end: cancel}
	go p.loop(ctx)
	return p
}

func (p *probe) loop(ctx context.Context) {
	defer close(p.done)
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close(context.Background())
		}
	}()
	tick := time.NewTicker(probeEvery)
	defer tick.Stop()
	for {
		at := time.Now()
		conn = p.ask(ctx, conn)
		if ctx.Err() != nil {
			return
		}
		p.mark(conn != nil, at)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ask pings the server over conn, connecting first if there is none, and
// returns the connection, nil when the server did not answer.
func (p *probe) ask(ctx context.Context, conn *pgx.Conn) *pgx.Conn {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var err error
	if conn == nil {
		if conn, err = pgx.ConnectConfig(ctx, p.cc); err != nil {
			return nil
		}
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close(context.Background())
		return nil
	}
	return conn
}

// mark records the answer of the probe that began at at.
func (p *probe) mark(up bool, at time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !up && p.down.IsZero():
		p.down = at
	case up && !p.down.IsZero():
		p.spans.Add(p.down, at)
		p.down = time.Time{}
	}
}

// isDown reports whether the server's last answer was none.
func (p *probe) isDown() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.down.IsZero()
}

// take returns the outages since the last take, an outage still going on
// included up to now (the next take reports the rest of it, which the
// merging of outages joins to this part).
func (p *probe) take() harness.Outages {
	var o harness.Outages
	if p == nil {
		return o
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	o, p.spans = p.spans, harness.Outages{}
	if !p.down.IsZero() {
		o.Add(p.down, now)
		p.down = now
	}
	return o
}

func (p *probe) stop() {
	if p == nil {
		return
	}
	p.end()
	<-p.done
}
