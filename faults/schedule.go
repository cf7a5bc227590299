package faults

import (
	"fmt"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/internal/splitmix"
)

// Schedule says which faults fire where. Rates are per thousand sites; a
// zero rate turns the kind off.
type Schedule struct {
	Seed  uint64
	Rates [NumKinds]uint16
}

// Active lists the kinds with a non-zero rate.
func (s Schedule) Active() []Kind {
	var ks []Kind
	for k, r := range s.Rates {
		if r > 0 {
			ks = append(ks, Kind(k))
		}
	}
	return ks
}

// String renders the schedule as "seed=S kind=rate ...".
func (s Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed=%d", s.Seed)
	for _, k := range s.Active() {
		fmt.Fprintf(&b, " %s=%d‰", k, s.Rates[k])
	}
	return b.String()
}

// Site is a fault site's identity, hashed with the seed and the kind: the
// step (its unit, see [NewInjector]) and the place within it. Sites are made
// by the Injector's named constructors only ([Injector.CallSite],
// [Injector.BeginSite], [Injector.CommitSite], and the engine's points), so
// that the simulation and net mode (faults/toxics) draw from the same sites
// and fire the same faults.
type Site struct {
	unit         uint64
	tool         string
	run, attempt int
	point, index int
}

// The places of a step that are not the engine's points. The engine's
// points ([engine.Point]) use the same small numbers; the kind hashed with
// a site keeps their draws apart, for no kind is drawn at both.
const (
	placeQuirk  = 0 // the world's handling of a call (double delivery, lost write)
	placeCall   = 1 // a tool call: before, during and after the tool acts
	placeBegin  = 2 // the begin record; the index is the attempt's kind
	placeCommit = 3 // the commit
	placeLookup = 4 // a lookup by key; the index is a hash of the key
)

// Stream is the sequence of draws of one site: its first value decides
// whether the fault fires, the next ones its details (a Retry-After, a
// chunk count, a form).
type Stream = splitmix.Stream

// on reports whether kind k can fire anywhere: a site is worked out only
// for a kind that can.
func (s *Schedule) on(k Kind) bool { return s.Rates[k] != 0 }

// draw returns the site's stream for kind k.
func (s *Schedule) draw(k Kind, at *Site) Stream {
	h := s.Seed ^ (uint64(k)+1)*splitmix.Golden
	h = splitmix.Mix(h ^ at.unit)
	h = splitmix.String(h, at.tool)
	h = splitmix.Mix(h ^ uint64(at.run)<<48 ^ uint64(at.attempt)<<16 ^ uint64(at.point)<<8 ^ uint64(at.index))
	return Stream(h)
}

// fires reports whether kind k fires at the site, and the site's stream.
func (s *Schedule) fires(k Kind, at *Site) (bool, Stream) {
	r := s.Rates[k]
	if r == 0 {
		return false, 0
	}
	st := s.draw(k, at)
	return st.Next()%1000 < uint64(r), st
}

// RetryAfter is the Retry-After of a rate limit that fired with stream st:
// 200ms to 2s.
func RetryAfter(st *Stream) time.Duration {
	return time.Duration(200+st.Next()%1800) * time.Millisecond
}

// ChunksBeforeCut is how many chunks a stream cut that fired with stream st
// lets through: 0 to 2.
func ChunksBeforeCut(st *Stream) int { return int(st.Next() % 3) }
