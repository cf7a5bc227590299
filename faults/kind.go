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
	ErrorAfter                  // mid: the tool acts, then answers 500 or 502
	Rejected                    // post: the tool acts, then rejects the operation, the same every attempt
	Outage                      // pre: the tool stays down for a window, every call refused
	Zombie                      // mid: the attempt's request is held; its effect lands after the retry began
	LookupLag                   // semantic: a lookup misses an effect younger than the tool's declared lag
	LookupMiss                  // semantic: a lookup misses an effect that the tool's key still deduplicates
	NumKinds
)

// Phase is where a kind of fault lands: in a tool call (before, during or
// after the tool acts), in the store, in the context write, in the engine,
// or in the world's own behaviour.
type Phase uint8

// Phases.
const (
	PhasePre           Phase = iota // before the tool acts
	PhaseMid                        // the tool acts, then its answer is lost
	PhaseMidInference               // a model's stream, part of it delivered
	PhasePost                       // the tool acted and its answer arrived
	PhasePostInference              // a model's generation, complete
	PhaseStore                      // the checkpoint records
	PhaseContext                    // the step's context write
	PhaseEngine                     // the engine process
	PhaseSemantic                   // the world misbehaves; no error is seen
)

var phaseNames = []string{"pre", "mid", "mid-inference", "post", "post-inference", "store", "context", "engine", "semantic"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return fmt.Sprintf("invalid(%d)", p)
}

// kindFacts is what is known of a kind: the one table that names, documents
// and bounds every kind, for the simulation and net mode alike.
type kindFacts struct {
	name  string
	phase Phase
	doc   string // after the phase: Doc is "<phase>: <doc>"
	// maxRate is the highest rate the generators draw: crashes and store
	// faults are rarer per site because every attempt passes several of
	// their sites.
	maxRate uint16
}

var kinds = [NumKinds]kindFacts{
	Refused:         {"refused", PhasePre, "connection refused, nothing reaches the tool", 120},
	Unavailable:     {"unavailable", PhasePre, "503 answered before the tool acts", 120},
	RateLimit:       {"rate-limit", PhasePre, "429 with Retry-After, before the tool acts", 120},
	LostResponse:    {"lost-response", PhaseMid, "the tool acts, then the response times out", 120},
	Reset:           {"reset", PhaseMid, "the tool acts, then the connection resets", 120},
	StreamCut:       {"stream-cut", PhaseMidInference, "the model's stream stops after k chunks were delivered downstream", 120},
	BadResponse:     {"bad-response", PhasePostInference, "a model's complete generation whose response cannot be handled", 120},
	BeginFail:       {"begin-fail", PhaseStore, "the checkpoint-begin record cannot be written", 60},
	CommitFail:      {"commit-fail", PhaseStore, "the checkpoint commit fails and nothing is written", 60},
	CommitAmbiguous: {"commit-ambiguous", PhaseStore, "the commit lands but the engine is told it failed", 60},
	PartialWrite:    {"partial-write", PhaseContext, "a failure inside the step's context write, leaving it partial", 60},
	Crash:           {"crash", PhaseEngine, "a crash at any point of an attempt, then a rebuild from the store", 20},
	Drift:           {"registry-drift", PhaseSemantic, "a tool's key or upsert stops deduplicating for one tenant", 120},
	DoubleDelivery:  {"double-delivery", PhaseSemantic, "the tool applies an effect twice for one call", 120},
	LostWrite:       {"lost-write", PhaseSemantic, "the tool acknowledges a call and loses the write", 120},
	ErrorAfter:      {"error-after", PhaseMid, "the tool acts, then answers 500 or 502", 120},
	Rejected:        {"rejected", PhasePost, "the tool acts, then rejects the operation, the same way on every attempt: what compensation is for", 60},
	Outage:          {"outage", PhasePre, "the tool stays down for 5s to 60s, or one time in four for good, every call of every execution refused with 503", 20},
	Zombie:          {"zombie", PhaseMid, "the request is held and times out; its effect lands later, after the retry began", 60},
	LookupLag:       {"lookup-lag", PhaseSemantic, "a lookup misses an effect younger than the lag the tool declares", 120},
	LookupMiss:      {"lookup-miss", PhaseSemantic, "a lookup misses a landed effect whose key the tool still deduplicates by", 120},
}

func (k Kind) String() string {
	if k < NumKinds {
		return kinds[k].name
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Doc describes the kind in one line, its phase first.
func (k Kind) Doc() string {
	if k < NumKinds {
		return kinds[k].phase.String() + ": " + kinds[k].doc
	}
	return ""
}

// Phase says where the kind lands.
func (k Kind) Phase() Phase {
	if k < NumKinds {
		return kinds[k].phase
	}
	return Phase(len(phaseNames))
}

// Semantic reports whether the kind is a misbehaviour of the world rather
// than a failure the engine observes.
func (k Kind) Semantic() bool { return k.Phase() == PhaseSemantic }

// MaxRate is the highest rate the generators draw for a kind: crashes and
// store faults are rarer per site because every attempt passes several of
// their sites.
func MaxRate(k Kind) uint16 {
	if k < NumKinds {
		return kinds[k].maxRate
	}
	return 0
}

// TargetRate is the rate of a kind in a scenario aimed at one of its cells
// (see scenarios.Space.Targeted): eight times [MaxRate], at least half the
// sites and at most all of them, so that an aimed call all but surely
// receives it.
func TargetRate(k Kind) uint16 { return min(1000, max(8*MaxRate(k), 800)) }

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
	names := make([]string, NumKinds)
	for i, f := range kinds {
		if f.name == s {
			return Kind(i), nil
		}
		names[i] = f.name
	}
	return 0, fmt.Errorf("unknown fault kind %q (valid: %s)", s, strings.Join(names, ", "))
}
