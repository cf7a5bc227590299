package faults

import (
	"fmt"
	"strings"
)

// Kind is a kind of fault.
type Kind uint8

// Fault kinds.
const (
	Refused         Kind = iota // pre: connection refused
	Unavailable                 // pre: 503 before the tool acts
	RateLimit                   // pre: 429 with Retry-After
	LostResponse                // mid: the tool acts, the response times out
	Reset                       // mid: the tool acts, the connection resets
	StreamCut                   // mid-inference: the stream stops after k chunks
	BadResponse                 // post-inference: a complete generation that cannot be handled
	BeginFail                   // store: the begin record cannot be written
	CommitFail                  // store: the commit fails and nothing is written
	CommitAmbiguous             // store: the commit lands and the engine is told it failed
	PartialWrite                // context: a failure inside the context write
	Crash                       // engine: a crash, then a rebuild from the store
	Drift                       // semantic: registry drift for one tenant
	DoubleDelivery              // semantic: the tool applies the effect twice
	LostWrite                   // semantic: the tool acknowledges and loses the write
	NumKinds
)

var kindNames = [NumKinds]string{"refused", "unavailable", "rate-limit", "lost-response", "reset", "stream-cut",
	"bad-response", "begin-fail", "commit-fail", "commit-ambiguous", "partial-write", "crash",
	"registry-drift", "double-delivery", "lost-write"}

var kindDocs = [NumKinds]string{
	"pre: connection refused, nothing reaches the tool",
	"pre: 503 answered before the tool acts",
	"pre: 429 with Retry-After, before the tool acts",
	"mid: the tool acts, then the response times out",
	"mid: the tool acts, then the connection resets",
	"mid-inference: the model's stream stops after k chunks were delivered downstream",
	"post-inference: a model's complete generation whose response cannot be handled",
	"store: the checkpoint-begin record cannot be written",
	"store: the checkpoint commit fails and nothing is written",
	"store: the commit lands but the engine is told it failed",
	"context: a failure inside the step's context write, leaving it partial",
	"engine: a crash at any point of an attempt, then a rebuild from the store",
	"semantic: a tool's key or upsert stops deduplicating for one tenant",
	"semantic: the tool applies an effect twice for one call",
	"semantic: the tool acknowledges a call and loses the write",
}

func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Doc describes the kind in one line.
func (k Kind) Doc() string {
	if k < NumKinds {
		return kindDocs[k]
	}
	return ""
}

// Kinds lists every kind in order.
func Kinds() []Kind {
	ks := make([]Kind, NumKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// ParseKind parses a kind's name.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown fault kind %q (valid: %s)", s, strings.Join(kindNames[:], ", "))
}

// Semantic reports whether the kind is a misbehaviour of the world rather
// than a failure the engine observes.
func (k Kind) Semantic() bool { return k == Drift || k == DoubleDelivery || k == LostWrite }

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

// MaxRate is the highest rate the generators draw for a kind: crashes and
// store faults are rarer per site because every attempt passes several of
// their sites.
func MaxRate(k Kind) uint16 {
	switch k {
	case Crash:
		return 20
	case BeginFail, CommitFail, CommitAmbiguous, PartialWrite:
		return 60
	}
	return 120
}

// site is a fault site's identity, hashed with the seed and the kind. unit
// identifies the step (see NewInjector); the rest, the place within it.
type site struct {
	unit         uint64
	tool         string
	run, attempt int
	point, index int
}

// draw returns the site's stream: a uniform value and a generator of more.
func (s Schedule) draw(k Kind, at site) stream {
	h := s.Seed ^ (uint64(k)+1)*0x9e3779b97f4a7c15
	h = mix(h ^ at.unit)
	h = mixString(h, at.tool)
	h = mix(h ^ uint64(at.run)<<48 ^ uint64(at.attempt)<<16 ^ uint64(at.point)<<8 ^ uint64(at.index))
	return stream(h)
}

// fires reports whether kind k fires at the site, and the site's stream.
func (s Schedule) fires(k Kind, at site) (bool, stream) {
	r := s.Rates[k]
	if r == 0 {
		return false, 0
	}
	st := s.draw(k, at)
	return st.next()%1000 < uint64(r), st
}

// stream is a splitmix64 sequence seeded by a site.
type stream uint64

func (s *stream) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	return mix(uint64(*s))
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func mixString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001b3
	}
	return mix(h)
}
