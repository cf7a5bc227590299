package registry_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Entries of a small catalog: a read, a keyed write with a compensator, and
// a tool whose behaviour depends on the tenant.
var (
	search = registry.Entry{Tool: "search", Class: registry.Idempotent, Tier: 1, Layer: outcome.Agent}
	insert = registry.Entry{Tool: "insert", Class: registry.NonIdempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true,
		Keys: registry.IdempotencyKey, Lookup: true, Compensator: "delete"}
	publish = registry.Entry{Tool: "publish", Class: registry.Idempotent, Tier: 2, Layer: outcome.Agent, SideEffects: true,
		Keys: registry.IdempotencyKey, Lookup: true, TenantOverride: true}
	// publishPaid is one tenant's publish: a paid call, never deduplicated.
	publishPaid = registry.Entry{Tool: "publish", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true}
)

func setup(t *testing.T) *registry.Registry {
	t.Helper()
	r, err := registry.New(search, insert, publish)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func TestNewRegistersEveryEntry(t *testing.T) {
	t.Parallel()
	r := setup(t)
	if got, want := r.Tools(), []string{"insert", "publish", "search"}; !slices.Equal(got, want) {
		t.Errorf("Tools() = %v, want %v (sorted)", got, want)
	}
	for _, e := range []registry.Entry{search, insert, publish} {
		got, err := r.Base(e.Tool)
		if err != nil || got != e {
			t.Errorf("Base(%q) = %+v, %v; want %+v", e.Tool, got, err, e)
		}
	}
	if got := r.Tenants(); len(got) != 0 {
		t.Errorf("Tenants() = %v before any override", got)
	}
}

func TestRegister(t *testing.T) {
	t.Parallel()
	t.Run("adds a tool", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		email := registry.Entry{Tool: "email", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true}
		if err := r.Register(email); err != nil {
			t.Fatal(err)
		}
		if got, err := r.Lookup("email", "acme"); err != nil || got != email {
			t.Errorf("Lookup after Register = %+v, %v", got, err)
		}
	})
	t.Run("refuses a duplicate", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		dup := search
		dup.Tier = 2
		err := r.Register(dup)
		if err == nil || !strings.Contains(err.Error(), `"search" is registered twice`) {
			t.Fatalf("Register of a duplicate: %v", err)
		}
		if got, _ := r.Base("search"); got != search {
			t.Errorf("a refused duplicate replaced the entry: %+v", got)
		}
	})
	t.Run("refuses an invalid entry", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		if err := r.Register(registry.Entry{Tool: "bad", Class: registry.Idempotent, Tier: 9, Layer: outcome.Agent}); err == nil {
			t.Fatal("Register accepted tier 9")
		}
		if _, err := r.Base("bad"); !errors.Is(err, registry.ErrUnregistered) {
			t.Errorf("a refused entry is registered: %v", err)
		}
	})
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		entries []registry.Entry
		says    string
	}{
		{"a duplicate", []registry.Entry{search, insert, search}, "registered twice"},
		{"an invalid entry", []registry.Entry{search, {Tool: "x"}}, "invalid idempotency class"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r, err := registry.New(c.entries...)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("New: %v, want an error saying %q", err, c.says)
			}
			if r != nil {
				t.Errorf("New returned a registry with its error")
			}
		})
	}
}

func TestUnregistered(t *testing.T) {
	t.Parallel()
	r := setup(t)
	for name, f := range map[string]func() error{
		"Base":   func() error { _, err := r.Base("teleport"); return err },
		"Lookup": func() error { _, err := r.Lookup("teleport", "acme"); return err },
		"Override": func() error {
			return r.Override("acme", registry.Entry{Tool: "teleport", Class: registry.Idempotent, Layer: outcome.Agent})
		},
	} {
		err := f()
		if !errors.Is(err, registry.ErrUnregistered) {
			t.Errorf("%s of an unregistered tool: %v, want ErrUnregistered", name, err)
			continue
		}
		if !strings.Contains(err.Error(), "teleport") {
			t.Errorf("%s: error %q should name the tool", name, err)
		}
	}
}

func TestOverride(t *testing.T) {
	t.Parallel()
	t.Run("is returned for its tenant only", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		if err := r.Override("globex", publishPaid); err != nil {
			t.Fatal(err)
		}
		want := publishPaid
		want.TenantOverride = true // an override keeps the flag
		if got, err := r.Lookup("publish", "globex"); err != nil || got != want {
			t.Errorf("Lookup(publish, globex) = %+v, %v; want %+v", got, err, want)
		}
		for _, tenant := range []string{"acme", "", "GLOBEX"} {
			if got, err := r.Lookup("publish", tenant); err != nil || got != publish {
				t.Errorf("Lookup(publish, %q) = %+v, %v; want the system entry", tenant, got, err)
			}
		}
		if got, _ := r.Base("publish"); got != publish {
			t.Errorf("Base ignores overrides, got %+v", got)
		}
		if got, _ := r.Lookup("search", "globex"); got != search {
			t.Errorf("a tenant with overrides still gets the system entry of other tools, got %+v", got)
		}
		if got := r.Tenants(); !slices.Equal(got, []string{"globex"}) {
			t.Errorf("Tenants() = %v", got)
		}
	})
	t.Run("a second override replaces the first", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		second := publishPaid
		second.Tier = 2
		for _, e := range []registry.Entry{publishPaid, second} {
			if err := r.Override("globex", e); err != nil {
				t.Fatal(err)
			}
		}
		if got, _ := r.Lookup("publish", "globex"); got.Tier != 2 {
			t.Errorf("Lookup after two overrides has tier %d, want 2", got.Tier)
		}
	})
	t.Run("tenants are listed in order", func(t *testing.T) {
		t.Parallel()
		r := setup(t)
		for _, tenant := range []string{"initech", "acme", "globex"} {
			if err := r.Override(tenant, publishPaid); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.Tenants(); !slices.Equal(got, []string{"acme", "globex", "initech"}) {
			t.Errorf("Tenants() = %v", got)
		}
	})

	refusals := []struct {
		name   string
		tenant string
		entry  registry.Entry
		says   string
	}{
		{"a tool without the tenant-override flag", "globex", registry.Entry{Tool: "insert", Class: registry.Idempotent, Tier: 2, Layer: outcome.Agent},
			"not registered with the tenant-override flag"},
		{"an empty tenant", "", publishPaid, "empty tenant"},
		{"an invalid entry", "globex", registry.Entry{Tool: "publish", Class: registry.NonIdempotent, Tier: 4, Layer: outcome.Agent}, "tier 4"},
	}
	for _, c := range refusals {
		t.Run("refuses "+c.name, func(t *testing.T) {
			t.Parallel()
			r := setup(t)
			err := r.Override(c.tenant, c.entry)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Override: %v, want an error saying %q", err, c.says)
			}
			if errors.Is(err, registry.ErrUnregistered) {
				t.Errorf("the tool is registered; the error should not say otherwise: %v", err)
			}
			if got, _ := r.Lookup(c.entry.Tool, c.tenant); got != (map[string]registry.Entry{"insert": insert, "publish": publish})[c.entry.Tool] {
				t.Errorf("a refused override is returned: %+v", got)
			}
			if got := r.Tenants(); len(got) != 0 {
				t.Errorf("a refused override created tenant %v", got)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := registry.Entry{Tool: "t", Class: registry.Idempotent, Tier: 1, Layer: outcome.Agent}
	with := func(f func(*registry.Entry)) registry.Entry { e := ok; f(&e); return e }
	cases := []struct {
		name  string
		entry registry.Entry
		says  string // "" for a valid entry
	}{
		{"a plain read", ok, ""},
		{"an orchestrator tool of tier 0", with(func(e *registry.Entry) { e.Tier, e.Layer = 0, outcome.Orchestrator }), ""},
		{"tier 3", with(func(e *registry.Entry) { e.Tier = 3 }), ""},
		{"the unknown class", with(func(e *registry.Entry) { e.Class = registry.Unknown }), ""},
		{"a lookup by idempotency key", with(func(e *registry.Entry) { e.Keys, e.Lookup = registry.IdempotencyKey, true }), ""},
		{"a lookup by dedup token", with(func(e *registry.Entry) { e.Keys, e.Lookup = registry.DedupToken, true }), ""},
		{"no tool name", with(func(e *registry.Entry) { e.Tool = "" }), "no tool name"},
		{"no class", with(func(e *registry.Entry) { e.Class = 0 }), "invalid idempotency class 0"},
		{"a class past unknown", with(func(e *registry.Entry) { e.Class = registry.Unknown + 1 }), "invalid idempotency class 4"},
		{"a negative tier", with(func(e *registry.Entry) { e.Tier = -1 }), "tier -1 is not 0-3"},
		{"tier 4", with(func(e *registry.Entry) { e.Tier = 4 }), "tier 4 is not 0-3"},
		{"no layer", with(func(e *registry.Entry) { e.Layer = 0 }), "layer must be agent or orchestrator"},
		{"a layer past orchestrator", with(func(e *registry.Entry) { e.Layer = outcome.Orchestrator + 1 }), "layer must be agent or orchestrator"},
		{"a lookup without keys", with(func(e *registry.Entry) { e.Lookup = true }), "a lookup by key needs key support"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.entry.Validate()
			switch {
			case c.says == "" && err != nil:
				t.Errorf("Validate: %v, want valid", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says)):
				t.Errorf("Validate: %v, want an error saying %q", err, c.says)
			case c.says != "" && c.entry.Tool != "" && !strings.Contains(err.Error(), `"t"`):
				t.Errorf("error %q should name the tool", err)
			}
		})
	}
}

func TestHasCompensator(t *testing.T) {
	t.Parallel()
	if !insert.HasCompensator() || search.HasCompensator() {
		t.Errorf("HasCompensator: insert %v, search %v", insert.HasCompensator(), search.HasCompensator())
	}
}

func TestClassNames(t *testing.T) {
	t.Parallel()
	if got := strings.Join(registry.ClassNames, " "); got != "idempotent non-idempotent unknown" {
		t.Errorf("ClassNames = %q", got)
	}
	for _, name := range registry.ClassNames {
		c, err := registry.ParseClass(name)
		if err != nil || c.String() != name {
			t.Errorf("ParseClass(%q) = %v, %v", name, c, err)
		}
	}
	_, err := registry.ParseClass("sometimes")
	if err == nil || !strings.Contains(err.Error(), `"sometimes"`) || !strings.Contains(err.Error(), "(valid: idempotent, non-idempotent, unknown)") {
		t.Errorf("ParseClass of an unknown name: %v", err)
	}
	if got := registry.Class(0).String(); got != "invalid(0)" {
		t.Errorf("Class(0) = %q", got)
	}
	if got := registry.Class(4).String(); got != "invalid(4)" {
		t.Errorf("Class(4) = %q", got)
	}
}

func TestKeysString(t *testing.T) {
	t.Parallel()
	for k, want := range map[registry.Keys]string{registry.NoKeys: "none", registry.IdempotencyKey: "idempotency-key",
		registry.DedupToken: "dedup-token", registry.Keys(7): "invalid(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Keys(%d) = %q, want %q", k, got, want)
		}
	}
}
