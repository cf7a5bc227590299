package worlds

import (
	"fmt"
	"slices"

	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// This file derives from a World what the rest of chaosrun reads: the
// registry, the specs and truths of tools per tenant, the contracts, and the
// names. Each method reads a World that [World.Validate] accepts; on any
// other it answers what it can and never panics.

var _ policy.Contracts = (*World)(nil)

// ToolNames lists the tools a workflow step may call, in order
// (compensators are not among them).
func (w *World) ToolNames() []string {
	names := make([]string, len(w.Tools))
	for i, t := range w.Tools {
		names[i] = t.Name
	}
	return names
}

// TenantNames lists the tenants in order.
func (w *World) TenantNames() []string {
	names := make([]string, len(w.Tenants))
	for i, t := range w.Tenants {
		names[i] = t.Name
	}
	return names
}

// GeneratedTools lists the tools generated workflows draw from, in order.
func (w *World) GeneratedTools() []string {
	if len(w.Generated.Tools) == 0 {
		return w.ToolNames()
	}
	return slices.Clone(w.Generated.Tools)
}

// Contract returns the tenant's declared contract for a tool (the zero
// Contract where it declares none). It implements [policy.Contracts].
func (w *World) Contract(tenant, tool string) policy.Contract {
	if t := w.tenant(tenant); t != nil {
		return t.Contracts[tool]
	}
	return policy.Contract{}
}

// Spec returns the tool, or the compensator, named name as the tenant sees
// it; a tenant the world does not know sees every tool as described in
// Tools. It reports false for a name that is neither.
func (w *World) Spec(tenant, name string) (Spec, bool) {
	if t := w.tool(name); t != nil {
		s := spec(w.described(tenant, name))
		s.Overridden = w.overridden(name)
		return s, true
	}
	c, ok := w.undoSpec(tenant, name)
	c.Overridden = ok && w.undoOverridden(name)
	return c, ok
}

// Truth returns what a tool or compensator really does for the tenant (the
// zero Truth for a name that is neither).
func (w *World) Truth(tenant, name string) Truth {
	s, ok := w.Spec(tenant, name)
	if !ok {
		return Truth{}
	}
	return s.Truth()
}

// Compensators lists the names of the tools' undo actions, in order: the
// tools' own, then those only tenants' overrides name.
func (w *World) Compensators() []string {
	var names []string
	add := func(t Tool) {
		if t.Compensator != "" && !slices.Contains(names, t.Compensator) {
			names = append(names, t.Compensator)
		}
	}
	for _, t := range w.Tools {
		add(t)
	}
	for _, tn := range w.Tenants {
		for _, o := range tn.Overrides {
			if t := w.tool(o.Name); t != nil {
				add(overlay(*t, o))
			}
		}
	}
	return names
}

// Registry returns the world's idempotency registry: every tool and
// compensator, and each tenant's own entries for the tools it overrides.
// It returns [World.Validate]'s error for a world that is not valid.
func (w *World) Registry() (*registry.Registry, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	var entries []registry.Entry
	for _, name := range append(w.ToolNames(), w.Compensators()...) {
		s, _ := w.Spec("", name)
		entries = append(entries, s.Entry())
	}
	reg, err := registry.New(entries...)
	if err != nil {
		return nil, fmt.Errorf("world %s: %w", w.Name, err)
	}
	for _, tn := range w.Tenants {
		for _, name := range w.tenantNames(tn) {
			s, _ := w.Spec(tn.Name, name)
			if err := reg.Override(tn.Name, s.Entry()); err != nil {
				return nil, fmt.Errorf("world %s, tenant %s: %w", w.Name, tn.Name, err)
			}
		}
	}
	return reg, nil
}

// tenantNames lists the tools and compensators the tenant has entries of
// its own for: the tools it overrides, and the compensators whose entry
// those overrides change.
func (w *World) tenantNames(tn Tenant) []string {
	var names []string
	for _, o := range tn.Overrides {
		names = append(names, o.Name)
	}
	for _, c := range w.Compensators() {
		mine, _ := w.undoSpec(tn.Name, c)
		base, _ := w.undoSpec("", c)
		if mine != base {
			names = append(names, c)
		}
	}
	return names
}

// undoSpec returns the spec of the compensator name for the tenant: the
// undo of its tool as the tenant sees it, where that names this
// compensator; otherwise as the tool in Tools does, or else the first
// tenant whose override names it.
func (w *World) undoSpec(tenant, name string) (Spec, bool) {
	t := w.owner(name)
	if t == nil {
		return Spec{}, false
	}
	for _, tn := range append([]string{tenant, ""}, w.TenantNames()...) {
		if d := w.described(tn, t.Name); d.Compensator == name {
			return undo(spec(d)), true
		}
	}
	return Spec{}, false
}

// undoOverridden reports whether some tenant sees the compensator
// otherwise than the tools as described make it.
func (w *World) undoOverridden(name string) bool {
	base, _ := w.undoSpec("", name)
	for _, tn := range w.Tenants {
		if s, _ := w.undoSpec(tn.Name, name); s != base {
			return true
		}
	}
	return false
}

// owner returns the tool whose undo action name is, in Tools or in an
// override (nil: none's).
func (w *World) owner(name string) *Tool {
	if name == "" {
		return nil
	}
	for i, t := range w.Tools {
		if t.Compensator == name {
			return &w.Tools[i]
		}
	}
	for _, tn := range w.Tenants {
		for _, o := range tn.Overrides {
			if t := w.tool(o.Name); t != nil && overlay(*t, o).Compensator == name {
				return t
			}
		}
	}
	return nil
}

// described returns the tool as the tenant sees it: with the tenant's
// override, if any, laid over it.
func (w *World) described(tenant, tool string) Tool {
	t := *w.tool(tool)
	if o := w.override(tenant, tool); o != nil {
		return overlay(t, *o)
	}
	return t
}

func (w *World) tool(name string) *Tool {
	for i := range w.Tools {
		if w.Tools[i].Name == name {
			return &w.Tools[i]
		}
	}
	return nil
}

func (w *World) tenant(name string) *Tenant {
	for i := range w.Tenants {
		if w.Tenants[i].Name == name {
			return &w.Tenants[i]
		}
	}
	return nil
}

func (w *World) override(tenant, tool string) *Tool {
	if t := w.tenant(tenant); t != nil {
		for i := range t.Overrides {
			if t.Overrides[i].Name == tool {
				return &t.Overrides[i]
			}
		}
	}
	return nil
}

// overridden reports whether some tenant overrides the tool.
func (w *World) overridden(tool string) bool {
	for _, t := range w.Tenants {
		if w.override(t.Name, tool) != nil {
			return true
		}
	}
	return false
}
