package fakes_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// clock is a virtual clock the tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.advance(d)
	return ctx.Err()
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// quirks makes the world misbehave on calls that carry given keys.
type quirks map[string]fakes.Quirk

func (q quirks) Quirk(c engine.Call) fakes.Quirk { return q[c.Key] }

type env struct {
	t     *testing.T
	ctx   context.Context
	clock *clock
	world *fakes.World
}

func setup(t *testing.T, opts *fakes.Opts) *env {
	t.Helper()
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	if opts == nil {
		opts = &fakes.Opts{}
	}
	opts.Clock = c
	return &env{t: t, ctx: context.Background(), clock: c, world: fakes.NewWorld(opts)}
}

// call is a call of tool by tenant for step 0 of execution e1, with key.
func call(tenant, tool, key string) engine.Call {
	return engine.Call{AttemptID: store.AttemptID{Tenant: tenant, Exec: "e1", Step: 0, Attempt: 1}, Tool: tool, Key: key, Payload: "request=" + tenant + ":request:x\n"}
}

func (e *env) invoke(c engine.Call) engine.Response {
	e.t.Helper()
	resp, err := e.world.Invoke(e.ctx, c)
	if err != nil {
		e.t.Fatalf("Invoke %s for %s: %v", c.Tool, c.Tenant, err)
	}
	return resp
}

func (e *env) lookup(tenant, tool, key string) engine.LookupResult {
	e.t.Helper()
	res, err := e.world.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: tenant}, Tool: tool, Key: key})
	if err != nil {
		e.t.Fatalf("Lookup %s for %s: %v", tool, tenant, err)
	}
	return res
}

// effects returns the ledger's entries of one kind.
func (e *env) effects(k fakes.Kind) []fakes.Effect {
	var out []fakes.Effect
	for _, ef := range e.world.Ledger().Effects() {
		if ef.Kind == k {
			out = append(out, ef)
		}
	}
	return out
}

func TestKeyedEffectsDeduplicate(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{fakes.InsertRecord, fakes.CreateCharge} {
		t.Run(tool, func(t *testing.T) {
			t.Parallel()
			e := setup(t, nil)
			first := e.invoke(call(fakes.Acme, tool, "k1"))
			second := e.invoke(call(fakes.Acme, tool, "k1"))
			if second != first {
				t.Errorf("a repeated key answered %+v, then %+v", first, second)
			}
			if got := e.effects(fakes.Applied); len(got) != 1 || got[0].Ref != first.Ref || got[0].Key != "k1" || got[0].Idempotent {
				t.Fatalf("applied %+v, want one non-idempotent effect under k1", got)
			}
			other := e.invoke(call(fakes.Acme, tool, "k2"))
			e.invoke(call(fakes.Globex, tool, "k1")) // keys are per tenant
			e.invoke(call(fakes.Acme, tool, ""))
			e.invoke(call(fakes.Acme, tool, "")) // no key: a new operation every time
			if got := len(e.effects(fakes.Applied)); got != 5 {
				t.Errorf("%d effects, want 5", got)
			}
			if other.Ref == first.Ref {
				t.Errorf("another key reused %s", first.Ref)
			}
			if res := e.lookup(fakes.Acme, tool, "k1"); !res.Found || !slices.Equal(res.Refs, []string{first.Ref}) || res.Response != first {
				t.Errorf("Lookup(k1) = %+v", res)
			}
			if res := e.lookup(fakes.Acme, tool, "never"); res.Found || len(res.Refs) != 0 {
				t.Errorf("Lookup of an unknown key = %+v", res)
			}
		})
	}
}

func TestCharges(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	for i := range 20 {
		c := call(fakes.Acme, fakes.CreateCharge, fmt.Sprint(i))
		c.Payload = fmt.Sprintf("request=acme:order %d\n", i)
		e.invoke(c)
	}
	for _, ef := range e.effects(fakes.Applied) {
		if ef.CostCents < 500 || ef.CostCents >= 5000 {
			t.Errorf("a charge of %d cents", ef.CostCents)
		}
	}
	e.invoke(call(fakes.Acme, fakes.InsertRecord, "r"))
	if got := e.effects(fakes.Applied); got[len(got)-1].CostCents != 0 {
		t.Errorf("a record costs %d cents", got[len(got)-1].CostCents)
	}
}

func TestDriftStopsDeduplication(t *testing.T) {
	t.Parallel()
	e := setup(t, &fakes.Opts{Drift: []fakes.Drift{{Tenant: fakes.Acme, Tool: fakes.InsertRecord}, {Tenant: fakes.Acme, Tool: fakes.PublishReport}}})
	a := e.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
	b := e.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
	if a.Ref == b.Ref {
		t.Errorf("a drifted tool deduplicated the key: %s", a.Ref)
	}
	if res := e.lookup(fakes.Acme, fakes.InsertRecord, "k"); len(res.Refs) != 2 {
		t.Errorf("Lookup after a drifted repeat = %v, want both effects", res.Refs)
	}
	p1 := e.invoke(call(fakes.Acme, fakes.PublishReport, "r"))
	p2 := e.invoke(call(fakes.Acme, fakes.PublishReport, "r"))
	if p1.Ref == p2.Ref {
		t.Error("a drifted upsert deduplicated")
	}
	for _, ef := range e.effects(fakes.Applied) {
		if ef.Idempotent {
			t.Errorf("a drifted effect is marked idempotent: %+v", ef)
		}
	}
	// Other tenants and other tools are not drifted.
	g1, g2 := e.invoke(call(fakes.Globex, fakes.InsertRecord, "k")), e.invoke(call(fakes.Globex, fakes.InsertRecord, "k"))
	c1, c2 := e.invoke(call(fakes.Acme, fakes.CreateCharge, "k")), e.invoke(call(fakes.Acme, fakes.CreateCharge, "k"))
	if g1 != g2 || c1 != c2 {
		t.Error("drift leaked to another tenant or tool")
	}
	facts := e.world.Ledger().Facts()
	if !facts.Drifted(fakes.Acme, fakes.InsertRecord) || facts.Drifted(fakes.Globex, fakes.InsertRecord) {
		t.Error("Facts.Drifted does not say which tool drifted for whom")
	}
	if facts.Truth(fakes.Acme, fakes.PublishReport).Idempotent || !facts.Truth(fakes.Globex, fakes.DeleteRecord).Idempotent {
		t.Error("Facts.Truth ignores the drift, or invents one")
	}
}

func TestEnrichRateLimit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		limit int
		want  int
	}{
		{"the default is 3 calls per second", 0, 3},
		{"a configured limit", 5, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, &fakes.Opts{RateLimit: c.limit})
			for range c.want {
				e.invoke(call(fakes.Acme, fakes.EnrichContact, ""))
				e.clock.advance(100 * time.Millisecond)
			}
			_, err := e.world.Invoke(e.ctx, call(fakes.Acme, fakes.EnrichContact, ""))
			var se *outcome.StatusError
			want := time.Second - time.Duration(c.want)*100*time.Millisecond
			if !errors.As(err, &se) || se.Code != 429 || se.RetryAfter != want {
				t.Fatalf("call %d in the second: %v, want 429 with Retry-After %s", c.want+1, err, want)
			}
			if got := len(e.effects(fakes.Applied)); got != c.want {
				t.Errorf("%d billed calls, want %d: a refused call is not billed", got, c.want)
			}
			e.invoke(call(fakes.Globex, fakes.EnrichContact, "")) // another tenant has its own window
			e.clock.advance(se.RetryAfter)
			e.invoke(call(fakes.Acme, fakes.EnrichContact, "")) // after Retry-After, a new window
			for _, ef := range e.effects(fakes.Applied) {
				if ef.CostCents != 2 {
					t.Errorf("an enrichment billed %d cents", ef.CostCents)
				}
			}
		})
	}
}

func TestPublishReportPerTenant(t *testing.T) {
	t.Parallel()
	t.Run("acme upserts: a repeated key is an idempotent effect", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		first, second := e.invoke(call(fakes.Acme, fakes.PublishReport, "k")), e.invoke(call(fakes.Acme, fakes.PublishReport, "k"))
		if first != second {
			t.Errorf("the upsert answered %+v then %+v", first, second)
		}
		applied := e.effects(fakes.Applied)
		if len(applied) != 2 || !applied[0].Idempotent || !applied[1].Idempotent || applied[1].Ref != first.Ref {
			t.Fatalf("applied %+v, want two idempotent writes of %s", applied, first.Ref)
		}
		if res := e.lookup(fakes.Acme, fakes.PublishReport, "k"); !res.Found || len(res.Refs) != 1 {
			t.Errorf("Lookup = %+v", res)
		}
	})
	t.Run("acme without a key upserts by the step", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		first, second := e.invoke(call(fakes.Acme, fakes.PublishReport, "")), e.invoke(call(fakes.Acme, fakes.PublishReport, ""))
		other := call(fakes.Acme, fakes.PublishReport, "")
		other.Step = 1
		if first != second || e.invoke(other).Ref == first.Ref {
			t.Error("keyless upserts are not keyed by the step")
		}
	})
	t.Run("globex charges every call and ignores keys", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		first, second := e.invoke(call(fakes.Globex, fakes.PublishReport, "k")), e.invoke(call(fakes.Globex, fakes.PublishReport, "k"))
		if first.Ref == second.Ref {
			t.Error("the paid webhook deduplicated a key")
		}
		applied := e.effects(fakes.Applied)
		if len(applied) != 2 {
			t.Fatalf("applied %+v, want two", applied)
		}
		for _, ef := range applied {
			if ef.CostCents != 50 || ef.Key != "" || ef.Idempotent {
				t.Errorf("webhook effect %+v, want 50 cents, no key, not idempotent", ef)
			}
		}
		if _, err := e.world.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Globex}, Tool: fakes.PublishReport, Key: "k"}); !errors.Is(err, fakes.ErrNoLookup) {
			t.Errorf("the webhook answered a lookup: %v", err)
		}
	})
	t.Run("initech triggers every call and answers lookups", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		first, second := e.invoke(call(fakes.Initech, fakes.PublishReport, "k")), e.invoke(call(fakes.Initech, fakes.PublishReport, "k"))
		if first.Ref == second.Ref {
			t.Error("the trigger deduplicated a key")
		}
		applied := e.effects(fakes.Applied)
		if len(applied) != 2 || applied[0].Idempotent || applied[1].Idempotent || applied[0].CostCents != 0 {
			t.Fatalf("applied %+v, want two free, non-idempotent triggers", applied)
		}
		if res := e.lookup(fakes.Initech, fakes.PublishReport, "k"); !res.Found || !slices.Equal(res.Refs, []string{first.Ref, second.Ref}) {
			t.Errorf("Lookup = %+v, want both triggers", res)
		}
	})
}

func TestLLMComplete(t *testing.T) {
	t.Parallel()
	stream := func(payload, token string, failAt int) (engine.Call, *[]string) {
		var got []string
		c := engine.Call{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 1, Attempt: 1}, Tool: fakes.LLMComplete, Token: token, Payload: payload}
		c.Deliver = func(i int, chunk string) error {
			if i == failAt {
				return outcome.ErrStreamCut
			}
			got = append(got, fmt.Sprintf("%d:%s", i, chunk))
			return nil
		}
		return c, &got
	}
	t.Run("streams chunks and records usage", func(t *testing.T) {
		t.Parallel()
		lengths := map[int]bool{}
		for i := range 40 {
			e := setup(t, nil)
			c, got := stream(fmt.Sprintf("request=acme:question %d\n", i), "tok", -1)
			resp := e.invoke(c)
			n := len(*got)
			if res := e.lookup(fakes.Acme, fakes.LLMComplete, "tok"); res.Found {
				t.Errorf("a generation none of whose %d chunks reached the consumer was found: %+v", n, res)
			}
			for j := range n {
				if err := e.world.Deliver(context.Background(), engine.Chunk{AttemptID: store.AttemptID{Tenant: fakes.Acme, Exec: "e1", Step: 1}, Token: "tok", Index: j}); err != nil {
					t.Fatal(err)
				}
			}
			lengths[n] = true
			if n < 3 || n > 6 {
				t.Fatalf("%d chunks", n)
			}
			for j, ch := range *got {
				if ch != fmt.Sprintf("%d:acme:chunk-%d", j, j) {
					t.Errorf("chunk %d = %q", j, ch)
				}
			}
			usage := e.effects(fakes.Usage)
			if len(usage) != 1 || usage[0].Tokens != 100+25*n || usage[0].Key != "tok" {
				t.Errorf("usage %+v, want %d tokens under the token", usage, 100+25*n)
			}
			if res := e.lookup(fakes.Acme, fakes.LLMComplete, "tok"); !res.Found || res.Response.Data != resp.Data {
				t.Errorf("Lookup by token = %+v, want the generation %q", res, resp.Data)
			}
			if fakes.DataTenant(resp.Data) != fakes.Acme {
				t.Errorf("the generation %q is not acme's", resp.Data)
			}
			if got := len(e.effects(fakes.Applied)); got != 0 {
				t.Errorf("a generation applied %d effects itself", got)
			}
		}
		if len(lengths) < 3 {
			t.Errorf("40 prompts gave generations of only %v chunks", lengths)
		}
	})
	t.Run("stops when Deliver fails and still counts the tokens", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		c, got := stream("request=acme:q\n", "tok", 2)
		_, err := e.world.Invoke(e.ctx, c)
		if !errors.Is(err, outcome.ErrStreamCut) {
			t.Fatalf("Invoke: %v, want Deliver's error", err)
		}
		if len(*got) != 2 {
			t.Errorf("delivered %v after the failure", *got)
		}
		if usage := e.effects(fakes.Usage); len(usage) != 1 || usage[0].Tokens != 150 {
			t.Errorf("usage %+v, want 150 tokens for a prompt and 2 chunks", usage)
		}
		if res := e.lookup(fakes.Acme, fakes.LLMComplete, "tok"); res.Found {
			t.Errorf("a cut generation is found by its token: %+v", res)
		}
	})
	t.Run("without a token nothing is kept for lookups", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		c, _ := stream("request=acme:q\n", "", -1)
		e.invoke(c)
		if _, err := e.world.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.LLMComplete}); !errors.Is(err, fakes.ErrNoLookup) {
			t.Errorf("Lookup without a token: %v", err)
		}
	})
	t.Run("the same prompt gives the same generation", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		a, _ := stream("request=acme:q\n", "t1", -1)
		b, _ := stream("request=acme:q\n", "t2", -1)
		if ra, rb := e.invoke(a), e.invoke(b); ra != rb {
			t.Errorf("%+v then %+v", ra, rb)
		}
	})
}

func TestDownstreamDeduplicatesChunks(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	deliver := func(tenant, token string, index int, text string) {
		t.Helper()
		if err := e.world.Deliver(e.ctx, engine.Chunk{AttemptID: store.AttemptID{Tenant: tenant, Exec: "e1", Step: 1, Attempt: 1}, Tool: fakes.LLMComplete, Token: token, Index: index, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	deliver(fakes.Acme, "t", 0, "acme:chunk-0")
	deliver(fakes.Acme, "t", 1, "acme:chunk-1")
	deliver(fakes.Acme, "t", 0, "acme:chunk-0")  // the same token and index: not again
	deliver(fakes.Acme, "t2", 0, "acme:chunk-0") // another token is another stream
	deliver(fakes.Globex, "t", 0, "globex:chunk-0")
	deliver(fakes.Acme, "", 0, "acme:chunk-0")
	deliver(fakes.Acme, "", 0, "acme:chunk-0") // no token: nothing to deduplicate by
	deliver(fakes.Acme, "t", 2, "globex:chunk-2")
	chunks := e.effects(fakes.Chunk)
	var got []string
	for _, c := range chunks {
		got = append(got, fmt.Sprintf("%s %s %d %s", c.Op.Tenant, c.Key, c.Op.Sub, c.Foreign))
	}
	want := []string{"acme t 0 ", "acme t 1 ", "acme t2 0 ", "globex t 0 ", "acme  0 ", "acme  0 ", "acme t 2 globex"}
	if !slices.Equal(got, want) {
		t.Errorf("chunks delivered\n%q\nwant\n%q", got, want)
	}
	if chunks[0].Tool != fakes.LLMComplete || chunks[0].Op.Step != 1 {
		t.Errorf("a chunk entry %+v", chunks[0])
	}
}

func TestLookupsTheToolsDoNotAnswer(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	cases := []struct{ tenant, tool, key string }{
		{fakes.Acme, fakes.SendEmail, "k"},
		{fakes.Acme, fakes.EnrichContact, "k"},
		{fakes.Acme, fakes.SignalDownstream, "k"},
		{fakes.Acme, fakes.VectorSearch, "k"},
		{fakes.Acme, fakes.RefundCharge, "k"},
		{fakes.Globex, fakes.PublishReport, "k"},
		{fakes.Acme, fakes.InsertRecord, ""},
		{fakes.Acme, "teleport", "k"},
	}
	for _, c := range cases {
		_, err := e.world.Lookup(e.ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: c.tenant}, Tool: c.tool, Key: c.key})
		if !errors.Is(err, fakes.ErrNoLookup) || !strings.Contains(err.Error(), c.tool) {
			t.Errorf("Lookup %s for %s key %q: %v, want ErrNoLookup naming the tool", c.tool, c.tenant, c.key, err)
		}
	}
}

func TestUndo(t *testing.T) {
	t.Parallel()
	t.Run("by key undoes every live effect of the key", func(t *testing.T) {
		t.Parallel()
		e := setup(t, &fakes.Opts{Quirks: quirks{"k": fakes.DoubleDelivery}})
		e.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
		resp := e.invoke(call(fakes.Acme, fakes.DeleteRecord, "k"))
		undone := e.effects(fakes.Compensated)
		if len(undone) != 2 || resp.Data != "acme:undone:2" {
			t.Fatalf("undid %+v (%q), want both records", undone, resp.Data)
		}
		for _, u := range undone {
			if u.Tool != fakes.DeleteRecord || u.Key != "k" || u.Op.Step != 0 || !u.Idempotent {
				t.Errorf("compensation entry %+v", u)
			}
		}
		if e.lookup(fakes.Acme, fakes.InsertRecord, "k").Found {
			t.Error("the undone record is still found")
		}
		if resp := e.invoke(call(fakes.Acme, fakes.DeleteRecord, "k")); resp.Data != "acme:undone:0" || len(e.effects(fakes.Compensated)) != 2 {
			t.Errorf("undoing again changed something: %q", resp.Data)
		}
	})
	t.Run("by ref undoes that effect only", func(t *testing.T) {
		t.Parallel()
		e := setup(t, nil)
		a := e.invoke(call(fakes.Acme, fakes.CreateCharge, ""))
		b := e.invoke(call(fakes.Acme, fakes.CreateCharge, ""))
		refund := call(fakes.Acme, fakes.RefundCharge, "")
		refund.Ref = a.Ref
		e.invoke(refund)
		if undone := e.effects(fakes.Compensated); len(undone) != 1 || undone[0].Ref != a.Ref || undone[0].Tool != fakes.RefundCharge {
			t.Fatalf("undid %+v, want %s", undone, a.Ref)
		}
		e.invoke(refund)
		wrongTool := call(fakes.Acme, fakes.DeleteRecord, "")
		wrongTool.Ref = b.Ref // delete_record does not undo charges
		if resp := e.invoke(wrongTool); resp.Data != "acme:undone:0" || len(e.effects(fakes.Compensated)) != 1 {
			t.Errorf("a repeat or another tool's compensator undid something: %q", resp.Data)
		}
	})
}

func TestQuirks(t *testing.T) {
	t.Parallel()
	t.Run("a lost write is acknowledged without a live effect", func(t *testing.T) {
		t.Parallel()
		e := setup(t, &fakes.Opts{Quirks: quirks{"k": fakes.LostWrite}})
		resp := e.invoke(call(fakes.Acme, fakes.InsertRecord, "k"))
		if resp.Ref == "" || resp.Data == "" {
			t.Errorf("the lost write was not acknowledged: %+v", resp)
		}
		if got := e.effects(fakes.Lost); len(got) != 1 || got[0].Ref != resp.Ref {
			t.Errorf("lost entries %+v", got)
		}
		if got := e.effects(fakes.Applied); len(got) != 0 {
			t.Errorf("a lost write applied %+v", got)
		}
		if res := e.lookup(fakes.Acme, fakes.InsertRecord, "k"); res.Found {
			t.Errorf("the lost write is found: %+v", res)
		}
	})
	t.Run("a double delivery is an effect of the world's own", func(t *testing.T) {
		t.Parallel()
		e := setup(t, &fakes.Opts{Quirks: quirks{"k": fakes.DoubleDelivery}})
		resp := e.invoke(call(fakes.Acme, fakes.CreateCharge, "k"))
		applied := e.effects(fakes.Applied)
		if len(applied) != 2 || applied[0].World || !applied[1].World || applied[0].Ref != resp.Ref || applied[1].Ref == resp.Ref {
			t.Fatalf("applied %+v, want the call's then the world's", applied)
		}
		if res := e.lookup(fakes.Acme, fakes.CreateCharge, "k"); !slices.Equal(res.Refs, []string{applied[0].Ref, applied[1].Ref}) || res.Response.Ref != resp.Ref {
			t.Errorf("Lookup = %+v", res)
		}
	})
	t.Run("quirks only touch tools that answer lookups", func(t *testing.T) {
		t.Parallel()
		e := setup(t, &fakes.Opts{Quirks: quirks{"k": fakes.DoubleDelivery}})
		e.invoke(call(fakes.Acme, fakes.SendEmail, "k"))
		e.invoke(call(fakes.Globex, fakes.PublishReport, "k"))
		if got := e.effects(fakes.Applied); len(got) != 2 || got[0].World || got[1].World {
			t.Errorf("applied %+v", got)
		}
	})
}

func TestForeignData(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	own := call(fakes.Acme, fakes.SendEmail, "")
	own.Payload = "request=acme:hello\ns0.out=acme:docs:1\n"
	leak := call(fakes.Acme, fakes.SendEmail, "")
	leak.Payload = "request=acme:hello\ns0.out=globex:docs:1\n"
	e.invoke(own)
	e.invoke(leak)
	applied := e.effects(fakes.Applied)
	if applied[0].Foreign != "" || applied[1].Foreign != fakes.Globex {
		t.Errorf("foreign: %q and %q, want none and globex", applied[0].Foreign, applied[1].Foreign)
	}
	if got := fakes.DataTenant("initech:plan:x"); got != fakes.Initech {
		t.Errorf("DataTenant = %q", got)
	}
}

func TestOtherTools(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	plan := call(fakes.Acme, fakes.Plan, "")
	plan.Payload = "goal=acme:insert_record>create_charge\nrequest=acme:request:x\n"
	if resp := e.invoke(plan); resp.Data != "acme:plan:insert_record>create_charge" {
		t.Errorf("plan = %q", resp.Data)
	}
	plan.Payload = "goal=acme:insert_record\nrequest=acme:request:x ambiguous\n"
	if resp := e.invoke(plan); resp.Data != "acme:plan:insert_record>clarify_intent" {
		t.Errorf("ambiguous plan = %q", resp.Data)
	}
	if usage := e.effects(fakes.Usage); len(usage) != 2 || usage[0].Tokens != 150 {
		t.Errorf("plan usage %+v", usage)
	}
	if resp := e.invoke(call(fakes.Acme, fakes.VectorSearch, "")); fakes.DataTenant(resp.Data) != fakes.Acme || len(e.effects(fakes.Applied)) != 0 {
		t.Errorf("a search %+v applied an effect", resp)
	}
	for _, tool := range []string{fakes.SendEmail, fakes.SignalDownstream} {
		a, b := e.invoke(call(fakes.Acme, tool, "")), e.invoke(call(fakes.Acme, tool, ""))
		if a.Ref == b.Ref {
			t.Errorf("%s deduplicated", tool)
		}
	}
	if got := len(e.effects(fakes.Applied)); got != 4 {
		t.Errorf("%d effects from two emails and two signals", got)
	}
	_, err := e.world.Invoke(e.ctx, call(fakes.Acme, "teleport", ""))
	var se *outcome.StatusError
	if !errors.As(err, &se) || se.Code != 404 {
		t.Errorf("an unknown tool: %v, want 404", err)
	}
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	if _, err := e.world.Invoke(ctx, call(fakes.Acme, fakes.SendEmail, "")); !errors.Is(err, context.Canceled) {
		t.Errorf("Invoke with a cancelled ctx: %v", err)
	}
	if _, err := e.world.Lookup(ctx, engine.LookupRequest{AttemptID: store.AttemptID{Tenant: fakes.Acme}, Tool: fakes.InsertRecord, Key: "k"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Lookup with a cancelled ctx: %v", err)
	}
}

func TestLedger(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	e.invoke(call(fakes.Acme, fakes.SendEmail, ""))
	e.clock.advance(time.Second)
	e.invoke(call(fakes.Acme, fakes.SendEmail, ""))
	l := e.world.Ledger()
	if l.Len() != 2 {
		t.Fatalf("Len() = %d", l.Len())
	}
	for i, ef := range l.Effects() {
		if ef.Seq != i || ef.Op.Sub != -1 || ef.Op.String() != "acme/e1 step 0" {
			t.Errorf("entry %d: %+v (%s)", i, ef, ef.Op)
		}
	}
	if !l.Effects()[1].At.After(l.Effects()[0].At) {
		t.Error("entries are not stamped by the world's clock")
	}
	if got := (fakes.Op{Tenant: "acme", Exec: "e1", Step: 2, Sub: 3}).String(); got != "acme/e1 step 2 chunk 3" {
		t.Errorf("Op.String() = %q", got)
	}
	for k, want := range map[fakes.Kind]string{fakes.Applied: "applied", fakes.Compensated: "compensated", fakes.Chunk: "chunk",
		fakes.Usage: "usage", fakes.Lost: "lost", 0: "invalid(0)"} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", k, k, want)
		}
	}
	built := fakes.NewLedger([]fakes.Effect{{Kind: fakes.Applied}, {Kind: fakes.Chunk}}, fakes.Drift{Tenant: fakes.Initech, Tool: fakes.InsertRecord})
	if built.Len() != 2 || built.Effects()[1].Seq != 1 || !built.Facts().Drifted(fakes.Initech, fakes.InsertRecord) {
		t.Errorf("NewLedger: %+v", built.Effects())
	}
}

// Only data tagged with a known tenant is anyone's: a team's own untagged
// input is not another tenant's data.
func TestUntaggedDataIsNotForeign(t *testing.T) {
	t.Parallel()
	w := fakes.NewWorld(nil)
	c := engine.Call{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1"}, Tool: fakes.SendEmail, Payload: "request=bill order 42\nnote=see: the attached file\n"}
	if _, err := w.Invoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	c.Payload = "request=globex:request:leaked\n"
	if _, err := w.Invoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	effects := w.Ledger().Effects()
	if effects[0].Foreign != "" || effects[1].Foreign != "globex" {
		t.Fatalf("foreign data: untagged %q (want none), tagged %q (want globex)", effects[0].Foreign, effects[1].Foreign)
	}
}

// A released world renewed for another run is a new world: its ledger is
// empty, its refs are numbered from the first, and what the old one
// recorded under a key is not there.
func TestARenewedWorldIsANewOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	charge := engine.Call{AttemptID: store.AttemptID{Tenant: "acme", Exec: "e1"}, Tool: fakes.CreateCharge, Key: "key:acme/e1/0", Payload: "request=acme:invoice 42\n"}
	old := fakes.NewWorld(nil)
	for range 2 {
		if _, err := old.Invoke(ctx, charge); err != nil {
			t.Fatal(err)
		}
	}
	old.Release()
	w := fakes.NewWorld(&fakes.Opts{Renew: old})
	if w != old || w.Ledger().Len() != 0 {
		t.Fatalf("renewed world %p (old %p) has %d entries", w, old, w.Ledger().Len())
	}
	if _, err := w.Invoke(ctx, charge); err != nil {
		t.Fatal(err)
	}
	if e := w.Ledger().Effects(); len(e) != 1 || e[0].Kind != fakes.Applied || e[0].Ref != "create_charge-1" {
		t.Fatalf("the renewed world's first charge: %+v, want one applied as create_charge-1", e)
	}
}
