package engine

import (
	"maps"
	"sync"

	"github.com/chaosrun/chaosrun/reference/store"
)

// Scratch is memory a caller that runs many short workflows one after
// another (the simulation) lends its engines: the context versions they
// commit and the reads they report. An engine given one ([Opts.Scratch])
// takes from it instead of allocating, and everything it took stays valid
// until the caller calls Reset — which it does only once nothing reads the
// run's store, its engines, or the events they reported (their Reads are
// the scratch's). The zero value is ready; a nil Scratch allocates.
type Scratch struct {
	mu     sync.Mutex
	used   []map[string]store.Value // versions handed out since the last Reset
	free   []map[string]store.Value // cleared versions, for the next
	chunks [][]Read                 // reads, handed out in parts
	cur    int                      // the chunk parts come from
}

// readChunk is how many reads a chunk of a Scratch holds.
const readChunk = 256

// Reset takes back everything handed out since the last Reset: the
// versions, cleared, and the reads.
func (s *Scratch) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.used {
		clear(m)
	}
	s.free = append(s.free, s.used...)
	clear(s.used)
	s.used = s.used[:0]
	for i, c := range s.chunks {
		clear(c)
		s.chunks[i] = c[:0]
	}
	s.cur = 0
}

// version returns an empty map for a context version of about n keys.
func (s *Scratch) version(n int) map[string]store.Value {
	if s == nil {
		return make(map[string]store.Value, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var m map[string]store.Value
	if k := len(s.free); k > 0 {
		m, s.free = s.free[k-1], s.free[:k-1]
	} else {
		m = make(map[string]store.Value, max(n, 16))
	}
	s.used = append(s.used, m)
	return m
}

// reads returns an empty slice with room for n reads.
func (s *Scratch) reads(n int) []Read {
	if s == nil || n > readChunk {
		return make([]Read, 0, n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; s.cur < len(s.chunks); s.cur++ {
		if c := s.chunks[s.cur]; cap(c)-len(c) >= n {
			s.chunks[s.cur] = c[:len(c)+n]
			return c[len(c) : len(c) : len(c)+n]
		}
	}
	c := make([]Read, n, readChunk)
	s.chunks = append(s.chunks, c)
	return c[:0:n]
}

// newVersion copies a committed version's values for n more keys. Without
// a scratch, a clone copies the map's memory without hashing every key
// again, which is the faster way but where the n keys take a map of one
// group (eight) past it: then a map made at its final size is.
func (s *Scratch) newVersion(values map[string]store.Value, n int) map[string]store.Value {
	if s != nil {
		work := s.version(len(values) + n)
		maps.Copy(work, values)
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
