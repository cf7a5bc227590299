package engine

import (
	"maps"
	"sync"
	"unsafe"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"

	"github.com/chaosrun/chaosrun/internal/slab"
)

// Scratch is memory a caller that runs many short workflows one after
// another (the simulation) lends its engines: the context versions they
// commit, the payloads their calls carry, the reads, outcomes and
// decisions they report, and the engines themselves once released. An
// engine given one ([Opts.Scratch]) takes from it instead of allocating,
// and everything it took stays valid until the caller calls Reset — which
// it does only once nothing reads the run's store, its engines, the calls
// they made, or the events they reported (their Reads, Outcomes,
// Decisions and Tools are the scratch's, and so are the bytes of the
// calls' payloads). The zero value is ready; a nil Scratch allocates.
type Scratch struct {
	mu   sync.Mutex
	used []map[string]store.Value // versions handed out since the last Reset
	free []map[string]store.Value // cleared versions, for the next
	// small and freeSmall are versions of at most smallVersion keys: a
	// map of one group, which is quicker to fill and to clear than the
	// tables of a larger one.
	small     []map[string]store.Value
	freeSmall []map[string]store.Value
	reads     slab.Slab[Read]
	text      slab.Slab[byte] // payloads
	names     slab.Slab[string]
	failures  slab.Slab[failure]
	decisions slab.Slab[policy.Decision]
	streams   slab.Slab[delivery]
	// spare is an engine Release handed back, for New (see [Engine.Release]).
	spare *Engine
}

// The sizes of the chunks a Scratch hands its parts out from: a part
// larger than its chunk is allocated on its own.
const (
	readChunk   = 256
	textChunk   = 8 << 10
	nameChunk   = 64
	recordChunk = 16 // failures, decisions, deliveries
)

// Reset takes back everything handed out since the last Reset: the
// versions, cleared, the reads, payloads, outcomes and decisions.
func (s *Scratch) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.free, s.used = recycle(s.free, s.used)
	s.freeSmall, s.small = recycle(s.freeSmall, s.small)
	s.reads.Reset()
	s.text.Rewind() // bytes: nothing to let go of
	s.names.Reset()
	s.failures.Reset()
	s.decisions.Reset()
	for _, c := range s.streams.Used() {
		for i := range c {
			c[i] = delivery{fn: c[i].fn} // the function is bound to the place, not to the call
		}
	}
	s.streams.Rewind()
}

// recycle clears the maps of used and moves them to free.
func recycle(free, used []map[string]store.Value) (_, _ []map[string]store.Value) {
	for _, m := range used {
		clear(m)
	}
	free = append(free, used...)
	clear(used)
	return free, used[:0]
}

// smallVersion is the most keys a map of one group holds.
const smallVersion = 8

// version returns an empty map for a context version of about n keys.
func (s *Scratch) version(n int) map[string]store.Value {
	if s == nil {
		return make(map[string]store.Value, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= smallVersion {
		var m map[string]store.Value
		m, s.freeSmall = take(s.freeSmall, smallVersion)
		s.small = append(s.small, m)
		return m
	}
	var m map[string]store.Value
	m, s.free = take(s.free, max(n, 16))
	s.used = append(s.used, m)
	return m
}

// take returns a map of free, or a new one of room for n keys.
func take(free []map[string]store.Value, n int) (map[string]store.Value, []map[string]store.Value) {
	if k := len(free); k > 0 {
		return free[k-1], free[:k-1]
	}
	return make(map[string]store.Value, n), free
}

// readsFor returns an empty slice with room for n reads.
func (s *Scratch) readsFor(n int) []Read {
	if s == nil {
		return make([]Read, 0, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads.Take(n, readChunk)
}

// namesFor returns a slice of n empty strings.
func (s *Scratch) namesFor(n int) []string {
	if s == nil {
		return make([]string, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names.Take(n, nameChunk)[:n]
}

// textFor returns an empty byte slice with room for n bytes, which
// [Scratch.lendText] turns into a string.
func (s *Scratch) textFor(n int) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.text.Take(n, textChunk)
}

// lendText returns the bytes textFor handed out as a string: they are
// never written again before the Reset that takes them back.
func lendText(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// failureOf returns f where it lives until the Reset: its outcome is what
// the attempt's EvFailure points to.
func (s *Scratch) failureOf(f failure) *failure {
	if s == nil {
		p := new(failure)
		*p = f
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.failures.One(recordChunk)
	*p = f
	return p
}

// decisionOf returns d where it lives until the Reset, for an EvDecision
// to point to.
func (s *Scratch) decisionOf(d policy.Decision) *policy.Decision {
	if s == nil {
		p := new(policy.Decision)
		*p = d
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.decisions.One(recordChunk)
	*p = d
	return p
}

// deliveryOf returns d where it lives until the Reset, with its deliver
// method as a function value: a delivery taken again keeps the function
// made for it the first time.
func (s *Scratch) deliveryOf(d delivery) *delivery {
	if s == nil {
		p := new(delivery)
		*p = d
		p.fn = p.deliver
		return p
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.streams.One(recordChunk)
	fn := p.fn
	*p = d
	if p.fn = fn; fn == nil {
		p.fn = p.deliver
	}
	return p
}

// takeEngine returns the engine Release handed back, if there is one.
func (s *Scratch) takeEngine() *Engine {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.spare
	s.spare = nil
	return e
}

// keepEngine keeps a released engine for the next New.
func (s *Scratch) keepEngine(e *Engine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spare = e
}

// newVersion copies a committed version's values for n more keys; view,
// when not nil, is the version's values as a read saw them, which fill the
// copy quicker than the map's. Without a scratch, a clone copies the map's
// memory without hashing every key again, which is the faster way but
// where the n keys take a map of one group (eight) past it: then a map
// made at its final size is.
func (s *Scratch) newVersion(values map[string]store.Value, view []Read, n int) map[string]store.Value {
	if s != nil {
		work := s.version(len(values) + n)
		if view == nil {
			maps.Copy(work, values)
			return work
		}
		for _, rd := range view {
			work[rd.Key] = store.Value{Data: rd.Data, Writer: rd.Writer}
		}
		return work
	}
	if len(values) <= 8 && len(values)+n > 8 {
		work := make(map[string]store.Value, len(values)+n)
		maps.Copy(work, values)
		return work
	}
	if values == nil {
		return make(map[string]store.Value, n)
	}
	return maps.Clone(values)
}

// inputContext returns context version 0 for an execution's input.
func (s *Scratch) inputContext(input map[string]string) store.Context {
	c := store.Context{Values: s.version(len(input))}
	for k, v := range input {
		c.Values[k] = store.Value{Data: v, Writer: store.InputWriter}
	}
	return c
}
