// Package registry is Layer 2 of the recovery architecture: the idempotency
// registry.
//
// Every tool an agent may call is registered before it can be invoked, with
// its idempotency class (idempotent, non-idempotent, unknown), its retry tier
// (1 read-only or safe, 2 write or stateful, 3 irreversible, financial or a
// notification), its compensating action, whether it accepts idempotency keys
// or dedup tokens, whether it answers a lookup by key ("did operation K
// happen, and with what result?"), and whether its behaviour depends on the
// tenant (the tenant-override flag).
//
// The registry is not documentation: the engine queries it at run time,
// before every invocation and every retry decision, and refuses to invoke a
// tool that is not registered ([ErrUnregistered]). A tool with the
// tenant-override flag may carry per-tenant entries ([Registry.Override]);
// [Registry.Lookup] returns the tenant's entry where one exists.
package registry
