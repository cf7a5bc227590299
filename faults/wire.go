package faults

import (
	"fmt"
	"time"

	"github.com/chaosrun/chaosrun/fakes/wire"
	"github.com/chaosrun/chaosrun/internal/splitmix"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// WireOpts say what the schedule needs to know of the code under test at
// the tool boundary. The zero value means: no tool is a model, and crashes
// do not fire.
type WireOpts struct {
	// Model reports whether a tool is a model call, for the faults of
	// inference: a stream cut after k chunks, a complete generation whose
	// reply fails.
	Model func(tool string) bool
	// Crash is asked when a crash point fires at a call: it returns what
	// crashes the caller, run once the world has acted (or, before the
	// effect, could not), or nil when the caller cannot be crashed — it
	// gave no way to resume — and the point does not fire.
	Crash func(s wire.Site, afterEffect bool) func()
}

// Wire returns the schedule's faults at the tool boundary of a team's real
// code, served by fakes/wire, the same kinds at the same sites
// ([Injector.CallSite]) as [Injector.Invoker]: a call of attempt n of a step meets what the
// engine's attempt n of that step meets in the simulation. The world's
// quirks and drift come from the Injector itself ([Injector.Quirk],
// [Injector.Drift]); the store's kinds have no site on the wire.
//
// How the kinds land:
//
//	refused          the request is reset unread: nothing reached the tool
//	unavailable      503 with a Retry-After of 1-5s; one in four is an outage instead
//	rate-limit       429 with a Retry-After of 200ms-2s (both headers)
//	crash            the caller is crashed (WireOpts.Crash), before the tool acts or after, half and half
//	stream-cut       a streamed model reply is reset after 0-2 chunks
//	lost-response    no reply: held until the client gives up, or reset after 10-60s
//	reset            the connection is reset after the tool acted
//	bad-response     a model call's complete generation answered with a 500
//	error-after      500 or 502 after the tool acted
//	zombie           no reply; the effect is held back until the retry was answered (not for a model)
//	outage           10s-2m of 503s and refused dials, the Retry-After what is left
//	lookup-lag       a lookup that does not see effects of the last 1-10s
//
// The kinds of the reference's own points (rejected, lookup-miss and the
// store's) have no site on the wire.
func (in *Injector) Wire(opts *WireOpts) wire.Faults {
	var o WireOpts
	if opts != nil {
		o = *opts
	}
	if o.Model == nil {
		o.Model = func(string) bool { return false }
	}
	return wire.FaultsFunc(func(s wire.Site) wire.Fault {
		switch s.Phase {
		case wire.Call:
			return in.wireCall(o, s)
		case wire.Lookup:
			return in.wireLookup(s)
		}
		return wire.Fault{}
	})
}

// lookupSite is the site of the n-th lookup of a key: a lookup names no
// step, so the key stands for it.
func lookupSite(s wire.Site) Site {
	return Site{unit: splitmix.String(uint64(s.Attempt), s.Tenant+"/"+s.Key), tool: s.Tool, point: placeLookup}
}

func (in *Injector) wireCall(o WireOpts, s wire.Site) wire.Fault {
	sch := &in.s
	id := store.AttemptID{Tenant: s.Op.Tenant, Exec: s.Op.Exec, Step: s.Op.Step, Attempt: s.Attempt}
	at := in.CallSite(engine.Call{AttemptID: id, Tool: s.Tool}) // the simulation's site of this attempt's call
	fire := func(k Kind, detail string, f wire.Fault) wire.Fault {
		in.Record(Applied{Kind: k, AttemptID: id, Tool: s.Tool, Detail: detail})
		return f
	}
	if ok, _ := sch.fires(Refused, &at); ok {
		return fire(Refused, "the request was reset unread", wire.Fault{Kind: wire.Refuse})
	}
	if ok, st := sch.fires(Outage, &at); ok {
		d := time.Duration(10+st.Next()%110) * time.Second
		return fire(Outage, "an outage of "+d.String(), wire.Fault{Kind: wire.Outage, For: d})
	}
	if ok, st := sch.fires(Unavailable, &at); ok {
		d := time.Duration(1+st.Next()%5) * time.Second
		return fire(Unavailable, "503, retry after "+d.String(), wire.Fault{Kind: wire.Unavailable, RetryAfter: d})
	}
	if ok, st := sch.fires(RateLimit, &at); ok {
		d := RetryAfter(&st)
		return fire(RateLimit, "429, retry after "+d.String(), wire.Fault{Kind: wire.RateLimit, RetryAfter: d})
	}
	if ok, st := sch.fires(Crash, &at); ok && o.Crash != nil {
		after := st.Next()%2 == 1
		if crash := o.Crash(s, after); crash != nil {
			if after {
				return fire(Crash, "after the tool acted", wire.Fault{Kind: wire.Reset, Then: crash})
			}
			return fire(Crash, "before the tool acted", wire.Fault{Kind: wire.Refuse, Then: crash})
		}
	}
	model := o.Model(s.Tool)
	if model && s.Stream {
		if ok, st := sch.fires(StreamCut, &at); ok {
			k := ChunksBeforeCut(&st)
			return fire(StreamCut, fmt.Sprintf("after %d chunks", k), wire.Fault{Kind: wire.StreamCut, Chunks: k})
		}
	}
	if ok, st := sch.fires(LostResponse, &at); ok {
		d := time.Duration(10+st.Next()%50) * time.Second
		return fire(LostResponse, "no reply after the tool acted (reset after "+d.String()+")", wire.Fault{Kind: wire.Timeout, Hold: d})
	}
	if ok, _ := sch.fires(Reset, &at); ok {
		return fire(Reset, "after the tool acted", wire.Fault{Kind: wire.Reset})
	}
	if ok, st := sch.fires(ErrorAfter, &at); ok {
		code := []int{500, 502}[st.Next()%2]
		return fire(ErrorAfter, fmt.Sprintf("status %d after the tool acted", code), wire.Fault{Kind: wire.Status, Status: code})
	}
	if ok, _ := sch.fires(Zombie, &at); ok && !model {
		return fire(Zombie, "a zombie: the reply lost, the effect held back until the retry was answered", wire.Fault{Kind: wire.Zombie})
	}
	if ok, _ := sch.fires(BadResponse, &at); ok && model {
		return fire(BadResponse, "a 500 after the generation completed", wire.Fault{Kind: wire.Status, Status: 500})
	}
	return wire.Fault{}
}

func (in *Injector) wireLookup(s wire.Site) wire.Fault {
	at := lookupSite(s)
	if ok, st := in.s.fires(LookupLag, &at); ok {
		d := time.Duration(1+st.Next()%10) * time.Second
		in.Record(Applied{Kind: LookupLag, AttemptID: store.AttemptID{Tenant: s.Tenant, Step: -1}, Tool: s.Tool,
			Detail: fmt.Sprintf("a lookup of key %q lagging %s", s.Key, d)})
		return wire.Fault{Kind: wire.Lag, Lag: d}
	}
	return wire.Fault{}
}
