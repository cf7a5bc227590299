package outcome

import (
	"fmt"
	"strings"
	"time"
)

// Phase says how far the failed attempt got relative to the tool acting.
type Phase uint8

// Phases. The zero value is not a phase; Classify always sets one.
const (
	PhasePre  Phase = iota + 1 // the tool provably did not act
	PhaseMid                   // the tool may have acted; no usable response
	PhasePost                  // the tool acted; its response arrived
)

// LLMPhase types a model call's failure (zero for calls that are not model calls).
type LLMPhase uint8

// LLM phases.
const (
	PreInference  LLMPhase = iota + 1 // the prompt was not accepted: safe to retry
	MidInference                      // generation began; chunks may have reached a consumer
	PostInference                     // generation completed; handling the response failed
)

// Class is the failure class.
type Class uint8

// Failure classes.
const (
	Transient     Class = iota + 1 // may succeed if tried again
	RateLimited                    // told to come back later (Retry-After)
	Timeout                        // no answer in time
	Deterministic                  // the same input fails the same way
)

// Layer is where the failing step runs.
type Layer uint8

// Layers.
const (
	Agent        Layer = iota + 1 // a tool call made by an agent
	Orchestrator                  // planning or routing done by the orchestrator
)

// Effects says whether the attempt emitted side effects.
type Effects uint8

// Effects values.
const (
	NoEffects        Effects = iota // nothing left the engine, or the tool has no side effects
	PossibleEffects                 // the tool may have acted
	ConfirmedEffects                // the tool acted
)

// ContextState is what the failed attempt did to its context write.
type ContextState uint8

// Context states. Committed means every key of the step's write was written,
// not that the checkpoint commit succeeded (a failure after the write is what
// leaves a fully written but uncommitted context).
const (
	ContextClean     ContextState = iota + 1 // nothing written
	ContextPartial                           // some keys written, then the failure
	ContextCommitted                         // every key written
)

// Outcome is the typed description of one failed attempt: the input to every
// recovery decision.
type Outcome struct {
	Phase Phase
	LLM   LLMPhase // zero unless the tool is a model call
	Class Class
	Layer Layer
	// Effects covers every attempt of the step so far: an earlier attempt's
	// effects do not vanish because a later one failed before acting.
	Effects     Effects
	Context     ContextState
	SignalsSent bool // chunks or triggers reached a downstream consumer
	// InHand is set when the engine still holds the tool's response, so that
	// reconciling means committing it rather than looking it up.
	InHand bool
	// Crashed is set when the outcome was rebuilt after an engine crash.
	Crashed bool
	// Reconciled is set when a lookup by key established that the operation
	// did not happen, turning an uncertain outcome into a pre-execution one.
	Reconciled bool
	RetryAfter time.Duration // from a rate limit, zero otherwise
	// Status is the HTTP-style status the tool answered (0: none, such as a
	// reset, a timeout or a refused connection).
	Status int
	Cause  string // the error in words
}

// SideEffects reports whether the attempt may have emitted side effects.
func (o Outcome) SideEffects() bool { return o.Effects != NoEffects }

// String renders the outcome compactly, e.g. "mid/timeout/agent effects=possible".
func (o Outcome) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s/%s effects=%s context=%s", o.Phase, o.Class, o.Layer, o.Effects, o.Context)
	if o.LLM != 0 {
		fmt.Fprintf(&b, " llm=%s", o.LLM)
	}
	if o.SignalsSent {
		b.WriteString(" signals")
	}
	if o.Crashed {
		b.WriteString(" crashed")
	}
	if o.Reconciled {
		b.WriteString(" reconciled")
	}
	if o.RetryAfter > 0 {
		fmt.Fprintf(&b, " retry-after=%s", o.RetryAfter)
	}
	return b.String()
}

var (
	phaseNames   = []string{"", "pre", "mid", "post"}
	llmNames     = []string{"", "pre-inference", "mid-inference", "post-inference"}
	classNames   = []string{"", "transient", "rate-limited", "timeout", "deterministic"}
	layerNames   = []string{"", "agent", "orchestrator"}
	effectsNames = []string{"none", "possible", "confirmed"}
	contextNames = []string{"", "clean", "partial", "committed"}
)

func name(names []string, i uint8) string {
	if int(i) < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("invalid(%d)", i)
}

func parse(kind string, names []string, s string) (uint8, error) {
	for i, n := range names {
		if n != "" && n == s {
			return uint8(i), nil
		}
	}
	var valid []string
	for _, n := range names {
		if n != "" {
			valid = append(valid, n)
		}
	}
	return 0, fmt.Errorf("unknown %s %q (valid: %s)", kind, s, strings.Join(valid, ", "))
}

func (p Phase) String() string        { return name(phaseNames, uint8(p)) }
func (p LLMPhase) String() string     { return name(llmNames, uint8(p)) }
func (c Class) String() string        { return name(classNames, uint8(c)) }
func (l Layer) String() string        { return name(layerNames, uint8(l)) }
func (e Effects) String() string      { return name(effectsNames, uint8(e)) }
func (c ContextState) String() string { return name(contextNames, uint8(c)) }

// ParsePhase parses "pre", "mid" or "post".
func ParsePhase(s string) (Phase, error) {
	v, err := parse("phase", phaseNames, s)
	return Phase(v), err
}

// ParseLLMPhase parses "pre-inference", "mid-inference" or "post-inference".
func ParseLLMPhase(s string) (LLMPhase, error) {
	v, err := parse("llm phase", llmNames, s)
	return LLMPhase(v), err
}

// ParseClass parses "transient", "rate-limited", "timeout" or "deterministic".
func ParseClass(s string) (Class, error) {
	v, err := parse("class", classNames, s)
	return Class(v), err
}

// ParseLayer parses "agent" or "orchestrator".
func ParseLayer(s string) (Layer, error) {
	v, err := parse("layer", layerNames, s)
	return Layer(v), err
}

// ParseContextState parses "clean", "partial" or "committed".
func ParseContextState(s string) (ContextState, error) {
	v, err := parse("context state", contextNames, s)
	return ContextState(v), err
}

// PhaseNames, LLMPhaseNames, ClassNames, LayerNames and ContextStateNames
// list the accepted spellings, for documentation and error messages.
var (
	PhaseNames        = phaseNames[1:]
	LLMPhaseNames     = llmNames[1:]
	ClassNames        = classNames[1:]
	LayerNames        = layerNames[1:]
	ContextStateNames = contextNames[1:]
)
