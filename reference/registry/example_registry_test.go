package registry_test

import (
	"errors"
	"fmt"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// A tool registered with the tenant-override flag carries per-tenant
// entries: Lookup returns the tenant's own, and the system entry to every
// other tenant.
func ExampleRegistry_Lookup() {
	reg, err := registry.New(registry.Entry{
		Tool: "publish_report", Class: registry.Idempotent, Tier: 2, Layer: outcome.Agent,
		SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true, TenantOverride: true,
	})
	if err != nil {
		panic(err)
	}
	// globex's publish_report calls a paid webhook: not idempotent, tier 3.
	err = reg.Override("globex", registry.Entry{
		Tool: "publish_report", Class: registry.NonIdempotent, Tier: 3, Layer: outcome.Agent, SideEffects: true,
	})
	if err != nil {
		panic(err)
	}
	for _, tenant := range []string{"acme", "globex"} {
		e, _ := reg.Lookup("publish_report", tenant)
		fmt.Printf("%s: %s, tier %d, keys %s\n", tenant, e.Class, e.Tier, e.Keys)
	}
	_, err = reg.Lookup("send_fax", "acme")
	fmt.Println(errors.Is(err, registry.ErrUnregistered), err)
	// Output:
	// acme: idempotent, tier 2, keys idempotency-key
	// globex: non-idempotent, tier 3, keys none
	// true "send_fax": tool is not registered
}
