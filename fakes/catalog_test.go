package fakes_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg := fakes.Registry() // panics on a bad catalog
	for _, tool := range fakes.StepTools {
		if _, err := reg.Base(tool); err != nil {
			t.Errorf("step tool %s: %v", tool, err)
		}
	}
	for _, e := range fakes.Entries() {
		if e.HasCompensator() {
			if _, err := reg.Base(e.Compensator); err != nil {
				t.Errorf("%s's compensator: %v", e.Tool, err)
			}
		}
	}
	if got := reg.Tenants(); !slices.Equal(got, fakes.TenantNames) {
		t.Errorf("tenants with overrides %v, want %v", got, fakes.TenantNames)
	}
	base, _ := reg.Base(fakes.PublishReport)
	if !base.TenantOverride {
		t.Error("publish_report is registered without the tenant-override flag")
	}
	for tenant, tools := range fakes.TenantEntries() {
		for tool, want := range tools {
			got, err := reg.Lookup(tool, tenant)
			want.TenantOverride = true
			if err != nil || got != want {
				t.Errorf("Lookup(%s, %s) = %+v, %v; want %+v", tool, tenant, got, err, want)
			}
		}
	}
	// globex's own vector_search is a billed third-party call, and no
	// contract says so: only the tenant's entry tells an engine.
	search, _ := reg.Lookup(fakes.VectorSearch, fakes.Globex)
	if search.Class != registry.Unknown || !search.SideEffects || fakes.Default().Contract(fakes.Globex, fakes.VectorSearch) != (policy.Contract{}) {
		t.Errorf("globex's vector_search: %+v", search)
	}
	if got, _ := reg.Lookup(fakes.PublishReport, "umbrella"); got != base {
		t.Errorf("a tenant without an override gets %+v", got)
	}
	globex, _ := reg.Lookup(fakes.PublishReport, fakes.Globex)
	if globex.Class != registry.NonIdempotent || globex.Tier != 3 || globex.Lookup {
		t.Errorf("globex's publish_report: %+v", globex)
	}
	if _, err := reg.Lookup("teleport", fakes.Acme); !errors.Is(err, registry.ErrUnregistered) {
		t.Errorf("an unknown tool: %v", err)
	}
}

// TestRegistryMatchesTheWorld holds every registration to what the tool
// really does: a tool registered with a lookup answers lookups, and so on.
func TestRegistryMatchesTheWorld(t *testing.T) {
	t.Parallel()
	reg := fakes.Registry()
	facts := fakes.NewLedger(nil).Facts()
	for _, tenant := range fakes.TenantNames {
		for _, tool := range reg.Tools() {
			e, err := reg.Lookup(tool, tenant)
			if err != nil {
				t.Fatal(err)
			}
			truth := facts.Truth(tenant, tool)
			if e.Lookup != truth.Lookup || e.SideEffects != truth.SideEffects || e.Streaming != truth.Streaming {
				t.Errorf("%s for %s: registered %+v, truth %+v", tool, tenant, e, truth)
			}
			if e.Class == registry.Idempotent && e.SideEffects && !truth.Idempotent {
				t.Errorf("%s for %s is registered idempotent and is not", tool, tenant)
			}
		}
	}
}

func TestContracts(t *testing.T) {
	t.Parallel()
	var c policy.Contracts = fakes.Contracts{}
	cases := []struct {
		tenant, tool string
		want         policy.Contract
	}{
		{fakes.Acme, fakes.PublishReport, policy.Contract{}},
		{fakes.Globex, fakes.PublishReport, policy.Contract{NeverRetry: true}},
		{fakes.Initech, fakes.PublishReport, policy.Contract{AtMostOnce: true, KeyRequired: true}},
		{fakes.Globex, fakes.CreateCharge, policy.Contract{}},
		{fakes.Initech, fakes.InsertRecord, policy.Contract{}},
		{"umbrella", fakes.PublishReport, policy.Contract{}},
	}
	facts := fakes.NewLedger(nil).Facts()
	for _, cs := range cases {
		if got := c.Contract(cs.tenant, cs.tool); got != cs.want {
			t.Errorf("Contract(%s, %s) = %q, want %q", cs.tenant, cs.tool, got, cs.want)
		}
		if got := facts.Contract(cs.tenant, cs.tool); got != cs.want {
			t.Errorf("Facts.Contract(%s, %s) = %q, want %q", cs.tenant, cs.tool, got, cs.want)
		}
	}
	for _, tenant := range fakes.TenantNames {
		if fakes.TenantDescription(tenant) == "" {
			t.Errorf("%s has no description", tenant)
		}
	}
	if fakes.TenantDescription("umbrella") != "" {
		t.Error("an unknown tenant has a description")
	}
}

// TestOnlyChargesTakeMoney: create_charge is the one tool that takes money
// from a customer; enrich_contact and globex's webhook cost money per call
// and take none.
func TestOnlyChargesTakeMoney(t *testing.T) {
	t.Parallel()
	facts := fakes.NewLedger(nil).Facts()
	for _, tenant := range fakes.TenantNames {
		for _, tool := range fakes.Registry().Tools() {
			if got, want := facts.Money(tenant, tool), tool == fakes.CreateCharge; got != want {
				t.Errorf("Money(%s, %s) = %t, want %t", tenant, tool, got, want)
			}
		}
	}
}

// TestDrift holds Catalog.Drift to DriftTools: the same tools, of the
// tenant, and none for a tenant the world does not know.
func TestDrift(t *testing.T) {
	t.Parallel()
	cat := fakes.Default()
	for _, tenant := range cat.Tenants() {
		var tools []string
		for _, d := range cat.Drift(tenant) {
			if d.Tenant != tenant {
				t.Errorf("%s's drift names %s", tenant, d.Tenant)
			}
			tools = append(tools, d.Tool)
		}
		if want := cat.DriftTools(tenant); !slices.Equal(tools, want) {
			t.Errorf("%s: Drift's tools %v, DriftTools %v", tenant, tools, want)
		}
	}
	if d := cat.Drift("umbrella"); d != nil {
		t.Errorf("an unknown tenant's drift: %v", d)
	}
	if got := cat.DriftTools(fakes.Acme); !slices.Equal(got, []string{fakes.InsertRecord, fakes.PublishReport}) {
		t.Errorf("acme's drift tools: %v", got)
	}
}

// TestDataTenant holds DataTenant to its rule: the tenant named before a
// value's first ':', where the world has that tenant.
func TestDataTenant(t *testing.T) {
	t.Parallel()
	for v, want := range map[string]string{
		"acme:x": fakes.Acme, "globex:": fakes.Globex, "initech:acme:x": fakes.Initech,
		"acme": "", "acmex:y": "", "acm:y": "", "umbrella:x": "", ":x": "", "": "", "x acme:y": "",
	} {
		if got := fakes.DataTenant(v); got != want {
			t.Errorf("DataTenant(%q) = %q, want %q", v, got, want)
		}
	}
}
