package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
)

// ackLost is a store whose writes land while the engine is told they
// failed, as when the reply is lost on the way back; it can also refuse
// loads, as a store that went away.
type ackLost struct {
	store.Store
	mu   sync.Mutex
	lose map[string]int // method -> acknowledgements still to lose
	// loadsDown is how many loads to refuse after the next lost acknowledgement.
	loadsDown int
	downNow   int
}

var errAckLost = fmt.Errorf("the reply was lost: %w", store.ErrUnavailable)

func (s *ackLost) lost(method string, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || s.lose[method] == 0 {
		return err
	}
	s.lose[method]--
	s.downNow = s.loadsDown
	return errAckLost
}

func (s *ackLost) Load(ctx context.Context, tenant, id string) (store.Snapshot, error) {
	s.mu.Lock()
	down := s.downNow > 0
	if down {
		s.downNow--
	}
	s.mu.Unlock()
	if down {
		return store.Snapshot{}, fmt.Errorf("load refused: %w", store.ErrUnavailable)
	}
	return s.Store.Load(ctx, tenant, id)
}

func (s *ackLost) Commit(ctx context.Context, c store.Commit) error {
	return s.lost("Commit", s.Store.Commit(ctx, c))
}

func (s *ackLost) Restart(ctx context.Context, tenant, id string, run int) error {
	return s.lost("Restart", s.Store.Restart(ctx, tenant, id, run))
}

func (s *ackLost) Finish(ctx context.Context, tenant, id string, st store.Status, cause string) error {
	return s.lost("Finish", s.Store.Finish(ctx, tenant, id, st, cause))
}

func (s *ackLost) DeadLetter(ctx context.Context, d store.DeadLetter) error {
	return s.lost("DeadLetter", s.Store.DeadLetter(ctx, d))
}

// fixed is a policy that takes one action on every failure, on the
// reference architecture (optionally changed).
type fixed struct {
	action policy.Action
	arch   policy.Architecture
}

func (p fixed) Name() string                      { return "fixed-" + p.action.String() }
func (p fixed) Architecture() policy.Architecture { return p.arch }
func (p fixed) Decide(policy.Input) policy.Decision {
	d := policy.Decide(p.action, "the test's policy")
	d.MaxRetries = 3
	return d
}

func always(a policy.Action, change ...func(*policy.Architecture)) policy.Policy {
	p := fixed{action: a, arch: policy.DefaultArchitecture()}
	for _, f := range change {
		f(&p.arch)
	}
	return p
}

// TestWritesThatLandedUnacknowledged loses the reply of one store write and
// checks that the engine takes the store's word instead of hanging on a
// write the store refuses to repeat, or ending an execution whose step
// committed.
func TestWritesThatLandedUnacknowledged(t *testing.T) {
	t.Parallel()
	restart := func(a *policy.Architecture) { a.Resume = policy.Restart }
	cases := []struct {
		name      string
		policy    policy.Policy
		tools     []string
		lose      string
		loadsDown int
		// lossy, when set, loses the response of the tool's first call
		// after it acted.
		lossy   string
		want    store.Status
		run     int   // the execution's final run
		invokes []int // per step
	}{
		{"a finish", always(policy.Fail), []string{fakes.SendEmail}, "Finish", 0, fakes.SendEmail, store.Failed, 0, []int{1}},
		{"the last commit, which completes the execution", policy.Reference(), []string{fakes.VectorSearch}, "Commit", 0, "", store.Completed, 0, []int{1}},
		{"a dead letter", policy.Reference(), []string{fakes.SendEmail}, "DeadLetter", 0, fakes.SendEmail, store.DeadLettered, 0, []int{1}},
		{"a restart", reference(restart), []string{fakes.Plan, fakes.VectorSearch}, "Restart", 0, fakes.VectorSearch, store.Completed, 1, []int{2, 2}},
		{"a commit, then a decision to dead-letter", always(policy.DeadLetter), []string{fakes.VectorSearch, fakes.InsertRecord}, "Commit", 0, "", store.Completed, 0, []int{1, 1}},
		{"a commit, then a decision to fail, with the store gone for a while", always(policy.Fail), []string{fakes.InsertRecord, fakes.CreateCharge}, "Commit", 2, "", store.Completed, 0, []int{1, 1}},
		{"a commit, then a decision to compensate", always(policy.Compensate), []string{fakes.CreateCharge}, "Commit", 0, "", store.Completed, 0, []int{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second) // a hang fails, not stalls
			defer cancel()
			e.ctx = ctx
			st := &ackLost{Store: e.store, lose: map[string]int{c.lose: 1}, loadsDown: c.loadsDown}
			var tools engine.Invoker = e.world
			if c.lossy != "" {
				tools = &lossy{World: e.world, tool: c.lossy, acted: true}
			}
			eng := e.engineOn(st, c.policy, tools, nil)
			x := workflow(fakes.Acme, "e1", c.tools...)
			if got := e.run(eng, x); got != c.want {
				t.Fatalf("status %s, want %s", got, c.want)
			}
			if st.lose[c.lose] != 0 {
				t.Fatalf("no %s reply was lost", c.lose)
			}
			snap := e.load(x)
			if snap.Execution.Status != c.want || snap.Execution.Run != c.run {
				t.Fatalf("stored %s in run %d, want %s in run %d", snap.Execution.Status, snap.Execution.Run, c.want, c.run)
			}
			if got := e.rec.invokes(len(x.Steps)); !slices.Equal(got, c.invokes) {
				t.Errorf("invocations per step %v, want %v", got, c.invokes)
			}
			if want := 0; c.want == store.DeadLettered {
				if len(snap.DeadLetters) != 1 {
					t.Errorf("%d dead letters stored, want one", len(snap.DeadLetters))
				}
			} else if len(snap.DeadLetters) != want {
				t.Errorf("dead letters %v, want none", snap.DeadLetters)
			}
			// A failed commit is the attempt's failure, typed and decided; the
			// other lost replies, and refused loads, are waited out.
			wantErrs := c.loadsDown
			if c.lose != "Commit" {
				wantErrs++
			}
			if errs := e.rec.of(engine.EvStoreError); len(errs) != wantErrs {
				t.Errorf("store errors reported %v, want %d", errs, wantErrs)
			}
			for step := range x.Steps {
				if c.want == store.Completed && len(e.applied(x, step)) > 1 {
					t.Errorf("step %d applied %v", step, e.applied(x, step))
				}
			}
			fin := e.rec.of(engine.EvFinish)
			if len(fin) == 0 || fin[len(fin)-1].Status != c.want {
				t.Errorf("finish events %v, want the last to say %s", fin, c.want)
			}
		})
	}
}

// refundFails fails refund_charge the given number of times, or crashes the
// engine on the first refund.
type refundFails struct {
	*lossy
	mu    sync.Mutex
	fails int
	crash bool
}

var errRefund = errors.New("the payment provider answered 503")

func (r *refundFails) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	if c.Tool == fakes.RefundCharge {
		r.mu.Lock()
		crash, fail := r.crash, r.fails > 0
		r.crash = false
		if fail && !crash {
			r.fails--
		}
		r.mu.Unlock()
		switch {
		case crash:
			return engine.Response{}, engine.ErrCrash
		case fail:
			return engine.Response{}, errRefund
		}
	}
	return r.lossy.Invoke(ctx, c)
}

// TestCompensation runs a policy that compensates a charge whose response
// was lost after it was made.
func TestCompensation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fails int
		crash bool
		want  store.Status
		// begins is how many compensation attempts began.
		begins int
	}{
		{"the refund undoes the charge", 0, false, store.Compensated, 1},
		{"a refund that fails twice is tried again", 2, false, store.Compensated, 3},
		{"a refund that keeps failing is dead-lettered", 100, false, store.DeadLettered, 3},
		{"a crash during the refund: the rebuilt engine refunds", 0, true, store.Compensated, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			x := workflow(fakes.Acme, "e1", fakes.VectorSearch, fakes.CreateCharge)
			tools := &refundFails{lossy: &lossy{World: e.world, tool: fakes.CreateCharge, acted: true}, fails: c.fails, crash: c.crash}
			p := always(policy.Compensate)
			eng := e.engine(p, tools, nil)
			if err := eng.Start(e.ctx, x); err != nil {
				t.Fatal(err)
			}
			status, err := eng.Run(e.ctx, x.Tenant, x.Exec)
			if c.crash {
				if !errors.Is(err, engine.ErrCrash) {
					t.Fatalf("Run = %s, %v; want the crash", status, err)
				}
				eng = e.engine(p, tools, nil)
				if _, err := eng.Recover(e.ctx); err != nil {
					t.Fatal(err)
				}
				status, err = eng.Run(e.ctx, x.Tenant, x.Exec)
			}
			if err != nil || status != c.want {
				t.Fatalf("Run = %s, %v; want %s", status, err, c.want)
			}
			charges := e.applied(x, 1)
			if len(charges) != 1 {
				t.Fatalf("charges %v, want the one whose response was lost", charges)
			}
			var refunds []fakes.Effect
			for _, ef := range e.world.Ledger().Effects() {
				if ef.Kind == fakes.Compensated && ef.Ref == charges[0].Ref {
					refunds = append(refunds, ef)
				}
			}
			if wantRefunds := 1; c.want == store.Compensated && len(refunds) != wantRefunds || c.want != store.Compensated && len(refunds) != 0 {
				t.Errorf("refunds of %s: %v", charges[0].Ref, refunds)
			}
			var begins int
			for _, b := range e.rec.of(engine.EvBegin, 1) {
				if b.Detail == "compensate" {
					begins++
				}
			}
			if begins != c.begins {
				t.Errorf("%d compensation attempts began, want %d", begins, c.begins)
			}
			if got := e.rec.invokes(2); !slices.Equal(got, []int{1, 1}) {
				t.Errorf("invocations per step %v: compensation does not call the tool again", got)
			}
			snap := e.load(x)
			if snap.Execution.Status != c.want {
				t.Errorf("stored %s", snap.Execution.Status)
			}
			if c.want == store.DeadLettered && (len(snap.DeadLetters) != 1 || snap.DeadLetters[0].Step != 1) {
				t.Errorf("dead letters %v, want step 1's", snap.DeadLetters)
			}
		})
	}
}
