package fakes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	specs   map[[2]string]worlds.Spec // (tenant, tool); tenant "" for the tool as described
	tenants []string
	tools   []string
	drift   []string
	maxLag  time.Duration
	// chunks holds the text of each tenant's first streamed chunks, which
	// every run of the world streams again ("acme:chunk-0", ...).
	chunks map[string][]string
}

// Compile checks a world and compiles it.
func Compile(w *worlds.World) (*Catalog, error) {
	reg, err := w.Registry() // validates the world
	if err != nil {
		return nil, err
	}
	c := &Catalog{world: w, reg: reg, specs: map[[2]string]worlds.Spec{}, tenants: w.TenantNames(), tools: w.ToolNames()}
	names := append(w.ToolNames(), w.Compensators()...)
	for _, tenant := range append([]string{""}, c.tenants...) {
		for _, name := range names {
			if s, ok := w.Spec(tenant, name); ok {
				c.specs[[2]string{tenant, name}] = s
			}
		}
	}
	for _, s := range c.specs {
		c.maxLag = max(c.maxLag, s.Lag)
	}
	c.chunks = make(map[string][]string, len(c.tenants))
	for _, tenant := range c.tenants {
		texts := make([]string, cachedChunks)
		for i := range texts {
			texts[i] = tenant + ":chunk-" + strconv.Itoa(i)
		}
		c.chunks[tenant] = texts
	}
	for _, tool := range c.tools {
		// Registry drift models a dedup of one's own breaking for a tenant:
		// a keyed write's key, an upsert. A tool that takes a customer's
		// money keeps its provider's idempotency; and, like every quirk of
		// the world, drift comes only where a lookup by key could find it.
		if s := c.specs[[2]string{"", tool}]; dedups(s) && s.Lookup && !s.Money {
			c.drift = append(c.drift, tool)
		}
	}
	return c, nil
}

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
	if texts := c.chunks[tenant]; i < len(texts) {
		return texts[i]
	}
	return tenant + ":chunk-" + strconv.Itoa(i)
}

// DriftTools lists the tools whose deduplication registry drift breaks for
// tenant: those of [Catalog.Compile]'s rule, but where the tenant's own
// tool deduplicates and answers no lookups, which nobody could tell.
func (c *Catalog) DriftTools(tenant string) []string {
	var out []string
	for _, tool := range c.drift {
		if s, _ := c.Spec(tenant, tool); !dedups(s) || s.Lookup {
			out = append(out, tool)
		}
	}
	return out
}

// dedups reports whether a tool deduplicates repeated calls itself.
func dedups(s worlds.Spec) bool {
	return s.Behaviour == worlds.KeyedWrite || s.Behaviour == worlds.Upsert
}

// Spec returns the tool or compensator named name as the tenant sees it.
func (c *Catalog) Spec(tenant, name string) (worlds.Spec, bool) {
	if s, ok := c.specs[[2]string{tenant, name}]; ok {
		return s, true
	}
	s, ok := c.specs[[2]string{"", name}]
	return s, ok
}

// Contract implements [policy.Contracts]: the tenant's declared contract
// for a tool.
func (c *Catalog) Contract(tenant, tool string) policy.Contract {
	return c.world.Contract(tenant, tool)
}

// Truth returns what a tool really does for the tenant.
func (c *Catalog) Truth(tenant, tool string) Truth {
	s, ok := c.Spec(tenant, tool)
	if !ok {
		return Truth{}
	}
	return s.Truth()
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
	t, _, ok := strings.Cut(v, ":")
	if !ok || !slices.Contains(c.tenants, t) {
		return ""
	}
	return t
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
