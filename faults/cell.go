package faults

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/worlds"
)

// Cell is one place of the fault model's coverage: a kind of fault (and
// so its phase) landing on a tenant's calls of one tool. A run hits a cell
// when a fault of the kind fires at a call, an attempt's checkpoint record,
// a context write, an engine point or a lookup of that tool for that
// tenant.
type Cell struct {
	Tenant string
	Tool   string
	Kind   Kind
}

// Phase is the phase of the cell's kind.
func (c Cell) Phase() Phase { return c.Kind.Phase() }

// String renders the cell as "tenant/tool/phase/kind", e.g.
// "initech/publish_report/mid/zombie": what reports and replay lines show,
// and [ParseCell] reads.
func (c Cell) String() string {
	return c.Tenant + "/" + c.Tool + "/" + c.Phase().String() + "/" + c.Kind.String()
}

// ParseCell parses a cell as [Cell.String] renders it; the phase may be
// left out ("tenant/tool/kind"), and when it is given it must be the kind's.
func ParseCell(s string) (Cell, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 3 && len(parts) != 4 {
		return Cell{}, fmt.Errorf("cell %q: want tenant/tool/phase/kind", s)
	}
	k, err := ParseKind(parts[len(parts)-1])
	if err != nil {
		return Cell{}, fmt.Errorf("cell %q: %w", s, err)
	}
	if len(parts) == 4 && parts[2] != k.Phase().String() {
		return Cell{}, fmt.Errorf("cell %q: %s faults land in phase %s, not %s", s, k, k.Phase(), parts[2])
	}
	if parts[0] == "" || parts[1] == "" {
		return Cell{}, fmt.Errorf("cell %q: want tenant/tool/phase/kind", s)
	}
	return Cell{Tenant: parts[0], Tool: parts[1], Kind: k}, nil
}

// Compare orders cells by tenant, tool, then kind.
func (c Cell) Compare(d Cell) int {
	if n := strings.Compare(c.Tenant, d.Tenant); n != 0 {
		return n
	}
	if n := strings.Compare(c.Tool, d.Tool); n != 0 {
		return n
	}
	return int(c.Kind) - int(d.Kind)
}

// OnLookup reports whether the kind lands on lookups by key, which only a
// system that looks a tool up ever makes: a cell of such a kind is reached
// through the system under test, not by the world alone.
func (k Kind) OnLookup() bool { return k == LookupLag || k == LookupMiss }

// Reaches reports whether a fault of kind k can land on the tenant's calls
// of tool in world cat, by the rules the [Injector] and the fakes apply to
// every call: a stream cut and a bad response only on a streamed model
// call; a zombie only where a held request can land later (see
// zombieable); registry drift only on the tools [fakes.Catalog.DriftTools]
// names for the tenant; a doubled or lost write, a lagging or missing
// lookup only where the world can give the tool that quirk
// ([fakes.QuirksOf]); every other kind on every step's tool.
func Reaches(cat *fakes.Catalog, tenant, tool string, k Kind) bool {
	sp, ok := cat.Spec(tenant, tool)
	if !ok || sp.Undoes != "" || !slices.Contains(cat.Tenants(), tenant) {
		return false
	}
	switch k {
	case StreamCut, BadResponse:
		return sp.Stream
	case Zombie:
		contract := cat.Contract(tenant, tool)
		return zombieSpec(sp, contract.AtMostOnce || contract.NeverRetry, false)
	case Drift:
		return slices.Contains(cat.DriftTools(tenant), tool)
	case DoubleDelivery, LostWrite, LookupLag, LookupMiss:
		return slices.Contains(fakes.QuirksOf(sp), quirkOf[k])
	}
	return k < NumKinds
}

var quirkOf = map[Kind]fakes.Quirk{
	DoubleDelivery: fakes.DoubleDelivery, LostWrite: fakes.LostWrite,
	LookupLag: fakes.LaggingLookup, LookupMiss: fakes.MissedLookup,
}

// Reachable lists, in order, the cells of world cat that some run can hit:
// every tenant, every tool its workflows call (generated workflows draw
// from the world's tools, and every tenant runs every workflow), every kind
// that [Reaches] the tool.
func Reachable(cat *fakes.Catalog) []Cell {
	w := cat.World()
	tools := w.GeneratedTools()
	for _, wf := range w.Workflows {
		for _, t := range wf.Steps {
			if !slices.Contains(tools, t) {
				tools = append(tools, t)
			}
		}
	}
	var cells []Cell
	for _, tenant := range cat.Tenants() {
		for _, tool := range tools {
			for _, k := range Kinds() {
				if Reaches(cat, tenant, tool, k) {
					cells = append(cells, Cell{Tenant: tenant, Tool: tool, Kind: k})
				}
			}
		}
	}
	slices.SortFunc(cells, Cell.Compare)
	return cells
}

// zombieSpec is zombieable's rule for the tool s describes (drifted for
// the tenant or not, under a tenant's contract that forbids a retry or
// not): a tool with an effect that does not stream, whose key deduplicates
// a repeat, or that answers no lookups, or whose contract forbids the
// retry a zombie punishes.
func zombieSpec(s worlds.Spec, forbidsRetry, drifted bool) bool {
	if s.Undoes != "" || s.Stream || !s.Truth().SideEffects {
		return false
	}
	dedups := (s.Behaviour == worlds.KeyedWrite || s.Behaviour == worlds.Upsert) && !drifted
	return dedups || !s.Lookup || forbidsRetry
}
