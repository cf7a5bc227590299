package bubble

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// Opts bounds a run. The zero value (or nil) means the defaults.
type Opts struct {
	// Limit is the virtual time the body may take (default 24h).
	Limit time.Duration
	// Grace is the virtual time the body gets to return once its context
	// is cancelled at the limit (default 1 minute).
	Grace time.Duration
	// Wall is the wall-clock time after which a bubble whose clock stopped
	// is declared hung (default 2 minutes).
	Wall time.Duration
	// AtLimit, if set, is called in the bubble when the limit comes, before
	// the body's context is cancelled, with every other goroutine of the
	// bubble durably blocked: the moment to take what the hang looks like.
	AtLimit func()
}

func (o *Opts) withDefaults() Opts {
	var v Opts
	if o != nil {
		v = *o
	}
	if v.Limit <= 0 {
		v.Limit = 24 * time.Hour
	}
	if v.Grace <= 0 {
		v.Grace = time.Minute
	}
	if v.Wall <= 0 {
		v.Wall = 2 * time.Minute
	}
	return v
}

// Hang is a run that did not end.
type Hang struct {
	// Reason says how the run was found hung.
	Reason string
	// Virtual is the virtual time that had passed.
	Virtual time.Duration
	// Goroutines are the stacks of the bubble's goroutines when it was
	// found hung, the root's excepted.
	Goroutines []string
}

func (h *Hang) String() string {
	return fmt.Sprintf("%s after %v of virtual time; %d goroutines:\n\n%s", h.Reason, h.Virtual, len(h.Goroutines),
		strings.Join(h.Goroutines, "\n\n"))
}

// Run runs body in a new bubble and reports a hang, or nil when the body
// returned within the limit and left no goroutine behind. t must not be in
// a bubble already; body's t is the bubble's.
func Run(t *testing.T, opts *Opts, body func(ctx context.Context, t *testing.T)) (hang *Hang) {
	o := opts.withDefaults()
	var bubble atomic.Value // the bubble's id, read by the watchdog
	bubble.Store("")
	id := func() string { return bubble.Load().(string) }
	watchdog := time.AfterFunc(o.Wall, func() { panic(wallHang(id(), o.Wall)) })
	defer watchdog.Stop()
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		err, ok := r.(error)
		if !ok || !strings.HasPrefix(err.Error(), "deadlock: ") {
			panic(r)
		}
		if hang == nil {
			hang = &Hang{Reason: err.Error(), Goroutines: stacks(id(), "")}
		}
	}()
	synctest.Test(t, func(t *testing.T) {
		bubble.Store(bubbleID())
		start := time.Now()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			body(ctx, t)
		}()
		limit := time.NewTimer(o.Limit)
		defer limit.Stop()
		select {
		case <-done:
			return
		case <-limit.C:
		}
		hang = &Hang{Reason: fmt.Sprintf("no end by the virtual limit of %v", o.Limit), Virtual: time.Since(start),
			Goroutines: stacks(id(), goid())}
		if o.AtLimit != nil {
			synctest.Wait() // every other goroutine is blocked already: this orders their writes before AtLimit's reads
			o.AtLimit()
		}
		cancel()
		grace := time.NewTimer(o.Grace)
		defer grace.Stop()
		select {
		case <-done:
		case <-grace.C:
		}
	})
	return hang
}

var bubbleRE = regexp.MustCompile(`, synctest bubble (\d+)\]`)

// bubbleID reads the current goroutine's bubble from its stack header.
func bubbleID() string {
	buf := make([]byte, 256)
	buf = buf[:runtime.Stack(buf, false)]
	m := bubbleRE.FindSubmatch(buf)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// goid returns the current goroutine's "goroutine N " prefix.
func goid() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	head, _, _ := bytes.Cut(buf, []byte("["))
	return string(head)
}

// AllStacks returns the stacks of every goroutine of the process, one
// goroutine a string. Outside a bubble nothing tells the code's goroutines
// from the rest (net mode's hangs report them all).
func AllStacks() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Split(strings.TrimSpace(string(buf)), "\n\n")
}

// stacks returns the stacks of the bubble's goroutines, but skip's.
func stacks(id, skip string) []string {
	if id == "" {
		return nil
	}
	mark := ", synctest bubble " + id + "]"
	var out []string
	for _, g := range AllStacks() {
		head, _, _ := strings.Cut(g, "\n")
		if strings.Contains(head, mark) && (skip == "" || !strings.HasPrefix(g, skip)) {
			out = append(out, strings.TrimSpace(g))
		}
	}
	return out
}

func wallHang(id string, wall time.Duration) string {
	h := &Hang{Reason: fmt.Sprintf("the bubble's clock stopped: %v of wall time without an end (a goroutine blocked on a mutex, real I/O or a system call)", wall),
		Goroutines: stacks(id, "")}
	return "terminal-state: " + h.String()
}
