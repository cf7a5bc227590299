package main

import (
	"fmt"

	"github.com/schollz/progressbar/v3"
)

// bar is the progress display on stderr: shown only when stderr is a
// terminal, the output is not quiet, and the work is long enough to wait for.
type bar struct {
	b        *progressbar.ProgressBar
	policies int
	base     int // runs of the policies already done
	last     int // runs of the current policy
}

func (e *env) progress(o *options, policies, runs int) *bar {
	long := o.duration > 0 || policies*runs >= 2000
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
			progressbar.OptionThrottle(100e6),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionFullWidth(),
		),
		policies: policies,
	}
}

func (p *bar) policy(i int, name string) {
	if p.b == nil {
		return
	}
	p.base, p.last = p.base+p.last, 0
	p.b.Describe(fmt.Sprintf("%d/%d %s", i+1, p.policies, name))
}

func (p *bar) step(done, _ int) {
	if p.b != nil {
		p.last = done
		_ = p.b.Set(p.base + done)
	}
}

func (p *bar) done() {
	if p.b != nil {
		_ = p.b.Finish()
		_ = p.b.Clear()
	}
}
