package fakes

import (
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Tool names. They are part of chaosrun's contract.
const (
	VectorSearch     = "vector_search"
	LLMComplete      = "llm_complete"
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

// Tenant names. They are part of chaosrun's contract.
const (
	Acme    = "acme"
	Globex  = "globex"
	Initech = "initech"
)

// TenantNames lists the tenants in order.
var TenantNames = []string{Acme, Globex, Initech}

// StepTools lists the tools a workflow step may call (compensators are not steps).
var StepTools = []string{VectorSearch, LLMComplete, Plan, EnrichContact, InsertRecord, CreateCharge, SendEmail, PublishReport, SignalDownstream}

// Entries returns the registrations of every tool, as a team would declare
// them in its idempotency registry.
func Entries() []registry.Entry {
	agent := outcome.Agent
	return []registry.Entry{
		{Tool: VectorSearch, Class: registry.Idempotent, Tier: 1, Layer: agent},
		{Tool: LLMComplete, Class: registry.NonIdempotent, Tier: 1, Layer: agent, SideEffects: true, Keys: registry.DedupToken, Lookup: true, Streaming: true},
		{Tool: Plan, Class: registry.Idempotent, Tier: 0, Layer: outcome.Orchestrator},
		{Tool: EnrichContact, Class: registry.Unknown, Tier: 2, Layer: agent, SideEffects: true},
		{Tool: InsertRecord, Class: registry.NonIdempotent, Tier: 2, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true, Compensator: DeleteRecord},
		{Tool: DeleteRecord, Class: registry.Idempotent, Tier: 2, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey},
		{Tool: CreateCharge, Class: registry.NonIdempotent, Tier: 3, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true, Compensator: RefundCharge},
		{Tool: RefundCharge, Class: registry.Idempotent, Tier: 3, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey},
		{Tool: SendEmail, Class: registry.NonIdempotent, Tier: 3, Layer: agent, SideEffects: true},
		// The system entry describes the common case (an upsert); tenants override it.
		{Tool: PublishReport, Class: registry.Idempotent, Tier: 2, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true, TenantOverride: true},
		{Tool: SignalDownstream, Class: registry.NonIdempotent, Tier: 2, Layer: agent, SideEffects: true, Signals: true},
	}
}

// TenantEntries returns each tenant's own registration of the tools whose
// behaviour depends on the tenant.
func TenantEntries() map[string]registry.Entry {
	agent := outcome.Agent
	return map[string]registry.Entry{
		Acme:    {Tool: PublishReport, Class: registry.Idempotent, Tier: 2, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true},
		Globex:  {Tool: PublishReport, Class: registry.NonIdempotent, Tier: 3, Layer: agent, SideEffects: true},
		Initech: {Tool: PublishReport, Class: registry.NonIdempotent, Tier: 2, Layer: agent, SideEffects: true, Keys: registry.IdempotencyKey, Lookup: true, Signals: true},
	}
}

// Registry returns the idempotency registry of the fake world, tenant
// overrides included.
func Registry() *registry.Registry {
	r, err := registry.New(Entries()...)
	if err != nil {
		panic(err) // the catalog above is static; a test covers it
	}
	for tenant, e := range TenantEntries() {
		if err := r.Override(tenant, e); err != nil {
			panic(err)
		}
	}
	return r
}

// Contracts answers the tenants' declared contracts; it implements [policy.Contracts].
type Contracts struct{}

// Contract implements [policy.Contracts].
func (Contracts) Contract(tenant, tool string) policy.Contract { return contractOf(tenant, tool) }

func contractOf(tenant, tool string) policy.Contract {
	if tool != PublishReport {
		return policy.Contract{}
	}
	switch tenant {
	case Globex:
		return policy.Contract{NeverRetry: true}
	case Initech:
		return policy.Contract{AtMostOnce: true, KeyRequired: true}
	}
	return policy.Contract{}
}

// TenantDescription says what a tenant's publish_report does and what it declares.
func TenantDescription(tenant string) string {
	switch tenant {
	case Acme:
		return "publish_report upserts into a warehouse; retry is safe"
	case Globex:
		return "publish_report calls a paid compliance webhook, charged per call; contract: never retry automatically"
	case Initech:
		return "publish_report triggers a downstream pipeline with no dedup; contract: at most once, idempotency key required"
	}
	return ""
}

func truthOf(tenant, tool string) Truth {
	switch tool {
	case VectorSearch, Plan:
		return Truth{Idempotent: true}
	case LLMComplete:
		return Truth{SideEffects: true, Lookup: true, Streaming: true}
	case InsertRecord:
		return Truth{SideEffects: true, Lookup: true}
	case CreateCharge:
		return Truth{SideEffects: true, Lookup: true, Money: true}
	case DeleteRecord, RefundCharge:
		return Truth{SideEffects: true, Idempotent: true}
	case PublishReport:
		switch tenant {
		case Globex:
			return Truth{SideEffects: true}
		case Initech:
			return Truth{SideEffects: true, Lookup: true}
		}
		return Truth{SideEffects: true, Idempotent: true, Lookup: true}
	}
	return Truth{SideEffects: true} // enrich_contact, send_email, signal_downstream
}
