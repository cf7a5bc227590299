package main

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/chaosrun/chaosrun/invariants"
)

// bar is the progress display on stderr: runs, rate and time left, then
// "minimising <policy> / <invariant>" while counterexamples are minimised.
// It is shown only when stderr is a terminal and the output is not quiet,
// for work long enough to wait for: net mode from its first run (each run
// takes real time), a duration, or many simulated runs.
type bar struct {
	b        *progressbar.ProgressBar
	policies int
	total    int    // runs of every policy; 0 under a duration
	name     string // the current policy
	base     int    // runs of the policies already done
	last     int    // runs of the current policy
	shown    time.Time
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
	}
}

func (p *bar) policy(i int, name string) {
	if p.b == nil {
		return
	}
	p.flush()
	p.base, p.last, p.name = p.base+p.last, 0, name
	p.b.Describe(fmt.Sprintf("%d/%d %s", i+1, p.policies, name))
}

// step shows the runs done of the current policy. The count stops one short
// of the total until done: the bar would end at its total, and the last
// policy's minimisation and the reports are still to come.
func (p *bar) step(done, _ int) {
	if p.b == nil {
		return
	}
	p.last = done
	if now := time.Now(); now.Sub(p.shown) >= throttle {
		p.shown = now
		p.flush()
	}
}

// flush sets the bar to the runs done.
func (p *bar) flush() {
	n := p.base + p.last
	if p.total > 0 {
		n = min(n, p.total-1)
	}
	_ = p.b.Set(n)
}

// shrinking shows which counterexample is being minimised.
func (p *bar) shrinking(id invariants.ID) {
	if p.b != nil {
		p.flush()
		p.b.Describe(fmt.Sprintf("minimising %s / %s", p.name, id))
	}
}

func (p *bar) done() {
	if p.b != nil {
		_ = p.b.Finish()
		_ = p.b.Clear()
	}
}
