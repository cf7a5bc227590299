// Package slab hands out parts of large arrays, each part once between
// resets: memory a run borrows piece by piece and gives back all at once.
package slab

// Slab hands out parts of chunks of T, each part once between resets. The
// zero value is ready to use.
type Slab[T any] struct {
	chunks [][]T // each used up to its length
	cur    int   // the chunk parts come from
}

// Take returns an empty slice with room for n values, from a chunk of size
// values (n above size: a slice of its own).
func (s *Slab[T]) Take(n, size int) []T {
	if n > size {
		return make([]T, 0, n)
	}
	for ; s.cur < len(s.chunks); s.cur++ {
		if c := s.chunks[s.cur]; cap(c)-len(c) >= n {
			s.chunks[s.cur] = c[:len(c)+n]
			return c[len(c) : len(c) : len(c)+n]
		}
	}
	c := make([]T, n, size)
	s.chunks = append(s.chunks, c)
	return c[:0:n]
}

// One returns a zero T from a chunk of size values.
func (s *Slab[T]) One(size int) *T {
	return &s.Take(1, size)[:1][0]
}

// Used returns the chunks, each up to what was handed out of it since the
// last reset.
func (s *Slab[T]) Used() [][]T { return s.chunks }

// Reset takes back every part, zeroing those handed out since the last
// Reset or Rewind (a Rewind leaves what it took back as it was).
func (s *Slab[T]) Reset() {
	for _, c := range s.chunks {
		clear(c)
	}
	s.Rewind()
}

// Rewind takes back every part as it is.
func (s *Slab[T]) Rewind() {
	for i, c := range s.chunks {
		s.chunks[i] = c[:0]
	}
	s.cur = 0
}
