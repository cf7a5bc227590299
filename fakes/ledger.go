package fakes

import (
	"fmt"
	"slices"
	"time"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/store"
	"github.com/chaosrun/chaosrun/worlds"
)

// Kind is what a ledger entry records.
type Kind uint8

// Ledger entry kinds.
const (
	Applied     Kind = iota + 1 // a side effect took place
	Compensated                 // an earlier effect (Ref) was undone
	Chunk                       // a streamed chunk reached the downstream consumer
	Usage                       // a model call consumed tokens (not a side effect)
	Lost                        // the tool acknowledged the call and lost the write
)

var kindNames = []string{"", "applied", "compensated", "chunk", "usage", "lost"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Op identifies a logical operation: one step of one execution, and for
// streamed chunks the chunk's index (Sub is -1 otherwise).
type Op struct {
	Tenant string
	Exec   string
	Step   int
	Sub    int
}

func (o Op) String() string {
	if o.Sub >= 0 {
		return fmt.Sprintf("%s/%s step %d chunk %d", o.Tenant, o.Exec, o.Step, o.Sub)
	}
	return fmt.Sprintf("%s/%s step %d", o.Tenant, o.Exec, o.Step)
}

// Effect is one ledger entry.
type Effect struct {
	Seq     int
	At      time.Time
	Kind    Kind
	Op      Op
	Run     int
	Attempt int
	Tool    string
	Key     string
	// Ref is the effect's id; for Compensated, the id of the effect undone.
	Ref string
	// Idempotent is set when a repeat of this effect is harmless (an upsert).
	Idempotent bool
	// World is set when the world applied the effect on its own (a double
	// delivery), not in answer to a call.
	World bool
	// Foreign names another tenant whose data the call's payload carried.
	Foreign   string
	CostCents int
	Tokens    int
	// Invalid is set on a planner's Usage when the plan it returned names a
	// tool nobody registered: a deterministic failure, the same on every call.
	Invalid bool
	// Chunks is set on a model's Usage when the generation ran to its end:
	// how many chunks it streamed.
	Chunks int
}

// Source returns the identity of the attempt whose call made the entry.
func (e Effect) Source() store.AttemptID {
	return store.AttemptID{Tenant: e.Op.Tenant, Exec: e.Op.Exec, Run: e.Run, Step: e.Op.Step, Attempt: e.Attempt}
}

// Ledger is the ground truth of a run. Only the world writes it.
type Ledger struct {
	effects []Effect
	facts   *Facts
}

// Effects returns every entry in order. The slice is the ledger's own: read it, do not modify it.
func (l *Ledger) Effects() []Effect { return l.effects }

// Len returns the number of entries (a watermark).
func (l *Ledger) Len() int { return len(l.effects) }

// Facts returns what is true of the tools and tenants in this run.
func (l *Ledger) Facts() *Facts { return l.facts }

func (l *Ledger) add(e Effect) Effect {
	e.Seq = len(l.effects)
	l.effects = append(l.effects, e)
	return e
}

// Truth is what a tool really does for one tenant, whatever the registry
// says (see [worlds.Truth]).
type Truth = worlds.Truth

// Facts are the world's truths: its tenants' contracts and what each tool
// does for each tenant, drift included.
type Facts struct {
	cat *Catalog
	// drift is a few tools of one tenant, or none: a search beats a map.
	drift []Drift
}

// newFacts returns the facts of cat (nil: the built-in world) with drift,
// which they keep.
func newFacts(cat *Catalog, drift []Drift) Facts {
	if cat == nil {
		cat = Default()
	}
	return Facts{cat: cat, drift: drift}
}

// Catalog returns the world the facts are of.
func (f *Facts) Catalog() *Catalog { return f.cat }

// Contract returns the tenant's declared contract for a tool.
func (f *Facts) Contract(tenant, tool string) policy.Contract { return f.cat.Contract(tenant, tool) }

// Truth returns what the tool really does for the tenant, drift included.
func (f *Facts) Truth(tenant, tool string) Truth {
	t := f.cat.Truth(tenant, tool)
	if f.Drifted(tenant, tool) {
		t.Idempotent = false
	}
	return t
}

// Money reports whether the tool takes money from the tenant's customers
// (see [Truth.Money]): what separates a duplicate charge from a duplicated
// paid call.
func (f *Facts) Money(tenant, tool string) bool { return f.Truth(tenant, tool).Money }

// Drifted reports whether the tool's behaviour drifted from its registration for the tenant.
func (f *Facts) Drifted(tenant, tool string) bool {
	return f != nil && slices.Contains(f.drift, Drift{Tenant: tenant, Tool: tool})
}

// DataTenant returns the tenant of the world whose data a value is (see
// [Catalog.DataTenant]).
func (f *Facts) DataTenant(v string) string { return f.cat.DataTenant(v) }

// NewLedger returns a ledger of the built-in world holding effects,
// numbered in order, with the given drift. The world writes its own
// ledger; this one is for checking recorded histories (and for the
// checkers' own tests).
func NewLedger(effects []Effect, drift ...Drift) *Ledger { return NewLedgerIn(nil, effects, drift...) }

// NewLedgerIn is NewLedger in the world cat (nil: the built-in one).
func NewLedgerIn(cat *Catalog, effects []Effect, drift ...Drift) *Ledger {
	facts := newFacts(cat, slices.Clone(drift))
	l := &Ledger{facts: &facts}
	for _, e := range effects {
		l.add(e)
	}
	return l
}
