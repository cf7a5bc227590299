package harness

import (
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/reference/engine"
)

// Recorder records one run's events for a [Runner] outside this package
// (net mode, harness/netrig) exactly as [Simulate] records its own: each
// durable fact once, however many engines report it, and each fault as its
// event ([FaultEvent]). It is safe for several goroutines, whose events it
// orders as they arrive.
type Recorder struct {
	mu      sync.Mutex
	rec     recorder
	now     func() time.Time
	observe func(engine.Event)
}

// NewRecorder returns a recorder that stamps an event carrying no time with
// now, and tells observe (if not nil) of every event it records, while it
// holds its lock: observe must not block.
func NewRecorder(now func() time.Time, observe func(engine.Event)) *Recorder {
	return &Recorder{now: now, observe: observe}
}

// Observe implements [engine.Observer].
func (r *Recorder) Observe(e engine.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.At.IsZero() {
		e.At = r.now()
	}
	r.rec.Observe(e)
	if r.observe != nil {
		r.observe(e)
	}
}

// Fault records a fault that fired.
func (r *Recorder) Fault(a faults.Applied) { r.Observe(FaultEvent(a)) }

// Events returns the history recorded so far.
func (r *Recorder) Events() []engine.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.events
}
