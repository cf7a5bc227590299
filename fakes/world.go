package fakes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
)

// ErrNoLookup is returned for a lookup a tool does not answer.
var ErrNoLookup = errors.New("the tool answers no lookups by key")

// Quirk is a misbehaviour of the world for one call.
type Quirk uint8

// Quirks.
const (
	NoQuirk        Quirk = iota
	DoubleDelivery       // the effect is applied twice
	LostWrite            // the call is acknowledged and its write lost
)

// Quirks decides the world's misbehaviour, call by call.
type Quirks interface {
	Quirk(c engine.Call) Quirk
}

// Drift names a tool whose behaviour drifted from its registration for one
// tenant: its key or upsert no longer deduplicates.
type Drift struct {
	Tenant string
	Tool   string
}

// Opts configures a World. The zero value means: wall clock, no quirks, no
// drift, enrich_contact limited to 3 calls per second per tenant.
type Opts struct {
	Clock  engine.Clock
	Quirks Quirks
	Drift  []Drift
	// RateLimit is enrich_contact's calls per second per tenant.
	RateLimit int
	// Expect is how many ledger entries to make room for.
	Expect int
}

// World is the fake world. It implements [engine.Invoker], [engine.Lookuper]
// and [engine.Downstream], and is safe for concurrent use.
type World struct {
	clock  engine.Clock
	quirks Quirks
	limit  int

	mu      sync.Mutex
	ledger  Ledger
	keyed   map[keyID][]*record
	byRef   map[string]*record
	gens    map[[2]string]generation // (tenant, token) -> completed generation
	seen    map[chunkID]bool
	windows map[string]*window
	nextRef int
}

type keyID struct{ tenant, tool, key string }

type chunkID struct {
	tenant, token string
	index         int
}

type record struct {
	ref, tool, key, data string
	op                   Op
	live                 bool
}

// generation is a model call completed under a dedup token: its result and
// how many chunks it streamed.
type generation struct {
	data   string
	chunks int
}

type window struct {
	start time.Time
	n     int
}

var (
	_ engine.Invoker    = (*World)(nil)
	_ engine.Lookuper   = (*World)(nil)
	_ engine.Downstream = (*World)(nil)
)

// NewWorld returns a world with an empty ledger.
func NewWorld(opts *Opts) *World {
	if opts == nil {
		opts = &Opts{}
	}
	w := &World{
		clock: opts.Clock, quirks: opts.Quirks, limit: opts.RateLimit,
		keyed: map[keyID][]*record{}, byRef: map[string]*record{}, gens: map[[2]string]generation{},
		seen: map[chunkID]bool{}, windows: map[string]*window{},
	}
	if w.clock == nil {
		w.clock = engine.RealClock
	}
	if w.limit <= 0 {
		w.limit = 3
	}
	w.ledger.effects = make([]Effect, 0, opts.Expect)
	w.ledger.facts = &Facts{drift: map[[2]string]bool{}}
	for _, d := range opts.Drift {
		w.ledger.facts.drift[[2]string{d.Tenant, d.Tool}] = true
	}
	return w
}

// Ledger returns the world's ledger. Read it once the world is quiet.
func (w *World) Ledger() *Ledger { return &w.ledger }

// Invoke implements [engine.Invoker].
func (w *World) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	if err := ctx.Err(); err != nil {
		return engine.Response{}, err
	}
	switch c.Tool {
	case VectorSearch:
		return engine.Response{Data: data(c, "docs")}, nil
	case Plan:
		return w.plan(c), nil
	case LLMComplete:
		return w.complete(ctx, c)
	case EnrichContact:
		return w.enrich(c)
	case InsertRecord, CreateCharge:
		return w.keyedEffect(c), nil
	case DeleteRecord:
		return w.undo(c, InsertRecord), nil
	case RefundCharge:
		return w.undo(c, CreateCharge), nil
	case PublishReport:
		return w.publish(c), nil
	case SendEmail, SignalDownstream:
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.apply(c, false, 0), nil
	}
	return engine.Response{}, outcome.Status(404, 0)
}

// plan returns a task graph naming the workflow's tools, read from the
// request's goal; for an ambiguous request it names a tool nobody
// registered, every time.
func (w *World) plan(c engine.Call) engine.Response {
	goal := field(c.Payload, "goal")
	invalid := strings.Contains(field(c.Payload, "request"), "ambiguous")
	if invalid {
		goal += ">clarify_intent"
	}
	w.mu.Lock()
	w.usage(Effect{Tokens: 150, Invalid: invalid}, c)
	w.mu.Unlock()
	return engine.Response{Data: c.Tenant + ":plan:" + goal}
}

const (
	promptTokens = 100
	chunkTokens  = 25
)

// complete streams a generation chunk by chunk through c.Deliver. A stream
// that stops early still spent its tokens.
func (w *World) complete(ctx context.Context, c engine.Call) (engine.Response, error) {
	h := hash(c.Payload)
	n := 3 + int(h%4)
	for i := range n {
		if c.Deliver == nil {
			break
		}
		if err := c.Deliver(i, c.Tenant+":chunk-"+strconv.Itoa(i)); err != nil {
			w.mu.Lock()
			w.usage(Effect{Tokens: promptTokens + i*chunkTokens}, c)
			w.mu.Unlock()
			return engine.Response{}, err
		}
	}
	resp := engine.Response{Data: data(c, "llm")}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.usage(Effect{Tokens: promptTokens + n*chunkTokens, Chunks: n}, c)
	if c.Token != "" {
		w.gens[[2]string{c.Tenant, c.Token}] = generation{data: resp.Data, chunks: n}
	}
	return resp, ctx.Err()
}

// usage records a model call's consumption (u carries the tokens and what
// is known of the output).
func (w *World) usage(u Effect, c engine.Call) {
	u.At, u.Kind, u.Op, u.Run, u.Attempt, u.Tool, u.Key = w.clock.Now(), Usage, opOf(c, -1), c.Run, c.Attempt, c.Tool, c.Token
	w.ledger.add(u)
}

// enrich is a billed third-party call behind a per-tenant rate limit.
func (w *World) enrich(c engine.Call) (engine.Response, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	win := w.windows[c.Tenant]
	if win == nil || now.Sub(win.start) >= time.Second {
		win = &window{start: now}
		w.windows[c.Tenant] = win
	}
	if win.n >= w.limit {
		return engine.Response{}, outcome.Status(429, win.start.Add(time.Second).Sub(now))
	}
	win.n++
	return w.apply(c, false, 2), nil
}

// keyedEffect is insert_record and create_charge: a repeated key returns the
// first result, unless the tool drifted for the tenant.
func (w *World) keyedEffect(c engine.Call) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := keyID{c.Tenant, c.Tool, c.Key}
	if c.Key != "" && !w.ledger.facts.Drifted(c.Tenant, c.Tool) {
		if live := w.live(id); len(live) > 0 {
			return engine.Response{Data: live[0].data, Ref: live[0].ref}
		}
	}
	cost := 0
	if c.Tool == CreateCharge {
		cost = 500 + int(hash(c.Payload)%4500)
	}
	return w.quirky(c, id, false, cost)
}

// publish is publish_report, whose behaviour is the tenant's.
func (w *World) publish(c engine.Call) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch c.Tenant {
	case Globex: // a paid webhook: keys are ignored, every call is charged
		c.Key = ""
		return w.apply(c, false, 50)
	case Initech: // a trigger with no dedup; the key is kept for lookups
		return w.quirky(c, keyID{c.Tenant, c.Tool, c.Key}, false, 0)
	}
	// acme: an upsert keyed by the report (the key, or the step's identity).
	key := c.Key
	if key == "" {
		key = fmt.Sprintf("report:%s/%s/%d", c.Tenant, c.Exec, c.Step)
	}
	id := keyID{c.Tenant, c.Tool, key}
	if !w.ledger.facts.Drifted(c.Tenant, c.Tool) {
		if live := w.live(id); len(live) > 0 {
			w.ledger.add(w.effect(c, Applied, live[0].ref, true, 0))
			return engine.Response{Data: live[0].data, Ref: live[0].ref}
		}
	}
	return w.quirky(c, id, !w.ledger.facts.Drifted(c.Tenant, c.Tool), 0)
}

// quirky applies a keyed effect, with the world's quirks.
func (w *World) quirky(c engine.Call, id keyID, idempotent bool, cost int) engine.Response {
	q := NoQuirk
	if w.quirks != nil {
		q = w.quirks.Quirk(c)
	}
	if q == LostWrite {
		ref := w.ref(c.Tool)
		w.ledger.add(w.effect(c, Lost, ref, idempotent, 0))
		return engine.Response{Data: data(c, c.Tool), Ref: ref}
	}
	resp := w.keep(c, id, w.apply(c, idempotent, cost))
	if q == DoubleDelivery {
		e := w.effect(c, Applied, w.ref(c.Tool), idempotent, cost)
		e.World = true
		w.ledger.add(e)
		w.keep(c, id, engine.Response{Data: resp.Data, Ref: e.Ref})
	}
	return resp
}

// apply records one applied effect and returns its response. Callers hold w.mu.
func (w *World) apply(c engine.Call, idempotent bool, cost int) engine.Response {
	e := w.ledger.add(w.effect(c, Applied, w.ref(c.Tool), idempotent, cost))
	return engine.Response{Data: data(c, c.Tool), Ref: e.Ref}
}

func (w *World) keep(c engine.Call, id keyID, resp engine.Response) engine.Response {
	r := &record{ref: resp.Ref, tool: c.Tool, key: id.key, data: resp.Data, op: opOf(c, -1), live: true}
	w.byRef[r.ref] = r
	if id.key != "" {
		w.keyed[id] = append(w.keyed[id], r)
	}
	return resp
}

func (w *World) effect(c engine.Call, k Kind, ref string, idempotent bool, cost int) Effect {
	return Effect{At: w.clock.Now(), Kind: k, Op: opOf(c, -1), Run: c.Run, Attempt: c.Attempt, Tool: c.Tool, Key: c.Key,
		Ref: ref, Idempotent: idempotent, Foreign: foreign(c), CostCents: cost}
}

func (w *World) ref(tool string) string {
	w.nextRef++
	return tool + "-" + strconv.Itoa(w.nextRef)
}

func (w *World) live(id keyID) []*record {
	var out []*record
	for _, r := range w.keyed[id] {
		if r.live {
			out = append(out, r)
		}
	}
	return out
}

// undo is a compensator: it undoes every live effect of the key, or the one
// effect named by Ref. Undoing what is already undone changes nothing.
func (w *World) undo(c engine.Call, tool string) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	var targets []*record
	switch {
	case c.Ref != "":
		if r, ok := w.byRef[c.Ref]; ok && r.live && r.tool == tool {
			targets = []*record{r}
		}
	case c.Key != "":
		targets = w.live(keyID{c.Tenant, tool, c.Key})
	}
	for _, r := range targets {
		r.live = false
		w.ledger.add(Effect{At: w.clock.Now(), Kind: Compensated, Op: r.op, Run: c.Run, Attempt: c.Attempt, Tool: c.Tool, Key: r.key, Ref: r.ref, Idempotent: true})
	}
	return engine.Response{Data: fmt.Sprintf("%s:undone:%d", c.Tenant, len(targets))}
}

// Lookup implements [engine.Lookuper]: did the operation with this key
// happen, and with what result?
func (w *World) Lookup(ctx context.Context, r engine.LookupRequest) (engine.LookupResult, error) {
	if err := ctx.Err(); err != nil {
		return engine.LookupResult{}, err
	}
	if !truthOf(r.Tenant, r.Tool).Lookup || r.Key == "" {
		return engine.LookupResult{}, fmt.Errorf("%s for %s: %w", r.Tool, r.Tenant, ErrNoLookup)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.Tool == LLMComplete {
		g, ok := w.gens[[2]string{r.Tenant, r.Key}]
		for i := 0; ok && i < g.chunks; i++ {
			ok = w.seen[chunkID{r.Tenant, r.Key, i}]
		}
		return engine.LookupResult{Found: ok, Response: engine.Response{Data: g.data}}, nil
	}
	live := w.live(keyID{r.Tenant, r.Tool, r.Key})
	res := engine.LookupResult{Found: len(live) > 0}
	for _, rec := range live {
		res.Refs = append(res.Refs, rec.ref)
	}
	if res.Found {
		res.Response = engine.Response{Data: live[0].data, Ref: live[0].ref}
	}
	return res, nil
}

// Deliver implements [engine.Downstream]: the consumer of streamed chunks.
// Chunks under a dedup token it has already seen are not delivered again.
func (w *World) Deliver(ctx context.Context, ch engine.Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch.Token != "" {
		id := chunkID{ch.Tenant, ch.Token, ch.Index}
		if w.seen[id] {
			return nil
		}
		w.seen[id] = true
	}
	w.ledger.add(Effect{At: w.clock.Now(), Kind: Chunk, Op: Op{Tenant: ch.Tenant, Exec: ch.Exec, Step: ch.Step, Sub: ch.Index},
		Run: ch.Run, Attempt: ch.Attempt, Tool: LLMComplete, Key: ch.Token, Foreign: foreignData(ch.Tenant, ch.Text)})
	return nil
}

func opOf(c engine.Call, sub int) Op {
	return Op{Tenant: c.Tenant, Exec: c.Exec, Step: c.Step, Sub: sub}
}

func data(c engine.Call, what string) string {
	return c.Tenant + ":" + what + ":" + strconv.FormatUint(hash(c.Payload)&0xffffffff, 16)
}

// hash is FNV-1a, inline so that it does not allocate.
func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

// DataTenant returns the tenant whose data a value is: every value the world
// makes starts with "<tenant>:". A value that names no known tenant belongs
// to nobody in particular ("").
func DataTenant(v string) string {
	t, _, ok := strings.Cut(v, ":")
	if !ok || !slices.Contains(TenantNames, t) {
		return ""
	}
	return t
}

// foreign returns another tenant whose data the call's payload carries.
func foreign(c engine.Call) string {
	for line := range strings.SplitSeq(c.Payload, "\n") {
		if _, v, ok := strings.Cut(line, "="); ok {
			if f := foreignData(c.Tenant, v); f != "" {
				return f
			}
		}
	}
	return ""
}

func foreignData(tenant, v string) string {
	if t := DataTenant(v); t != "" && t != tenant {
		return t
	}
	return ""
}

// field returns the value of key in a payload of "key=value" lines.
func field(payload, key string) string {
	for line := range strings.SplitSeq(payload, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && k == key {
			_, rest, _ := strings.Cut(v, ":")
			return rest
		}
	}
	return ""
}
