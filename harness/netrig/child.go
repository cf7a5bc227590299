package netrig

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/faults/toxics"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/reference/store/pgstore"
	"github.com/chaosrun/chaosrun/scenarios"
)

// childSpec is what the harness hands an engine process on its stdin.
type childSpec struct {
	// Rules is the policy when it is a policy file, compiled once by the
	// harness: the child never reads the file. Otherwise Policy names the
	// policy for the child's resolve.
	Rules    *policy.Rules `json:",omitempty"`
	Policy   string        `json:",omitempty"`
	Scenario scenarios.Scenario
	// Toxiproxy is the API the child adds toxics through.
	Toxiproxy string
	// Proxies maps proxy names to their addresses, and Slots each execution
	// to the prefix of its proxies' names (the slot's, "x1": "x1.<tool>",
	// "x1.postgres").
	Proxies map[string]string
	Slots   map[string]string
	// Postgres is the DSN of the rig's server and Database its throwaway
	// database; each execution reaches it through its own proxy (PostgresAddr).
	Postgres     string
	Database     string
	PostgresAddr map[string]string
	HeaderBytes  int
	ChunkBytes   int
	Timeout      time.Duration
	Speedup      float64
	// Start is the wall time the run's scaled clock started at.
	Start time.Time
	// Fired lists the crash points that already killed an engine.
	Fired []uint64
	// Resume is set for an engine started after a kill.
	Resume bool
}

// childLine is one line an engine process writes on its stdout.
type childLine struct {
	Event *engine.Event   `json:",omitempty"`
	Fault *faults.Applied `json:",omitempty"`
	// Kill asks the harness to kill the process now: a crash point fired.
	Kill *uint64 `json:",omitempty"`
	Site string  `json:",omitempty"`
	// Done ends a spec's run, every engine returned; Err is the run's error.
	Done bool   `json:",omitempty"`
	Err  string `json:",omitempty"`
}

// runChild runs the scenario's executions in engine processes, killing one
// with SIGKILL at each crash point and starting the next, which resumes from
// Postgres, until every execution has ended.
func (n *netRun) runChild(ctx context.Context, p policy.Policy) error {
	spec := childSpec{Scenario: n.sc, Toxiproxy: n.rig.tox.API(), Proxies: n.proxies, Slots: n.slot,
		Postgres: n.rig.o.DSN, Database: n.rig.db.tw.Name(), PostgresAddr: n.pgAddr, HeaderBytes: n.rig.layout.HeaderBytes,
		ChunkBytes: n.rig.layout.ChunkBytes, Timeout: n.rig.o.Timeout, Speedup: n.rig.o.Speedup, Start: n.clock.start}
	if rules, ok := p.(*policy.Rules); ok {
		spec.Rules = rules
	} else {
		spec.Policy = n.rig.o.Ref(p)
	}
	for {
		killed, key, err := n.oneChild(ctx, spec)
		if err != nil || !killed {
			return err
		}
		n.rig.kills.Add(1)
		n.crashedWith()
		if err := n.clearToxics(); err != nil {
			return fmt.Errorf("net mode: clear the toxics of a killed engine: %w", err)
		}
		spec.Fired = append(spec.Fired, key)
		spec.Resume = true
		n.rec.Observe(engine.Event{Kind: engine.EvRecover, Detail: "a new engine process resumes from Postgres"})
	}
}

// crashedWith records the crash of the attempts that were in flight in an
// engine process killed at one execution's crash point: the process ran
// every execution, and each of them lost what it held in memory — an
// outcome not yet recorded, say, while the store was slow to take it. The
// attempts whose crash point fired have their fault already.
func (n *netRun) crashedWith() {
	type attempt struct {
		id      store.AttemptID
		crashed bool
	}
	flying := map[store.Ref]*attempt{}
	for _, e := range n.rec.Events() {
		ref := e.Execution()
		a := flying[ref]
		switch {
		case e.Kind == engine.EvBegin:
			flying[ref] = &attempt{id: e.AttemptID}
		case e.Kind == engine.EvCommit, e.Kind == engine.EvFailure, e.Kind == engine.EvFinish:
			delete(flying, ref)
		case e.Kind == engine.EvFault && a != nil && strings.HasPrefix(e.Detail, faults.Crash.String()+" "):
			a.crashed = a.crashed || e.AttemptID == a.id
		}
	}
	for _, a := range flying {
		if !a.crashed {
			n.rec.Fault(faults.Applied{Kind: faults.Crash, AttemptID: a.id,
				Detail: "the engine process running it was killed at another execution's crash point"})
		}
	}
}

// engineProc is an engine process that runs one spec after another, until
// it is killed at a crash point or its stdin closes: starting a process for
// every run cost more CPU than the run itself.
type engineProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	lines  *bufio.Scanner
	stderr *lockedBuffer
}

// engine returns the rig's engine process, started if there is none.
func (r *Rig) engine() (*engineProc, error) {
	if r.proc != nil {
		return r.proc, nil
	}
	cmd := r.o.Child()
	dieWithParent(cmd)
	p := &engineProc{cmd: cmd, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	var err error
	if p.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the engine process: %w", err)
	}
	p.lines = bufio.NewScanner(out)
	p.lines.Buffer(make([]byte, 1<<20), 1<<24)
	r.proc = p
	return p, nil
}

// stopEngine ends the rig's engine process: its stdin closes, and it exits
// once its run, if any, is over (or is killed past a second).
func (r *Rig) stopEngine() error {
	p := r.proc
	if p == nil {
		return nil
	}
	r.proc = nil
	_ = p.in.Close()
	t := time.AfterFunc(time.Second, func() { _ = p.cmd.Process.Kill() })
	defer t.Stop()
	for p.lines.Scan() {
	}
	_ = p.cmd.Wait()
	return nil
}

// oneChild runs a spec in the rig's engine process until its run is done or
// the process asks to be killed, and kills it.
func (n *netRun) oneChild(ctx context.Context, spec childSpec) (killed bool, key uint64, err error) {
	in, err := json.Marshal(spec)
	if err != nil {
		return false, 0, err
	}
	p, err := n.rig.engine()
	if err != nil {
		return false, 0, err
	}
	p.stderr.Reset()
	gone := func() { // the process is killed or has died: the next run starts another
		if n.rig.proc == p {
			n.rig.proc = nil
		}
		for p.lines.Scan() {
		}
		_ = p.cmd.Wait()
	}
	stop := context.AfterFunc(ctx, func() { _ = p.cmd.Process.Kill() })
	defer stop()
	if _, err := p.in.Write(append(in, '\n')); err != nil {
		_ = p.cmd.Process.Kill()
		gone()
		if ctx.Err() != nil {
			return false, 0, nil
		}
		return false, 0, fmt.Errorf("the engine process does not take its spec: %w\n%s", err, p.stderr)
	}
	site := ""
	for p.lines.Scan() {
		var line childLine
		if err := json.Unmarshal(p.lines.Bytes(), &line); err != nil {
			_ = p.cmd.Process.Kill()
			gone()
			return false, 0, fmt.Errorf("the engine process wrote %q: %w", p.lines.Text(), err)
		}
		switch {
		case line.Event != nil:
			n.rec.Observe(*line.Event)
		case line.Fault != nil:
			n.rec.Fault(*line.Fault)
		case line.Kill != nil && !killed:
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				_ = p.cmd.Process.Kill()
				gone()
				return false, 0, fmt.Errorf("SIGKILL the engine process: %w", err)
			}
			// Keep reading: what the process's other goroutines wrote
			// before it died is still in the pipe, and it happened.
			killed, key, site = true, *line.Kill, line.Site
		case line.Done && !killed:
			if !stop() {
				gone() // the run's limit killed it after all: the next run starts another
			}
			if line.Err != "" {
				return false, 0, fmt.Errorf("the engine process failed: %s\n%s", line.Err, p.stderr)
			}
			return false, 0, nil
		}
	}
	gone()
	switch {
	case killed:
		n.rec.Observe(engine.Event{Kind: engine.EvCrash, Detail: "SIGKILL at " + site})
		return true, key, nil
	case ctx.Err() != nil:
		return false, 0, nil
	}
	return false, 0, fmt.Errorf("the engine process ended before its run did: %v\n%s", p.cmd.ProcessState, p.stderr)
}

// lockedBuffer is a process's stderr, written by the goroutine that copies
// it, read and reset by the rig.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 64<<10 { // what a run writes is read at its end; keep the last of it
		b.buf.Reset()
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ChildMain is the engine process of net mode with Postgres: it reads
// specs on in, one after another, and for each runs the scenario's
// executions (or resumes them), reports every event as a JSON line on out
// and ends with a line that says the run is done; at a crash point it asks
// to be killed and waits for it. It returns when in ends. A policy file
// comes in the spec, compiled; resolve turns the name of any other policy (a
// built-in one) into the policy.
func ChildMain(ctx context.Context, in io.Reader, out io.Writer, resolve func(ref string) (policy.Policy, error)) error {
	w := &lineWriter{out: out}
	dec := json.NewDecoder(in)
	var ps *pools // kept from spec to spec
	defer func() {
		if ps != nil {
			ps.close()
		}
	}()
	for {
		var spec childSpec
		err := dec.Decode(&spec)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("engine process: read the spec: %w", err)
		}
		if ps == nil {
			cfg, err := pgxpool.ParseConfig(spec.Postgres)
			if err != nil {
				return fmt.Errorf("engine process: the Postgres DSN does not parse: %w", err)
			}
			cfg.ConnConfig.Database = spec.Database
			ps = newPools(cfg)
		}
		done := childLine{Done: true}
		if err := childRun(ctx, spec, ps, w, resolve); err != nil {
			done.Err = err.Error()
		}
		ps.settle(ctx)
		w.write(done)
	}
}

// childRun runs one spec's executions.
func childRun(ctx context.Context, spec childSpec, ps *pools, w *lineWriter, resolve func(ref string) (policy.Policy, error)) error {
	var p policy.Policy = spec.Rules
	if spec.Rules == nil {
		var err error
		if p, err = resolve(spec.Policy); err != nil {
			return err
		}
	}
	clock := NewScaledClock(spec.Start, spec.Speedup)
	proxy := func(exec, tool string) string { return spec.Slots[exec] + "." + tool }
	inj := toxics.NewInjector(spec.Scenario.Faults, spec.Scenario.Units(), func(a faults.Applied) { w.write(childLine{Fault: &a}) },
		toxics.Opts{Links: toxics.Connect(spec.Toxiproxy), Proxy: proxy, Postgres: func(exec string) string { return spec.Slots[exec] + ".postgres" },
			HeaderBytes: spec.HeaderBytes, ChunkBytes: spec.ChunkBytes, Fired: spec.Fired,
			Crash: func(key uint64, s engine.Site) {
				w.write(childLine{Kill: &key, Site: fmt.Sprintf("%s of %s step %d attempt %d", s.Point, s.Exec, s.Step, s.Attempt)})
				select {} // the harness kills this process now
			}})
	inj.UseWorld(fakes.Default()) // where the tools' servers may hold a request (zombies)
	obs := observerFunc(func(e engine.Event) {
		if e.At.IsZero() {
			e.At = clock.Now()
		}
		w.write(childLine{Event: &e})
	})
	var wg sync.WaitGroup
	errs := make([]error, len(spec.Scenario.Executions))
	for i, x := range spec.Scenario.Executions {
		eng, err := childEngine(ctx, spec, ps, x, p, inj, clock, obs)
		if err != nil {
			wg.Wait() // the process runs the next spec: nothing of this one goes on
			return err
		}
		if err := startOnce(ctx, eng, x, obs); err != nil {
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = eng.Run(ctx, x.Tenant, x.ID)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// childEngine builds one execution's engine: its own client through its
// proxies, its pool through its Postgres proxy.
func childEngine(ctx context.Context, spec childSpec, ps *pools, x scenarios.Execution, p policy.Policy, inj *toxics.Injector, clock *ScaledClock, obs engine.Observer) (*engine.Engine, error) {
	pool, err := ps.get(ctx, spec.PostgresAddr[x.ID])
	if err != nil {
		return nil, err
	}
	st, err := openStore(ctx, pool, &pgstore.Opts{BeforeCommit: inj.BeforeCommit}, x, obs)
	if err != nil {
		return nil, err
	}
	client := fakehttp.NewClient(func(tool string) string { return spec.Proxies[spec.Slots[x.ID]+"."+tool] }, &fakehttp.ClientOpts{Timeout: spec.Timeout})
	return engine.New(inj.Store(st), fakes.Registry(), p, inj.Invoker(client), &engine.Opts{Clock: clock, Faults: inj, Observer: obs,
		Downstream: client, Contracts: fakes.Contracts{}, Seed: spec.Scenario.Faults.Seed, StoreRetry: wallRetry(spec.Speedup)})
}

// startOnce creates an execution unless an earlier engine process did,
// waiting out a store that is unavailable and reporting each wait to obs.
func startOnce(ctx context.Context, eng *engine.Engine, x scenarios.Execution, obs engine.Observer) error {
	for {
		err := eng.Start(ctx, x.Store())
		switch {
		case err == nil, errors.Is(err, store.ErrExists):
			return nil
		case !errors.Is(err, store.ErrUnavailable):
			return fmt.Errorf("start %s: %w", x.ID, err)
		}
		obs.Observe(engine.Event{Kind: engine.EvStoreError, AttemptID: store.AttemptID{Tenant: x.Tenant, Exec: x.ID}, Detail: err.Error()})
		if err := engine.RealClock.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

type observerFunc func(engine.Event)

func (f observerFunc) Observe(e engine.Event) { f(e) }

// lineWriter writes JSON lines from several goroutines, one write each, so
// that what is written before a kill is whole.
type lineWriter struct {
	mu  sync.Mutex
	out io.Writer
}

func (w *lineWriter) write(l childLine) {
	b, err := json.Marshal(l)
	if err != nil {
		panic(err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, _ = w.out.Write(append(b, '\n'))
}
