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

// Opts configures a [Server]. The zero value (or nil) means no faults and
// the tools of [fakes.Entries].
type Opts struct {
	Faults Faults
	// Entries are the tools served, with the registrations their MCP
	// annotations are drawn from.
	Entries []registry.Entry
}

// Server is the world on the wire: the model endpoint, the tools as JSON
// over HTTP, the tools over MCP, and the downstream consumer. It counts
// attempts per operation itself and keeps a log of every exchange. It is
// safe for concurrent use.
type Server struct {
	world   World
	faults  Faults
	entries []registry.Entry

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
	At      time.Time
	Site    Site
	Fault   Kind
	Outcome string
}

// New returns a server for the world.
func New(w World, opts *Opts) *Server {
	if opts == nil {
		opts = &Opts{}
	}
	s := &Server{world: w, faults: opts.Faults, entries: opts.Entries,
		attempts: map[opTool]int{}, lookups: map[keyID]int{}, dials: map[string]int{},
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

// site numbers a request and asks the faults what becomes of it. A tool in
// an outage answers Outage, without asking.
func (s *Server) site(st Site) (Site, Fault) {
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

// record logs an exchange once its outcome is known.
func (s *Server) record(st Site, f Fault, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, Exchange{At: time.Now(), Site: st, Fault: f.Kind, Outcome: outcome})
}

// dial is the gate of a tool's listener.
func (s *Server) dial(tool string) error {
	st, f := s.site(Site{Phase: Dial, Tool: tool})
	switch f.Kind {
	case Refuse, Outage:
		s.record(st, f, "refused")
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
		s.record(Site{Phase: Call, Tool: z.call.Tool, Op: z.op, Attempt: z.call.Attempt, Key: z.call.Key, Tenant: z.call.Tenant},
			Fault{Kind: Zombie}, "zombie effect landed")
	}
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
		s.record(Site{Phase: Call, Tool: z.call.Tool, Op: z.op, Attempt: z.call.Attempt, Key: z.call.Key, Tenant: z.call.Tenant},
			Fault{Kind: Zombie}, "zombie effect landed at close")
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
