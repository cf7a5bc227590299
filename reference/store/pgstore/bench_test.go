package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/memstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

const stepsPerExecution = 5

// timed measures each step's checkpoint writes: its begin record and its
// commit, as the engine waits for them. What it does itself is charged to
// the engine's time, so it keeps to a comparable key (no formatting).
type timed struct {
	store.Store
	mu    sync.Mutex
	begin map[stepKey]time.Duration
	steps []time.Duration
}

// stepKey names a step of an execution; a begin record and its commit
// meet under it.
type stepKey struct {
	tenant, exec string
	step         int
}

func key(tenant, exec string, step int) stepKey { return stepKey{tenant, exec, step} }

func (s *timed) Begin(ctx context.Context, a store.Attempt) error {
	start := time.Now()
	err := s.Store.Begin(ctx, a)
	s.mu.Lock()
	s.begin[key(a.Tenant, a.Exec, a.Step)] = time.Since(start)
	s.mu.Unlock()
	return err
}

func (s *timed) Commit(ctx context.Context, c store.Commit) error {
	start := time.Now()
	err := s.Store.Commit(ctx, c)
	d := time.Since(start)
	k := key(c.Tenant, c.Exec, c.Step)
	s.mu.Lock()
	s.steps = append(s.steps, s.begin[k]+d)
	delete(s.begin, k) // a map of the steps in flight, not of every step
	s.mu.Unlock()
	return err
}

// BenchmarkEngineStepsOnPostgres runs the reference engine over 5-step
// executions (tools answering at once, so that the figure is the checkpoint
// gate's) with 1 and 4 workers, and beside it, on the same server in the
// same run, a bare pgx loop of two committed transactions per step — the
// floor of a design that makes a begin record durable before a step and
// commits after it. It reports both rates, their ratio, and the p50/p99
// checkpoint overhead per step (begin + commit, as the engine waits).
//
// A third side, the store alone, sends the store the very calls the engine
// made for one execution (recorded once, replayed under new ids) with no
// engine around them: store-ratio, its rate over the bare loop's, is what
// the store's statements cost against the bare loop's, and engine-vs-store
// what the engine's own work (its layers, the fake tools, the goroutines
// it wakes) costs on top.
//
// Where the server's backends can be read from /proc (a server on this
// machine; see cpuClock), it also reports the CPU time of a step on each
// side, this process's and the server's together, and cpu-ratio, the bare
// loop's over the engine's: what ratio tends to when the cores are the
// limit, and a figure that other load on the machine disturbs less
// than it does the rates.
func BenchmarkEngineStepsOnPostgres(b *testing.B) {
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			ctx := context.Background()
			cfg := pgstoretest.Database(b)
			cfg.MaxConns = int32(2 * workers)
			pool := pgstoretest.Open(b, cfg)
			ps, err := pgstore.New(ctx, pool, &pgstore.Opts{Migrate: true})
			if err != nil {
				b.Fatal(err)
			}
			bare(b, pool, 0, 1) // create its table outside the timing
			calls := engineCalls(b)
			// The engine, the store alone and the bare loop take turns, in
			// rounds, so that whatever else loads the machine weighs on all
			// three alike.
			const rounds = 5
			per := (max(b.N, 100)/rounds + stepsPerExecution - 1) / stepsPerExecution * stepsPerExecution // whole executions
			b.ResetTimer()
			var engineTime, storeTime, bareTime time.Duration
			var engineCPU, storeCPU, bareCPU cpuTotal
			var overhead []time.Duration
			for r := range rounds {
				engineCPU.start(ctx, pool)
				start := time.Now()
				overhead = append(overhead, engineSteps(b, ps, workers, per, r)...)
				engineTime += time.Since(start)
				engineCPU.stop(ctx, pool)
				storeCPU.start(ctx, pool)
				start = time.Now()
				storeSteps(b, ps, calls, workers, per, r)
				storeTime += time.Since(start)
				storeCPU.stop(ctx, pool)
				bareCPU.start(ctx, pool)
				start = time.Now()
				bare(b, pool, per, workers)
				bareTime += time.Since(start)
				bareCPU.stop(ctx, pool)
			}
			b.StopTimer()
			if !engineCPU.blind && !storeCPU.blind && !bareCPU.blind {
				steps := time.Duration(per * rounds)
				b.ReportMetric(float64((engineCPU.total / steps).Microseconds()), "engine-cpu-µs/step")
				b.ReportMetric(float64((storeCPU.total / steps).Microseconds()), "store-cpu-µs/step")
				b.ReportMetric(float64((bareCPU.total / steps).Microseconds()), "bare-cpu-µs/step")
				b.ReportMetric(bareCPU.total.Seconds()/engineCPU.total.Seconds(), "cpu-ratio")
			}
			engineRate := float64(per*rounds) / engineTime.Seconds()
			storeRate := float64(per*rounds) / storeTime.Seconds()
			bareRate := float64(per*rounds) / bareTime.Seconds()
			b.ReportMetric(engineRate, "engine-steps/s")
			b.ReportMetric(bareRate, "bare-steps/s")
			b.ReportMetric(engineRate/bareRate, "ratio")
			b.ReportMetric(storeRate/bareRate, "store-ratio")
			b.ReportMetric(engineRate/storeRate, "engine-vs-store")
			slices.Sort(overhead)
			b.ReportMetric(float64(overhead[len(overhead)/2].Microseconds()), "p50-µs/checkpoint")
			b.ReportMetric(float64(overhead[len(overhead)*99/100].Microseconds()), "p99-µs/checkpoint")
		})
	}
}

// cpuTotal adds up the CPU time, client and server, of one side's rounds.
type cpuTotal struct {
	total, at time.Duration
	blind     bool // a reading could not see the server's backends
}

func (c *cpuTotal) start(ctx context.Context, pool *pgxpool.Pool) {
	client, server, ok := cpuClock(ctx, pool)
	c.at, c.blind = client+server, c.blind || !ok
}

func (c *cpuTotal) stop(ctx context.Context, pool *pgxpool.Pool) {
	client, server, ok := cpuClock(ctx, pool)
	c.total += client + server - c.at
	c.blind = c.blind || !ok
}

// engineSteps runs about steps steps of 5-step executions on workers
// goroutines sharing one engine, and returns each step's checkpoint time;
// round names its executions apart from the other rounds'.
func engineSteps(b *testing.B, ps *pgstore.Store, workers, steps, round int) []time.Duration {
	ctx := context.Background()
	st := &timed{Store: ps, begin: map[stepKey]time.Duration{}}
	world := fakes.NewWorld(nil)
	eng, err := engine.New(st, fakes.Registry(), policy.Reference(), world, &engine.Opts{Downstream: world})
	if err != nil {
		b.Fatal(err)
	}
	eachExecution(workers, steps, func(w int, i int64) bool {
		x := benchExecution(fmt.Sprintf("b%d-%d-%d-%d", b.N, round, w, i))
		if err := eng.Start(ctx, x); err != nil {
			b.Error(err)
			return false
		}
		if s, err := eng.Run(ctx, x.Tenant, x.Exec); err != nil || s != store.Completed {
			b.Errorf("run %s: %s %v", x.Exec, s, err)
			return false
		}
		return true
	})
	return st.steps
}

// engineCalls records the store calls the engine makes for one clean
// execution, in order: what storeSteps replays.
func engineCalls(b *testing.B) []any {
	ctx := context.Background()
	rec := &recording{Store: memstore.New(), b: b}
	world := fakes.NewWorld(nil)
	eng, err := engine.New(rec, fakes.Registry(), policy.Reference(), world, &engine.Opts{Downstream: world})
	if err != nil {
		b.Fatal(err)
	}
	x := benchExecution("recorded")
	if err := eng.Start(ctx, x); err != nil {
		b.Fatal(err)
	}
	if s, err := eng.Run(ctx, x.Tenant, x.Exec); err != nil || s != store.Completed {
		b.Fatalf("run %s: %s %v", x.Exec, s, err)
	}
	return rec.calls
}

// recording is a store that keeps the writes the clean path makes. The
// replay knows three kinds of them: any other write fails the benchmark,
// since the store side would then leave out work the engine does.
type recording struct {
	store.Store
	b     *testing.B
	calls []any
}

func (s *recording) Create(ctx context.Context, e store.Execution) error {
	s.calls = append(s.calls, e)
	return s.Store.Create(ctx, e)
}

func (s *recording) Begin(ctx context.Context, a store.Attempt) error {
	s.calls = append(s.calls, a)
	return s.Store.Begin(ctx, a)
}

func (s *recording) Commit(ctx context.Context, c store.Commit) error {
	s.calls = append(s.calls, c)
	return s.Store.Commit(ctx, c)
}

func (s *recording) unexpected(what string) {
	s.b.Fatalf("the engine's clean path called %s, which storeSteps does not replay", what)
}

func (s *recording) End(context.Context, store.Attempt) error { s.unexpected("End"); return nil }
func (s *recording) Restart(context.Context, string, string, int) error {
	s.unexpected("Restart")
	return nil
}
func (s *recording) WriteShared(context.Context, store.SharedWrite) error {
	s.unexpected("WriteShared")
	return nil
}
func (s *recording) Finish(context.Context, string, string, store.Status, string) error {
	s.unexpected("Finish")
	return nil
}
func (s *recording) DeadLetter(context.Context, store.DeadLetter) error {
	s.unexpected("DeadLetter")
	return nil
}

// storeSteps replays calls for about steps steps of executions on workers
// goroutines, each execution under an id of its own, with no engine.
func storeSteps(b *testing.B, ps *pgstore.Store, calls []any, workers, steps, round int) {
	ctx := context.Background()
	eachExecution(workers, steps, func(w int, i int64) bool {
		id := fmt.Sprintf("s%d-%d-%d-%d", b.N, round, w, i)
		for _, c := range calls {
			var err error
			switch c := c.(type) {
			case store.Execution:
				c.Exec = id
				err = ps.Create(ctx, c)
			case store.Attempt:
				c.Exec = id
				err = ps.Begin(ctx, c)
			case store.Commit:
				c.Exec = id
				err = ps.Commit(ctx, c)
			}
			if err != nil {
				b.Errorf("replay %s: %v", id, err)
				return false
			}
		}
		return true
	})
}

// eachExecution calls one for each of the whole executions that make about
// steps steps, numbered from 1, on workers goroutines (w is the worker's
// number); a worker stops at the first call that returns false.
func eachExecution(workers, steps int, one func(w int, i int64) bool) {
	execs := int64((steps + stepsPerExecution - 1) / stepsPerExecution)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := next.Add(1); i <= execs; i = next.Add(1) {
				if !one(w, i) {
					return
				}
			}
		})
	}
	wg.Wait()
}

func benchExecution(id string) store.Execution {
	steps := make([]store.Step, stepsPerExecution)
	for i := range steps {
		steps[i] = store.Step{Tool: fakes.VectorSearch, Writes: []string{fmt.Sprintf("s%d.out", i), fmt.Sprintf("s%d.meta", i)}}
	}
	return store.Execution{Tenant: "acme", Exec: id, Workflow: "bench", Steps: steps, Input: map[string]string{"request": "acme:request"}}
}

// bare runs steps steps of two committed transactions each — an insert,
// then an insert of the step's result and context as JSON — on workers
// goroutines, and returns the rate. With steps 0 it only creates its table.
func bare(b *testing.B, pool *pgxpool.Pool, steps, workers int) float64 {
	ctx := context.Background()
	if steps == 0 {
		_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS bare_steps (id bigserial PRIMARY KEY, step int, kind text, body jsonb)`)
		if err != nil {
			b.Fatal(err)
		}
		return 0
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(steps) {
				for _, kind := range []string{"begin", "commit"} {
					err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						_, err := tx.Exec(ctx, `INSERT INTO bare_steps (step, kind, body) VALUES ($1, $2, $3)`,
							1, kind, `{"s0.out":{"data":"acme:docs","writer":{"run":0,"step":0,"attempt":1}}}`)
						return err
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return float64(steps) / time.Since(start).Seconds()
}

// BenchmarkAuditPass times one reconciliation claim pass over 100 recovered
// executions, alone and among 100,000 clean ones: the pass should cost what
// the recovered executions cost.
func BenchmarkAuditPass(b *testing.B) {
	const pending = 100
	for _, clean := range []int{0, 100_000} {
		b.Run(fmt.Sprintf("recovered=%d/clean=%d", pending, clean), func(b *testing.B) {
			ctx := context.Background()
			pool := pgstoretest.Pool(b)
			s, err := pgstore.New(ctx, pool, &pgstore.Opts{Migrate: true})
			if err != nil {
				b.Fatal(err)
			}
			if clean > 0 {
				bulkB(b, s, "clean", clean, `'completed', false`, `true`)
			}
			bulkB(b, s, "pending", pending, `'dead-lettered', true`, `false`)
			if _, err := pool.Exec(ctx, `ANALYZE executions`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				n, err := s.Audit(ctx, 2*pending, func(store.Snapshot) ([]store.ReconEvent, error) { return nil, nil })
				if err != nil || n != pending {
					b.Fatalf("audited %d, %v", n, err)
				}
				b.StopTimer()
				if _, err := pool.Exec(ctx, `UPDATE executions SET audited = false WHERE tenant = 'pending'`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

func bulkB(b *testing.B, s *pgstore.Store, tenant string, n int, execution, resolved string) {
	b.Helper()
	err := s.AsTenant(context.Background(), tenant, func(tx pgx.Tx) error {
		_, err := tx.Exec(context.Background(), `
			INSERT INTO executions (tenant, id, workflow, steps, input, status, recovered, created)
			SELECT $1, 'e' || g, 'wf', '[]', '{}', `+execution+`, now()
			FROM generate_series(1, $2::int) AS g`, tenant, n)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
