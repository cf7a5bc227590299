package scenarios

import (
	"github.com/chaosrun/chaosrun/fakes"
)

// The workflows of the seven mistakes, and one that summarizes without
// streaming.
var (
	SupportEmail       = Workflow{Name: "support-email", Tools: []string{fakes.VectorSearch, fakes.LLMComplete, fakes.SendEmail}}
	StreamingSummary   = Workflow{Name: "streaming-summary", Tools: []string{fakes.VectorSearch, fakes.LLMComplete, fakes.SignalDownstream}}
	ResearchScratchpad = Workflow{Name: "research-scratchpad", Tools: []string{fakes.VectorSearch, fakes.LLMComplete, fakes.InsertRecord, fakes.LLMComplete}}
	InvoiceBilling     = Workflow{Name: "invoice-billing", Tools: []string{fakes.InsertRecord, fakes.CreateCharge, fakes.SendEmail}}
	EnrichmentPlan     = Workflow{Name: "enrichment-plan", Tools: []string{fakes.Plan, fakes.EnrichContact, fakes.EnrichContact, fakes.InsertRecord}, Planned: true}
	PublishReport      = Workflow{Name: "publish-report", Tools: []string{fakes.LLMComplete, fakes.PublishReport}}
	Audit              = Workflow{Name: "audit", Tools: []string{fakes.InsertRecord, fakes.CreateCharge, fakes.PublishReport, fakes.SignalDownstream}}
	TicketTriage       = Workflow{Name: "ticket-triage", Tools: []string{fakes.VectorSearch, fakes.Summarize, fakes.InsertRecord}}
)

// Catalog lists the built-in world's workflows: the seven in the order of
// the mistakes they illustrate (#1 to #7), then ticket-triage.
func Catalog() []Workflow {
	return []Workflow{SupportEmail, StreamingSummary, ResearchScratchpad, InvoiceBilling, EnrichmentPlan, PublishReport, Audit, TicketTriage}
}

// Lookup returns a catalog workflow by name.
func Lookup(name string) (Workflow, error) { return Default().Lookup(name) }
