package fakes

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// The built-in world's tool names. They are part of chaosrun's contract.
const (
	VectorSearch     = "vector_search"
	LLMComplete      = "llm_complete"
	Summarize        = "summarize"
	Plan             = "plan"
	EnrichContact    = "enrich_contact"
	InsertRecord     = "insert_record"
	DeleteRecord     = "delete_record"
	CreateCharge     = "create_charge"
	RefundCharge     = "refund_charge"
	SendEmail        = "send_email"
	PublishReport    = "publish_report"
	SignalDownstream = "signal_downstream"
)

// The built-in world's tenant names. They are part of chaosrun's contract.
const (
	Acme    = "acme"
	Globex  = "globex"
	Initech = "initech"
)

// TenantNames lists the built-in world's tenants in order.
var TenantNames = []string{Acme, Globex, Initech}

// StepTools lists the tools a workflow step of the built-in world may call
// (compensators are not steps).
var StepTools = []string{VectorSearch, LLMComplete, Summarize, Plan, EnrichContact, InsertRecord, CreateCharge, SendEmail, PublishReport, SignalDownstream}

// Catalog is a world compiled for the fakes, the engine and the checkers:
// its registry, its tools as each tenant sees them, its tenants and their
// contracts. It is read-only once built, so every run in the world shares
// one.
type Catalog struct {
	world   *worlds.World
	reg     *registry.Registry
	base    *view  // the tools as described, which a tenant the world does not know sees
	views   []view // each tenant's, in the tenants' order
	tenants []string
	tools   []string
	drift   []string
	maxLag  time.Duration
}

// view is the world as one tenant sees it, compiled once: what a call, a
// lookup or a checker asks of a tool is read, not derived again.
type view struct {
	tenant string
	tools  map[string]*tool // tools and compensators, by name
	// chunks holds the text of the tenant's first streamed chunks, which
	// every run of the world streams again ("acme:chunk-0", ...).
	chunks []string
	drift  []string // DriftTools
	drifts []Drift  // Drift
}

// tool is a tool or compensator as one tenant sees it.
type tool struct {
	spec     worlds.Spec
	truth    Truth
	contract policy.Contract
	calls    bool       // callQuirks
	lookups  [2][]Quirk // lookupQuirks, not drifted and drifted
}

// Compile checks a world and compiles it.
func Compile(w *worlds.World) (*Catalog, error) {
	reg, err := w.Registry() // validates the world
	if err != nil {
		return nil, err
	}
	c := &Catalog{world: w, reg: reg, tenants: w.TenantNames(), tools: w.ToolNames()}
	names := append(w.ToolNames(), w.Compensators()...)
	c.base = compileView(w, "", names)
	c.views = make([]view, len(c.tenants))
	for i, tenant := range c.tenants {
		c.views[i] = *compileView(w, tenant, names)
		c.views[i].chunks = make([]string, cachedChunks)
		for j := range c.views[i].chunks {
			c.views[i].chunks[j] = tenant + ":chunk-" + strconv.Itoa(j)
		}
	}
	for _, v := range c.allViews() {
		for _, t := range v.tools {
			c.maxLag = max(c.maxLag, t.spec.Lag)
		}
	}
	for _, name := range c.tools {
		// Registry drift models a dedup of one's own breaking for a tenant:
		// a keyed write's key, an upsert. A tool that takes a customer's
		// money keeps its provider's idempotency; and, like every quirk of
		// the world, drift comes only where a lookup by key could find it.
		if s := c.base.tools[name].spec; dedups(s) && s.Lookup && !s.Money {
			c.drift = append(c.drift, name)
		}
	}
	for _, v := range c.allViews() {
		for _, name := range c.drift {
			// where the tenant's own tool deduplicates and answers no
			// lookups, nobody could tell
			if s := v.tools[name].spec; !dedups(s) || s.Lookup {
				v.drift = append(v.drift, name)
				v.drifts = append(v.drifts, Drift{Tenant: v.tenant, Tool: name})
			}
		}
	}
	return c, nil
}

// compileView compiles the tools and compensators named as tenant sees them.
func compileView(w *worlds.World, tenant string, names []string) *view {
	v := &view{tenant: tenant, tools: make(map[string]*tool, len(names))}
	for _, name := range names {
		if s, ok := w.Spec(tenant, name); ok {
			v.tools[name] = &tool{spec: s, truth: s.Truth(), contract: w.Contract(tenant, name), calls: callQuirks(s),
				lookups: [2][]Quirk{lookupQuirks(s, false), lookupQuirks(s, true)}}
		}
	}
	return v
}

// allViews lists the base view and every tenant's.
func (c *Catalog) allViews() []*view {
	vs := []*view{c.base}
	for i := range c.views {
		vs = append(vs, &c.views[i])
	}
	return vs
}

// view returns the world as tenant sees it: the base view for a tenant the
// world does not know.
func (c *Catalog) view(tenant string) *view {
	for i := range c.views {
		if c.views[i].tenant == tenant {
			return &c.views[i]
		}
	}
	return c.base
}

// tool returns the tool or compensator named name as the tenant sees it
// (nil: neither).
func (c *Catalog) tool(tenant, name string) *tool { return c.view(tenant).tools[name] }

var defaultCatalog = sync.OnceValue(func() *Catalog {
	c, err := Compile(worlds.Default())
	if err != nil {
		panic(fmt.Sprintf("the built-in world does not compile: %v", err)) // a test covers it
	}
	return c
})

// Default returns the built-in world, compiled.
func Default() *Catalog { return defaultCatalog() }

// World returns the world the catalog was compiled from.
func (c *Catalog) World() *worlds.World { return c.world }

// Registry returns the world's idempotency registry, tenant overrides
// included, as a team would declare it.
func (c *Catalog) Registry() *registry.Registry { return c.reg }

// Tenants lists the world's tenants, in order.
func (c *Catalog) Tenants() []string { return c.tenants }

// Tools lists the world's tools, in order (compensators are not tools of
// their own: they are their tools' undo actions).
func (c *Catalog) Tools() []string { return c.tools }

// MaxLookupLag is the longest any lookup of the world lags behind the
// effects it reports.
func (c *Catalog) MaxLookupLag() time.Duration { return c.maxLag }

// cachedChunks is how many chunk texts per tenant the catalog keeps.
const cachedChunks = 32

// chunkText is the text of chunk i of a tenant's generation.
func (c *Catalog) chunkText(tenant string, i int) string {
	if texts := c.view(tenant).chunks; i < len(texts) {
		return texts[i]
	}
	return tenant + ":chunk-" + strconv.Itoa(i)
}

// DriftTools lists the tools whose deduplication registry drift breaks for
// tenant: those of [Catalog.Compile]'s rule, but where the tenant's own
// tool deduplicates and answers no lookups, which nobody could tell. The
// list is the catalog's own: read it, do not modify it.
func (c *Catalog) DriftTools(tenant string) []string { return c.view(tenant).drift }

// Drift is the drift of every tool in [Catalog.DriftTools] for a tenant
// the world knows (nil for any other). The list is the catalog's own: read
// it, do not modify it.
func (c *Catalog) Drift(tenant string) []Drift {
	if v := c.view(tenant); v != c.base {
		return v.drifts
	}
	return nil
}

// dedups reports whether a tool deduplicates repeated calls itself.
func dedups(s worlds.Spec) bool {
	return s.Behaviour == worlds.KeyedWrite || s.Behaviour == worlds.Upsert
}

// Spec returns the tool or compensator named name as the tenant sees it.
func (c *Catalog) Spec(tenant, name string) (worlds.Spec, bool) {
	if t := c.tool(tenant, name); t != nil {
		return t.spec, true
	}
	return worlds.Spec{}, false
}

// Contract implements [policy.Contracts]: the tenant's declared contract
// for a tool.
func (c *Catalog) Contract(tenant, name string) policy.Contract {
	if v := c.view(tenant); v != c.base {
		if t := v.tools[name]; t != nil {
			return t.contract
		}
	}
	return c.world.Contract(tenant, name) // a tenant or a name the world does not know
}

// Truth returns what a tool really does for the tenant.
func (c *Catalog) Truth(tenant, name string) Truth {
	if t := c.tool(tenant, name); t != nil {
		return t.truth
	}
	return Truth{}
}

// Description says what a tenant is, as the world describes it.
func (c *Catalog) Description(tenant string) string {
	for _, t := range c.world.Tenants {
		if t.Name == tenant {
			return t.Description
		}
	}
	return ""
}

// DataTenant returns the tenant whose data a value is: every value the
// world makes starts with "<tenant>:". A value that names no tenant of the
// world belongs to nobody in particular ("").
func (c *Catalog) DataTenant(v string) string {
	// A tenant's name has no ':' (worlds.Validate): v is its data when it
	// starts with the name and a ':'. Only that much of v is read.
	for _, t := range c.tenants {
		if len(v) > len(t) && v[len(t)] == ':' && v[:len(t)] == t {
			return t
		}
	}
	return ""
}

var _ policy.Contracts = (*Catalog)(nil)

// The built-in world's catalog, as the functions below give it, for the
// code and tests that know only that world.

// Entries returns the built-in world's registrations of every tool, as a
// team would declare them in its idempotency registry.
func Entries() []registry.Entry {
	c := Default()
	var out []registry.Entry
	for _, name := range append(c.world.ToolNames(), c.world.Compensators()...) {
		e, _ := c.reg.Base(name)
		out = append(out, e)
	}
	return out
}

// TenantEntries returns each built-in tenant's own registration of the
// tools it overrides, by tenant and then by tool.
func TenantEntries() map[string]map[string]registry.Entry {
	c := Default()
	out := map[string]map[string]registry.Entry{}
	for _, tn := range c.world.Tenants {
		out[tn.Name] = map[string]registry.Entry{}
		for _, o := range tn.Overrides {
			e, _ := c.reg.Lookup(o.Name, tn.Name)
			e.TenantOverride = false
			out[tn.Name][o.Name] = e
		}
	}
	return out
}

// Registry returns the built-in world's idempotency registry, tenant
// overrides included.
func Registry() *registry.Registry { return Default().Registry() }

// Contracts answers the built-in tenants' declared contracts; it
// implements [policy.Contracts].
type Contracts struct{}

// Contract implements [policy.Contracts].
func (Contracts) Contract(tenant, tool string) policy.Contract {
	return Default().Contract(tenant, tool)
}

// TenantDescription says what a built-in tenant's publish_report does and
// what it declares.
func TenantDescription(tenant string) string { return Default().Description(tenant) }

// DataTenant is [Catalog.DataTenant] for the built-in world.
func DataTenant(v string) string { return Default().DataTenant(v) }
