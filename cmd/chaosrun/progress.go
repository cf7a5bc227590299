package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/chaosrun/chaosrun/invariants"
)

// bar is the progress display on stderr: runs, rate and time left, then
// "minimising <policy> / <invariant>" while counterexamples are minimised,
// each minimisation counted as one more item of work. It is shown only
// when stderr is a terminal and the output is not quiet, for work long
// enough to wait for: net mode from its first run (each run takes real
// time), a duration, or many simulated runs. Policies explore side by
// side: each reports through its own track, and every method is safe for
// concurrent use.
type bar struct {
	b        *progressbar.ProgressBar
	policies int
	total    int // runs of every policy; 0 under a duration

	mu      sync.Mutex
	runs    map[int]int // runs done, by policy
	shrinks int         // minimisations announced
	shrunk  int         // and ended
	shown   time.Time
}

// track is one policy's share of the bar.
type track struct {
	p    *bar
	i    int
	name string
}

// throttle is how often the bar is redrawn while runs go: a simulated run
// takes a fraction of a millisecond.
const throttle = 100 * time.Millisecond

func (e *env) progress(o *options, policies, runs int) *bar {
	long := o.duration > 0 || o.mode == "net" || policies*runs >= 2000
	if !e.tty || o.quiet || !long {
		return &bar{}
	}
	total := int64(policies * runs)
	if o.duration > 0 {
		total = -1 // a spinner: the work ends with the clock
	}
	return &bar{
		b: progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(e.stderr),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("runs"),
			progressbar.OptionShowIts(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(o.duration == 0),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		),
		policies: policies,
		total:    max(int(total), 0),
		runs:     map[int]int{},
	}
}

// policy starts policy i's track, and labels the bar with it.
func (p *bar) policy(i int, name string) *track {
	t := &track{p: p, i: i, name: name}
	if p.b == nil {
		return t
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flush()
	p.b.Describe(fmt.Sprintf("%d/%d %s", i+1, p.policies, name))
	return t
}

// step shows the runs done of the track's policy. The count stops one short
// of the total until done: the bar would end at its total, and the last
// minimisations and the reports are still to come.
func (t *track) step(done, _ int) {
	p := t.p
	if p.b == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.runs[t.i] = done
	if now := time.Now(); now.Sub(p.shown) >= throttle {
		p.shown = now
		p.flush()
	}
}

// shrinking counts a minimisation to come and shows which it is.
func (t *track) shrinking(id invariants.ID) {
	p := t.p
	if p.b == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shrinks++
	if p.total > 0 {
		p.b.ChangeMax(p.total + p.shrinks)
	}
	p.flush()
	p.b.Describe(fmt.Sprintf("minimising %s / %s", t.name, id))
}

// shrunk counts a minimisation done.
func (t *track) shrunk(invariants.ID) {
	p := t.p
	if p.b == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shrunk++
	p.flush()
}

// flush sets the bar to the work done; the caller holds mu.
func (p *bar) flush() {
	n := p.shrunk
	for _, r := range p.runs {
		n += r
	}
	if p.total > 0 {
		n = min(n, p.total+p.shrinks-1)
	}
	_ = p.b.Set(n)
}

func (p *bar) done() {
	if p.b != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		_ = p.b.Finish()
		_ = p.b.Clear()
	}
}
