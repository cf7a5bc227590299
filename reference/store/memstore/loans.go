package memstore

import (
	"maps"
	"math/bits"

	"github.com/chaosrun/chaosrun/reference/store"

	"github.com/chaosrun/chaosrun/internal/slab"
)

// loans is the memory Load's snapshots are copied into: the readers' own
// until a Recycle takes it back (the simulation, once a run is checked,
// reads nothing it read from the store), and theirs for good after a
// Reset, which forgets it.
type loans struct {
	stepArrays slab.Slab[store.Step]
	keyArrays  slab.Slab[string]
	commits    slab.Slab[store.Commit]
	dead       slab.Slab[store.DeadLetter]
	inputs     lentMaps[string]
	contexts   lentMaps[store.Value]
	// attempts are arrays of attempts snapshots share, which the record
	// left when End changed one of them (see record.lend); free holds the
	// ones Recycles took back, by size class.
	attempts [][]store.Attempt
	free     [attemptClasses][][]store.Attempt
}

// attemptClasses is how many size classes of attempts arrays loans keep:
// class c holds arrays of at least 1<<c attempts. An array of more than
// the largest class is left to the collector.
const attemptClasses = 12

// freePerClass is how many arrays loans keep in a size class: a run moves
// about two arrays (a recovery ends an attempt its snapshot read), and a
// store's memory must not grow with the runs it has held: a free list
// that kept every array held a third of a comparison's live heap.
const freePerClass = 4

// loanChunk is how many values a chunk of a loans slab holds; a part
// larger than that is allocated on its own.
const loanChunk = 64

// steps returns a copy of steps.
func (l *loans) steps(steps []store.Step) []store.Step {
	n := 0
	for _, st := range steps {
		n += len(st.Writes)
	}
	into := l.stepArrays.Take(len(steps), loanChunk)[:len(steps)]
	out, _ := cloneStepsInto(into, l.keyArrays.Take(n, loanChunk), steps)
	return out
}

// input returns a copy of an execution's input (nil for none).
func (l *loans) input(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	m := l.inputs.take(len(in))
	maps.Copy(m, in)
	return m
}

// values returns an empty map for about n context values.
func (l *loans) values(n int) map[string]store.Value { return l.contexts.take(n) }

// moveAttempts returns a copy of a record's attempts, for the record to
// change, and leaves the array to the snapshots that share it.
func (l *loans) moveAttempts(attempts []store.Attempt) []store.Attempt {
	l.attempts = append(l.attempts, attempts)
	n := max(cap(attempts), 1)
	c := bits.Len(uint(n - 1)) // the class of the arrays that hold n
	if c >= attemptClasses {
		return append(make([]store.Attempt, 0, n), attempts...)
	}
	var into []store.Attempt
	if free := l.free[c]; len(free) > 0 {
		into, l.free[c] = free[len(free)-1], free[:len(free)-1]
	} else {
		into = make([]store.Attempt, 0, 1<<c)
	}
	return append(into, attempts...)
}

// recycle takes back everything lent.
func (l *loans) recycle() {
	for _, a := range l.attempts {
		c := min(bits.Len(uint(cap(a)))-1, attemptClasses-1) // 1<<c <= cap(a)
		if c < 0 || len(l.free[c]) == freePerClass {
			continue
		}
		clear(a[:cap(a)])
		l.free[c] = append(l.free[c], a[:0])
	}
	clear(l.attempts)
	l.attempts = l.attempts[:0]
	l.stepArrays.Reset()
	l.keyArrays.Reset()
	l.commits.Reset()
	l.dead.Reset()
	l.inputs.recycle()
	l.contexts.recycle()
}

// forget leaves everything lent to its readers.
func (l *loans) forget() { *l = loans{} }

// lentMaps hands out maps, each once between recycles.
type lentMaps[V any] struct {
	lent, free []map[string]V
}

// take returns an empty map for about n values.
func (l *lentMaps[V]) take(n int) map[string]V {
	var m map[string]V
	if k := len(l.free); k > 0 {
		m, l.free = l.free[k-1], l.free[:k-1]
	} else {
		m = make(map[string]V, n)
	}
	l.lent = append(l.lent, m)
	return m
}

// recycle takes back every map lent, cleared.
func (l *lentMaps[V]) recycle() {
	for _, m := range l.lent {
		clear(m)
	}
	l.free = append(l.free, l.lent...)
	clear(l.lent)
	l.lent = l.lent[:0]
}
