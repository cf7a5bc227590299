package fakes

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
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
	LaggingLookup        // a lookup does not see effects younger than the tool's declared lag
	MissedLookup         // a lookup answers "not found" for a key the tool deduplicates
)

// Quirks decides the world's misbehaviour, call by call.
type Quirks interface {
	Quirk(c engine.Call) Quirk
}

// LookupQuirks, when the world's [Quirks] implement it too, decides the
// misbehaviour of each lookup: one of may (the quirks the tool can have,
// [LaggingLookup] or [MissedLookup]) or [NoQuirk]. Without it, every lookup
// is up to date and exact. may is the world's own: read it, do not modify
// it.
type LookupQuirks interface {
	LookupQuirk(r engine.LookupRequest, may []Quirk) Quirk
}

// Drift names a tool whose behaviour drifted from its registration for one
// tenant: its key or upsert no longer deduplicates.
type Drift struct {
	Tenant string
	Tool   string
}

// Opts configures a World. The zero value means: the built-in world, the
// wall clock, no quirks, no drift, third-party tools limited as the world
// says.
type Opts struct {
	// Catalog is the world (nil: the built-in one, [Default]).
	Catalog *Catalog
	Clock   engine.Clock
	Quirks  Quirks
	// Drift is the run's registry drift. The world keeps the slice: do
	// not modify it afterwards.
	Drift []Drift
	// RateLimit, when set, replaces every third-party tool's calls per
	// window per tenant.
	RateLimit int
	// Expect is how many ledger entries to make room for.
	Expect int
	// Reuse, when not nil, is the array the ledger keeps its entries in
	// (its length is ignored): a caller that makes many worlds hands over
	// the ledger of one whose ledger nobody reads any more.
	Reuse []Effect
	// Renew, when not nil, is a released world whose ledger nobody reads
	// any more: NewWorld returns it, made new, instead of another.
	Renew *World
}

// World is the fake world. It implements [engine.Invoker], [engine.Lookuper]
// and [engine.Downstream], and is safe for concurrent use.
type World struct {
	cat    *Catalog
	clock  engine.Clock
	quirks Quirks
	limit  int

	mu     sync.Mutex
	ledger Ledger
	facts  Facts // the ledger's
	worldMaps
	box     *worldMaps // the pool's box the maps came in, which Release hands them back in
	nextRef int
}

type keyID struct{ tenant, tool, key string }

type chunkID struct {
	tenant, token string
	index         int
}

// record is an effect the world keeps, for a repeat, a lookup or an undo
// to find. Records live in the world's array and are named by their index
// there: the array grows, and a released world hands it on to the next.
type record struct {
	ref, tool, key, data string
	op                   Op
	live                 bool
	at                   time.Time // when the effect was applied
	next                 int32     // the key's next record (-1: none)
}

// chain is a key's records, in order: the first, linked by next to the
// last.
type chain struct{ first, last int32 }

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

// worldMaps are a world's maps and its records array, which a released
// world hands on, cleared, to the next.
type worldMaps struct {
	records []record                 // every effect the world applied and keeps, in order
	keyed   map[keyID]chain          // a key's records
	byRef   map[string]int32         // a record by its ref
	fenced  map[keyID]bool           // keys undone by key: a request of one that lands later is refused
	gens    map[[2]string]generation // (tenant, token) -> completed generation
	seen    map[chunkID]bool
	windows map[[2]string]window // (tenant, tool)
}

var released = sync.Pool{New: func() any { return new(worldMaps) }}

// Release hands the world's own maps and records back for the worlds made
// after it, for a caller that makes many (the simulation): the world may
// not be used afterwards, but its ledger may (the ledger's entries are
// copies: no record is read from it).
func (w *World) Release() {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.box
	if m == nil {
		return // released already
	}
	*m, w.worldMaps, w.box = w.worldMaps, worldMaps{}, nil
	clear(m.records) // the strings they hold go with the run
	m.records = m.records[:0]
	clear(m.keyed)
	clear(m.byRef)
	clear(m.fenced)
	clear(m.gens)
	clear(m.seen)
	clear(m.windows)
	released.Put(m)
}

// NewWorld returns a world with an empty ledger.
func NewWorld(opts *Opts) *World {
	if opts == nil {
		opts = &Opts{}
	}
	w := opts.Renew
	if w == nil {
		w = new(World)
	}
	*w = World{
		cat: opts.Catalog, clock: opts.Clock, quirks: opts.Quirks, limit: opts.RateLimit,
	} // its maps are made on first write (put), unless a released world left them: most runs need few
	w.box = released.Get().(*worldMaps)
	w.worldMaps, *w.box = *w.box, worldMaps{}
	if w.cat == nil {
		w.cat = Default()
	}
	if w.clock == nil {
		w.clock = engine.RealClock
	}
	w.ledger.effects = opts.Reuse[:0]
	if cap(w.ledger.effects) < opts.Expect {
		w.ledger.effects = make([]Effect, 0, opts.Expect)
	}
	w.facts = newFacts(w.cat, opts.Drift)
	w.ledger.facts = &w.facts
	return w
}

// Ledger returns the world's ledger. Read it once the world is quiet.
func (w *World) Ledger() *Ledger { return &w.ledger }

// Invoke implements [engine.Invoker]: the tool does what its behaviour
// does, as the call's tenant sees it.
func (w *World) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	if err := ctx.Err(); err != nil {
		return engine.Response{}, err
	}
	t := w.cat.tool(c.Tenant, c.Tool)
	if t == nil {
		return engine.Response{}, outcome.Status(404, 0)
	}
	s := &t.spec
	switch {
	case s.Undoes != "":
		return w.undo(c, s.Undoes), nil
	case c.Key != "" && w.isFenced(keyID{c.Tenant, c.Tool, c.Key}):
		// The key was undone: what arrives under it now is a request
		// still on its way when its operation was cancelled.
		return engine.Response{}, outcome.Status(409, 0)
	}
	cl := &call{Call: c}
	switch s.Behaviour {
	case worlds.Read:
		return engine.Response{Data: cl.data("docs")}, nil
	case worlds.Planner:
		return w.plan(cl, s), nil
	case worlds.Model:
		return w.complete(ctx, cl, s)
	case worlds.ThirdParty:
		return w.rateLimited(cl, s)
	case worlds.KeyedWrite:
		return w.keyedEffect(cl, s), nil
	case worlds.Upsert:
		return w.upsert(cl, s), nil
	case worlds.PaidWebhook: // keys are ignored, every call is charged
		cl.Key = ""
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.apply(cl, false, s.Cost.OfHash(cl.hash())), nil
	}
	// A write, a notification, a trigger: every call applies its effect. A
	// key it carries deduplicates nothing; it is kept for lookups.
	w.mu.Lock()
	defer w.mu.Unlock()
	if t.calls {
		return w.quirky(cl, keyID{c.Tenant, c.Tool, c.Key}, false, s.Cost.OfHash(cl.hash())), nil
	}
	return w.apply(cl, false, s.Cost.OfHash(cl.hash())), nil
}

// call is a call the world handles, with what it draws from the payload
// (its hash, another tenant's data it carries) worked out once: a call's
// cost, chunk count, result and effects all read them.
type call struct {
	engine.Call
	payloadHash uint64
	foreigner   string
	hashed      bool
	scanned     bool
}

// hash returns the payload's FNV-1a hash.
func (c *call) hash() uint64 {
	if !c.hashed {
		c.payloadHash, c.hashed = splitmix.Hash(c.Payload), true
	}
	return c.payloadHash
}

// op is the call's operation.
func (c *call) op() Op { return Op{Tenant: c.Tenant, Exec: c.Exec, Step: c.Step, Sub: -1} }

// data is the call's result: "<tenant>:<what>:<hash of the payload>".
func (c *call) data(what string) string {
	var buf [96]byte // one allocation, the string's own
	b := append(buf[:0], c.Tenant...)
	b = append(b, ':')
	b = append(b, what...)
	b = append(b, ':')
	return string(strconv.AppendUint(b, c.hash()&0xffffffff, 16))
}

// callQuirks reports whether the world asks its [Quirks] about a call of
// the tool s describes: a keyed write, an upsert, and a write, a
// notification or a trigger that keeps keys — the calls whose effect the
// world records by key, where a doubled or lost write is what a lookup or
// the reconciliation worker can find.
func callQuirks(s worlds.Spec) bool {
	switch s.Behaviour {
	case worlds.KeyedWrite, worlds.Upsert:
		return s.Undoes == ""
	case worlds.Write, worlds.Notification, worlds.Trigger:
		return s.Undoes == "" && s.Keys != registry.NoKeys
	}
	return false
}

// lookupQuirks lists the quirks a lookup of the tool s describes can have,
// drifted for the tenant or not: a lag only where the tool declares one, a
// miss only where its key deduplicates. A streamed model's lookup (by its
// dedup token) has none.
func lookupQuirks(s worlds.Spec, drifted bool) []Quirk {
	if !s.Lookup || s.Stream {
		return nil
	}
	var may []Quirk
	if s.Lag > 0 {
		may = append(may, LaggingLookup)
	}
	if (s.Behaviour == worlds.KeyedWrite || s.Behaviour == worlds.Upsert) && !drifted {
		may = append(may, MissedLookup)
	}
	return may
}

// QuirksOf lists the quirks the world can give the calls and lookups of the
// tool s describes, for a tenant for whom it has not drifted: the quirks
// its [Quirks] and [LookupQuirks] are ever asked to decide.
func QuirksOf(s worlds.Spec) []Quirk {
	var qs []Quirk
	if callQuirks(s) {
		qs = append(qs, DoubleDelivery, LostWrite)
	}
	return append(qs, lookupQuirks(s, false)...)
}

func (w *World) isFenced(id keyID) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fenced[id]
}

// plan returns a task graph naming the workflow's tools, read from the
// request's goal; for an ambiguous request it names a tool nobody
// registered, every time.
func (w *World) plan(c *call, s *worlds.Spec) engine.Response {
	goal := field(c.Payload, "goal")
	invalid := strings.Contains(field(c.Payload, "request"), "ambiguous")
	if invalid {
		goal += ">clarify_intent"
	}
	w.mu.Lock()
	w.usage(Effect{Tokens: s.Tokens.Prompt, Invalid: invalid}, c)
	w.mu.Unlock()
	return engine.Response{Data: c.Tenant + ":plan:" + goal} // a task graph, whatever the planner's name
}

// complete is a model call: its generation, chunk by chunk through
// c.Deliver when it streams. A stream that stops early still spent its
// tokens.
func (w *World) complete(ctx context.Context, c *call, s *worlds.Spec) (engine.Response, error) {
	_, n := s.Tokens.OfHash(c.hash())
	for i := range n {
		if c.Deliver == nil {
			break
		}
		if err := c.Deliver(i, w.cat.chunkText(c.Tenant, i)); err != nil {
			w.mu.Lock()
			w.usage(Effect{Tokens: s.Tokens.Prompt + i*s.Tokens.Chunk}, c)
			w.mu.Unlock()
			return engine.Response{}, err
		}
	}
	resp := engine.Response{Data: c.data("llm")}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.usage(Effect{Tokens: s.Tokens.Prompt + n*s.Tokens.Chunk, Chunks: n}, c)
	if c.Token != "" {
		put(&w.gens, [2]string{c.Tenant, c.Token}, generation{data: resp.Data, chunks: n})
	}
	return resp, ctx.Err()
}

// usage records a model call's consumption (u carries the tokens and what
// is known of the output).
func (w *World) usage(u Effect, c *call) {
	u.At, u.Kind, u.Op, u.Run, u.Attempt, u.Tool, u.Key = w.clock.Now(), Usage, c.op(), c.Run, c.Attempt, c.Tool, c.Token
	w.ledger.add(u)
}

// rateLimited is a billed third-party call behind a rate limit per tenant:
// past its calls in a window, 429 with the Retry-After the tool gives (the
// rest of the window, unless it says otherwise).
func (w *World) rateLimited(c *call, s *worlds.Spec) (engine.Response, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	limit := s.RateLimit.Calls
	if w.limit > 0 {
		limit = w.limit
	}
	now := w.clock.Now()
	at := [2]string{c.Tenant, c.Tool}
	win, ok := w.windows[at]
	if !ok || now.Sub(win.start) >= s.RateLimit.Window {
		win = window{start: now}
	}
	if win.n >= limit {
		put(&w.windows, at, win)
		ra := s.RateLimit.RetryAfter
		if ra == 0 {
			ra = win.start.Add(s.RateLimit.Window).Sub(now)
		}
		return engine.Response{}, outcome.Status(429, ra)
	}
	win.n++
	put(&w.windows, at, win) // a value: a new window allocates nothing
	return w.apply(c, false, s.Cost.OfHash(c.hash())), nil
}

// keyedEffect is a keyed write: a repeated key returns the first result,
// unless the tool drifted for the tenant.
func (w *World) keyedEffect(c *call, s *worlds.Spec) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := keyID{c.Tenant, c.Tool, c.Key}
	if c.Key != "" && !w.ledger.facts.Drifted(c.Tenant, c.Tool) {
		if live := w.firstLive(id); live != nil {
			return engine.Response{Data: live.data, Ref: live.ref}
		}
	}
	return w.quirky(c, id, false, s.Cost.OfHash(c.hash()))
}

// upsert is an idempotent write keyed by its key or, without one, by the
// step's identity: a repeat updates the live effect, unless the tool
// drifted for the tenant.
func (w *World) upsert(c *call, s *worlds.Spec) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := c.Key
	if key == "" {
		key = fmt.Sprintf("%s:%s/%s/%d", c.Tool, c.Tenant, c.Exec, c.Step)
	}
	id := keyID{c.Tenant, c.Tool, key}
	drifted := w.ledger.facts.Drifted(c.Tenant, c.Tool)
	if !drifted {
		if live := w.firstLive(id); live != nil {
			w.ledger.add(w.effect(c, Applied, live.ref, true, s.Cost.OfHash(c.hash())))
			return engine.Response{Data: live.data, Ref: live.ref}
		}
	}
	return w.quirky(c, id, !drifted, s.Cost.OfHash(c.hash()))
}

// quirky applies a keyed effect, with the world's quirks.
func (w *World) quirky(c *call, id keyID, idempotent bool, cost int) engine.Response {
	q := NoQuirk
	if w.quirks != nil {
		q = w.quirks.Quirk(c.Call)
	}
	if q == LostWrite {
		ref := w.ref(c.Tool)
		w.ledger.add(w.effect(c, Lost, ref, idempotent, 0))
		return engine.Response{Data: c.data(c.Tool), Ref: ref}
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
func (w *World) apply(c *call, idempotent bool, cost int) engine.Response {
	e := w.ledger.add(w.effect(c, Applied, w.ref(c.Tool), idempotent, cost))
	return engine.Response{Data: c.data(c.Tool), Ref: e.Ref}
}

// keep records an applied effect, by its ref and by its key. Callers hold
// w.mu.
func (w *World) keep(c *call, id keyID, resp engine.Response) engine.Response {
	i := int32(len(w.records))
	w.records = append(w.records, record{ref: resp.Ref, tool: c.Tool, key: id.key, data: resp.Data, op: c.op(), live: true, at: w.clock.Now(), next: -1})
	put(&w.byRef, resp.Ref, i)
	if id.key == "" {
		return resp
	}
	if ch, ok := w.keyed[id]; ok {
		w.records[ch.last].next = i
		w.keyed[id] = chain{first: ch.first, last: i}
	} else {
		put(&w.keyed, id, chain{first: i, last: i})
	}
	return resp
}

func (w *World) effect(c *call, k Kind, ref string, idempotent bool, cost int) Effect {
	return Effect{At: w.clock.Now(), Kind: k, Op: c.op(), Run: c.Run, Attempt: c.Attempt, Tool: c.Tool, Key: c.Key,
		Ref: ref, Idempotent: idempotent, Foreign: w.foreign(c), CostCents: cost}
}

func (w *World) ref(tool string) string {
	w.nextRef++
	return tool + "-" + strconv.Itoa(w.nextRef)
}

// live yields the key's live records, in order. The pointers are into the
// records array: good until the world keeps another record. Callers hold
// w.mu.
func (w *World) live(id keyID) iter.Seq[*record] {
	return func(yield func(*record) bool) {
		ch, ok := w.keyed[id]
		if !ok {
			return
		}
		for i := ch.first; i >= 0; {
			r := &w.records[i]
			if r.live && !yield(r) {
				return
			}
			i = r.next
		}
	}
}

// firstLive returns the key's first live effect, nil when none is (see
// [World.live] for how long it holds).
func (w *World) firstLive(id keyID) *record {
	for r := range w.live(id) {
		return r
	}
	return nil
}

// undo is a compensator: it undoes every live effect of the key, or the one
// effect named by Ref. Undoing what is already undone changes nothing. An
// undo by key also cancels the key: a request under it that lands later
// (one that was still on its way) is refused with 409 and applies nothing.
func (w *World) undo(c engine.Call, tool string) engine.Response {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	undo := func(r *record) {
		r.live = false
		w.ledger.add(Effect{At: w.clock.Now(), Kind: Compensated, Op: r.op, Run: c.Run, Attempt: c.Attempt, Tool: c.Tool, Key: r.key, Ref: r.ref, Idempotent: true})
		n++
	}
	switch {
	case c.Ref != "":
		if i, ok := w.byRef[c.Ref]; ok && w.records[i].live && w.records[i].tool == tool {
			undo(&w.records[i])
		}
	case c.Key != "":
		id := keyID{c.Tenant, tool, c.Key}
		for r := range w.live(id) {
			undo(r)
		}
		put(&w.fenced, id, true)
	}
	return engine.Response{Data: fmt.Sprintf("%s:undone:%d", c.Tenant, n)}
}

// Lookup implements [engine.Lookuper]: did the operation with this key
// happen, and with what result?
func (w *World) Lookup(ctx context.Context, r engine.LookupRequest) (engine.LookupResult, error) {
	if err := ctx.Err(); err != nil {
		return engine.LookupResult{}, err
	}
	t := w.cat.tool(r.Tenant, r.Tool)
	if t == nil || !t.spec.Lookup || r.Key == "" {
		return engine.LookupResult{}, fmt.Errorf("%s for %s: %w", r.Tool, r.Tenant, ErrNoLookup)
	}
	s := &t.spec
	w.mu.Lock()
	defer w.mu.Unlock()
	if s.Stream {
		g, ok := w.gens[[2]string{r.Tenant, r.Key}]
		for i := 0; ok && i < g.chunks; i++ {
			ok = w.seen[chunkID{r.Tenant, r.Key, i}]
		}
		return engine.LookupResult{Found: ok, Response: engine.Response{Data: g.data}}, nil
	}
	var res engine.LookupResult
	var lag time.Duration // effects younger than lag are not seen
	switch w.lookupQuirk(r, t) {
	case LaggingLookup:
		// A lagging lookup does not see effects younger than the tool's
		// declared lag yet: never older ones, which the tool promised.
		lag = s.Lag
	case MissedLookup:
		// The tool keeps the key to deduplicate a repeat, and does not
		// answer lookups of it: a repeat under the same key is still safe,
		// a repeat under a new one is not.
		return res, nil
	}
	var now time.Time
	if lag > 0 {
		now = w.clock.Now()
	}
	for rec := range w.live(keyID{r.Tenant, r.Tool, r.Key}) {
		if lag > 0 && now.Sub(rec.at) < lag {
			continue
		}
		if !res.Found {
			res.Found, res.Response = true, engine.Response{Data: rec.data, Ref: rec.ref}
		}
		res.Refs = append(res.Refs, rec.ref)
	}
	return res, nil
}

// lookupQuirk is the quirk of a lookup, if the world's quirks decide
// lookups and the tool can have it: a lag only where the tool declares
// one, a miss only where its key deduplicates for the tenant. Only an
// attempt's lookups have quirks: the reconciliation worker (attempt 0)
// reads after the longest lag, from the tool's own records.
func (w *World) lookupQuirk(r engine.LookupRequest, t *tool) Quirk {
	lq, ok := w.quirks.(LookupQuirks)
	if !ok || r.Attempt == 0 {
		return NoQuirk
	}
	may := t.lookups[0]
	if w.ledger.facts.Drifted(r.Tenant, r.Tool) {
		may = t.lookups[1]
	}
	if len(may) == 0 {
		return NoQuirk
	}
	if q := lq.LookupQuirk(r, may); slices.Contains(may, q) {
		return q
	}
	return NoQuirk
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
		put(&w.seen, id, true)
	}
	w.ledger.add(Effect{At: w.clock.Now(), Kind: Chunk, Op: Op{Tenant: ch.Tenant, Exec: ch.Exec, Step: ch.Step, Sub: ch.Index},
		Run: ch.Run, Attempt: ch.Attempt, Tool: ch.Tool, Key: ch.Token, Foreign: w.foreignData(ch.Tenant, ch.Text)})
	return nil
}

// put sets m[k] to v, making m on first use.
func put[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = map[K]V{}
	}
	(*m)[k] = v
}

// foreign returns another tenant whose data the call's payload carries.
func (w *World) foreign(c *call) string {
	if !c.scanned {
		c.foreigner, c.scanned = w.scanForeign(c.Tenant, c.Payload), true
	}
	return c.foreigner
}

func (w *World) scanForeign(tenant, payload string) string {
	for line := range strings.SplitSeq(payload, "\n") {
		if _, v, ok := strings.Cut(line, "="); ok {
			if f := w.foreignData(tenant, v); f != "" {
				return f
			}
		}
	}
	return ""
}

func (w *World) foreignData(tenant, v string) string {
	if t := w.cat.DataTenant(v); t != "" && t != tenant {
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
