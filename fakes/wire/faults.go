package wire

import (
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
)

// Phase is where at the tool boundary a [Site] is.
type Phase uint8

// Phases.
const (
	// Dial is a connection being opened to a tool's host, before any
	// request exists: only [Refuse] and [Outage] apply. Site.Attempt counts
	// the dials to the tool.
	Dial Phase = iota + 1
	// Call is a request to act: a tool call or a model call. Site.Attempt
	// counts the calls of the operation to the tool, from 1.
	Call
	// Lookup is a lookup by key. Site.Attempt counts the lookups of the key.
	Lookup
)

var phaseNames = []string{"", "dial", "call", "lookup"}

func (p Phase) String() string {
	if int(p) < len(phaseNames) && p != 0 {
		return phaseNames[p]
	}
	return fmt.Sprintf("invalid(%d)", p)
}

// Site is one request (or dial) at the tool boundary.
type Site struct {
	Phase Phase
	Tool  string
	// Op is the operation the request names (zero for a dial, and for a
	// lookup, which names a key).
	Op      fakes.Op
	Attempt int
	// Key is the idempotency key the request carries, or the key looked up.
	Key    string
	Tenant string
	// Stream is set on a model call that asked for a streamed reply.
	Stream bool
}

// Kind is a kind of fault at the tool boundary.
type Kind uint8

// Fault kinds. "Before" kinds leave the world untouched; "after" kinds let
// the world act first.
const (
	None        Kind = iota
	Refuse           // before: the dial is refused (ECONNREFUSED); on a request, the connection is reset unread
	Unavailable      // before: 503 with Retry-After
	RateLimit        // before: 429 with Retry-After and Retry-After-Ms
	Reset            // after: the connection is reset instead of the reply
	Timeout          // after: no reply until the client gives up (or Fault.Hold passes, then a reset)
	Status           // after: an error status (Fault.Status, default 500) instead of the reply
	StreamCut        // after Fault.Chunks chunks of a streamed model reply, the connection is reset
	Zombie           // the reply is lost (a reset) and the effect lands only once the operation's next request was handled
	Lag              // lookup: effects that landed less than Fault.Lag ago are not found
	Outage           // before: the tool is down for Fault.For: dials refused, requests 503
	NumKinds
)

var kindNames = [NumKinds]string{"none", "refuse", "unavailable", "rate-limit", "reset", "timeout", "status",
	"stream-cut", "zombie", "lag", "outage"}

func (k Kind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Fault is what goes wrong at one site. The zero value is no fault.
type Fault struct {
	Kind Kind
	// Status is the code of a [Status] fault: 500 (the default) or 502, or
	// any other.
	Status int
	// RetryAfter is sent with [Unavailable], [RateLimit] and [Outage]
	// (default 1s; for an outage, what is left of it).
	RetryAfter time.Duration
	// Chunks is how many chunks a [StreamCut] lets through.
	Chunks int
	// Hold bounds a [Timeout]: after it the connection is reset (0: until
	// the client gives up).
	Hold time.Duration
	// Lag is how long a landed effect stays invisible to a [Lag] lookup.
	Lag time.Duration
	// For is how long an [Outage] lasts (default 1 minute).
	For time.Duration
	// Then, if set, is called once the fault is in place and before the
	// reply goes: after the world acted for a fault after the effect, before
	// it could for one before. The harness crashes the caller there, so that
	// what the world did is fixed before the caller's context is cancelled.
	Then func()
}

// then calls f.Then, if set.
func (f Fault) then() {
	if f.Then != nil {
		f.Then()
	}
}

// Faults decides what goes wrong at each site. The harness implements it
// from its fault schedule; it is called once per site, in the order the
// requests arrive, and must be safe for concurrent use.
type Faults interface {
	Fault(s Site) Fault
}

// FaultsFunc adapts a function to [Faults].
type FaultsFunc func(Site) Fault

// Fault implements [Faults].
func (f FaultsFunc) Fault(s Site) Fault { return f(s) }
