package wire

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// World is what the fakes need of the world: [*fakes.World] is one.
type World interface {
	engine.Invoker
	engine.Lookuper
	engine.Downstream
}

// Opts configures a [Server]. The zero value (or nil) means no faults,
// the tools of [fakes.Entries], and chunks delivered downstream only by a
// request to the downstream consumer.
type Opts struct {
	Faults Faults
	// Entries are the tools served, with the registrations their MCP
	// annotations are drawn from.
	Entries []registry.Entry
	// Observe, if set, is told of every exchange twice: when its request
	// arrives (its fault decided, Answered false) and when it is answered
	// (a dial only once it is refused).
	// It is called from the handlers' goroutines, in the order things
	// happen, and must be safe for concurrent use.
	Observe func(Exchange)
	// ChunksDownstream makes the client the downstream consumer: each chunk
	// of a model's reply that reaches the client (as it streams, or in a
	// whole reply once written) is delivered to the world's consumer, under
	// the call's Idempotency-Key as its dedup token. Code under test that
	// shows a model's output as it comes is that consumer's pipe.
	ChunksDownstream bool
	// ModelTool names the model tool a chat completion of an operation is
	// a call of (nil, or "": [fakes.LLMComplete]).
	ModelTool func(op fakes.Op) string
}

// Server is the world on the wire: the model endpoint, the tools as JSON
// over HTTP, the tools over MCP, and the downstream consumer. It counts
// attempts per operation itself and keeps a log of every exchange. It is
// safe for concurrent use.
type Server struct {
	world     World
	faults    Faults
	entries   []registry.Entry
	observe   func(Exchange)
	chunks    bool
	modelTool func(fakes.Op) string

	mu       sync.Mutex
	attempts map[opTool]int
	lookups  map[keyID]int
	dials    map[string]int
	down     map[string]time.Time
	landed   map[keyID]time.Time
	zombies  []*zombie
	log      []Exchange
	chats    int
	servers  []*http.Server
}

type opTool struct {
	op   fakes.Op
	tool string
}

type keyID struct{ tenant, tool, key string }

// zombie is a call whose reply was lost and whose effect has not landed.
type zombie struct {
	call engine.Call
	op   fakes.Op
}

// Exchange is one entry of the server's log: a dial, a call or a lookup,
// the fault it met and how it was answered.
type Exchange struct {
	// At is when the exchange was logged: its answer, or for an arrival
	// (Answered false) the request's arrival.
	At    time.Time
	Site  Site
	Fault Kind
	// Answered is false for the arrival of a request, told to Opts.Observe
	// only.
	Answered bool
	// Late is set when the held-back effect of a zombie landed (At): no
	// request was answered.
	Late bool
	Reply
}

// Reply is how a request was answered.
type Reply struct {
	// Status is the HTTP status answered; 0 when none was (a reset, a held
	// reply, a refused dial, a stream cut). Over MCP a tool error has the
	// status it stands for (503, 429 before the tool acted; 500 after).
	Status int
	// RetryAfter is the Retry-After answered with the status, exactly (the
	// headers round it up).
	RetryAfter time.Duration
	// Result is set when the tool's result reached the client: a 200, a
	// stream to its end, an MCP result.
	Result bool
	// Found is a lookup's answer.
	Found bool
	// Outcome says it in words.
	Outcome string
}

// New returns a server for the world.
func New(w World, opts *Opts) *Server {
	if opts == nil {
		opts = &Opts{}
	}
	s := &Server{world: w, faults: opts.Faults, entries: opts.Entries, observe: opts.Observe, chunks: opts.ChunksDownstream,
		modelTool: opts.ModelTool,
		attempts:  map[opTool]int{}, lookups: map[keyID]int{}, dials: map[string]int{},
		down: map[string]time.Time{}, landed: map[keyID]time.Time{}}
	if s.entries == nil {
		s.entries = fakes.Entries()
	}
	return s
}

// Tools lists the tools served, in registry order.
func (s *Server) Tools() []string {
	out := make([]string, len(s.entries))
	for i, e := range s.entries {
		out[i] = e.Tool
	}
	return out
}

func (s *Server) serves(tool string) bool {
	return slices.ContainsFunc(s.entries, func(e registry.Entry) bool { return e.Tool == tool })
}

// Attempts returns how many calls of the operation reached the tool.
func (s *Server) Attempts(op fakes.Op, tool string) int {
	op.Sub = -1
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[opTool{op, tool}]
}

// Log returns a copy of every exchange so far, in order.
func (s *Server) Log() []Exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log)
}

// site numbers a request, asks the faults what becomes of it and tells the
// observer it arrived. A dial is told only once refused: it is no request.
func (s *Server) site(st Site) (Site, Fault) {
	st, f := s.decide(st)
	if st.Phase == Call || st.Phase == Lookup {
		// The zombies this request releases land once the world has acted
		// on it and before its reply goes: every path calls f.then there,
		// so the landing is ordered before whatever the client does next.
		then := f.Then
		f.Then = func() {
			s.land(context.Background(), st)
			if then != nil {
				then()
			}
		}
	}
	if s.observe != nil && st.Phase != Dial {
		s.observe(Exchange{At: time.Now(), Site: st, Fault: f.Kind})
	}
	return st, f
}

// decide numbers a request and asks the faults what becomes of it. A tool
// in an outage answers Outage, without asking.
func (s *Server) decide(st Site) (Site, Fault) {
	now := time.Now()
	s.mu.Lock()
	switch st.Phase {
	case Dial:
		s.dials[st.Tool]++
		st.Attempt = s.dials[st.Tool]
	case Call:
		s.attempts[opTool{st.Op, st.Tool}]++
		st.Attempt = s.attempts[opTool{st.Op, st.Tool}]
	case Lookup:
		k := keyID{st.Tenant, st.Tool, st.Key}
		s.lookups[k]++
		st.Attempt = s.lookups[k]
	}
	until, isDown := s.down[st.Tool]
	isDown = isDown && now.Before(until)
	s.mu.Unlock()
	if isDown {
		return st, Fault{Kind: Outage, RetryAfter: until.Sub(now)}
	}

	var f Fault
	if s.faults != nil {
		f = s.faults.Fault(st)
	}
	switch f.Kind {
	case Outage:
		if f.For <= 0 {
			f.For = time.Minute
		}
		s.mu.Lock()
		s.down[st.Tool] = now.Add(f.For)
		s.mu.Unlock()
		if f.RetryAfter <= 0 {
			f.RetryAfter = f.For
		}
	case Unavailable, RateLimit:
		if f.RetryAfter <= 0 {
			f.RetryAfter = time.Second
		}
	case Status:
		if f.Status == 0 {
			f.Status = 500
		}
	}
	return st, f
}

// answer returns what records the site's answer: the writers call it just
// before the reply goes.
func (s *Server) answer(st Site, f Fault) func(Reply) {
	return func(r Reply) { s.record(st, f, r) }
}

// record logs an exchange once it is answered, and tells the observer.
func (s *Server) record(st Site, f Fault, r Reply) {
	s.logged(Exchange{At: time.Now(), Site: st, Fault: f.Kind, Answered: true, Reply: r})
}

func (s *Server) logged(x Exchange) {
	s.mu.Lock()
	s.log = append(s.log, x)
	s.mu.Unlock()
	if s.observe != nil {
		s.observe(x)
	}
}

// dial is the gate of a tool's listener.
func (s *Server) dial(tool string) error {
	st, f := s.site(Site{Phase: Dial, Tool: tool})
	switch f.Kind {
	case Refuse, Outage:
		s.record(st, f, Reply{Outcome: "refused"})
		return errRefused
	}
	return nil
}

// invoke has the world act on a call and notes when a keyed effect landed.
func (s *Server) invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	resp, err := s.world.Invoke(ctx, c)
	if err == nil && c.Key != "" {
		k := keyID{c.Tenant, c.Tool, c.Key}
		s.mu.Lock()
		if _, ok := s.landed[k]; !ok {
			s.landed[k] = time.Now()
		}
		s.mu.Unlock()
	}
	return resp, err
}

// park holds a call as a zombie: its effect lands later.
func (s *Server) park(c engine.Call, op fakes.Op) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.zombies = append(s.zombies, &zombie{call: c, op: op})
}

// land applies the effects of the zombies that the request just answered
// releases: those of earlier attempts of the same operation and tool, or
// (for a lookup) of the same tenant, tool and key.
func (s *Server) land(ctx context.Context, st Site) {
	s.mu.Lock()
	var due []*zombie
	s.zombies = slices.DeleteFunc(s.zombies, func(z *zombie) bool {
		hit := z.call.Tool == st.Tool && (st.Phase == Call && z.op == st.Op && z.call.Attempt < st.Attempt ||
			st.Phase == Lookup && z.call.Key != "" && z.call.Tenant == st.Tenant && z.call.Key == st.Key)
		if hit {
			due = append(due, z)
		}
		return hit
	})
	s.mu.Unlock()
	for _, z := range due {
		s.invoke(context.WithoutCancel(ctx), z.call)
		s.late(z, "the held-back effect landed")
	}
}

// late logs the late effect of a zombie.
func (s *Server) late(z *zombie, outcome string) {
	st := Site{Phase: Call, Tool: z.call.Tool, Op: z.op, Attempt: z.call.Attempt, Key: z.call.Key, Tenant: z.call.Tenant}
	s.logged(Exchange{At: time.Now(), Site: st, Fault: Zombie, Answered: true, Late: true, Reply: Reply{Outcome: outcome}})
}

// Close lands every zombie still parked: a lost request's effect lands
// sooner or later. Call it before reading the ledger.
func (s *Server) Close() {
	s.mu.Lock()
	due := s.zombies
	s.zombies = nil
	s.mu.Unlock()
	for _, z := range due {
		s.invoke(context.Background(), z.call)
		s.late(z, "the held-back effect landed at close")
	}
}

// lookup asks the world, hiding what a lagging lookup would not see yet.
func (s *Server) lookup(ctx context.Context, r engine.LookupRequest, f Fault) (engine.LookupResult, error) {
	res, err := s.world.Lookup(ctx, r)
	if err != nil || f.Kind != Lag || !res.Found {
		return res, err
	}
	s.mu.Lock()
	at, ok := s.landed[keyID{r.Tenant, r.Tool, r.Key}]
	s.mu.Unlock()
	if !ok || time.Since(at) < f.Lag {
		return engine.LookupResult{}, nil
	}
	return res, nil
}
