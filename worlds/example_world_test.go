package worlds_test

import (
	"fmt"

	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// A world file reads to a World; each tool's spec, as a tenant sees it,
// has every default of its behaviour applied and the tenant's override in.
func ExampleParse() {
	w, err := worlds.Parse("world.yaml", []byte(`
world: v1
name: support-desk
tools:
  search_kb:     {behaviour: read}
  create_ticket: {behaviour: keyed-write, lookup: {lag: 2s}, compensator: close_ticket}
  refund:        {behaviour: keyed-write, money: true, cost_cents: 1500, compensator: reverse_refund}
  sync_crm:      {behaviour: upsert}
  notify_slack:  {behaviour: notification}
tenants:
  acme: {}
  globex:
    overrides: {sync_crm: {behaviour: paid-webhook, cost_cents: 50}}
    contracts: {sync_crm: never-retry}
workflows:
  refund-request: {steps: [search_kb, refund, notify_slack], weight: 3}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tenant := range w.TenantNames() {
		for _, tool := range append(w.ToolNames(), w.Compensators()...) {
			s, _ := w.Spec(tenant, tool)
			fmt.Printf("%-6s %-14s %-14s tier %d, keys %s, lookup %v (lag %s), cost %d, contract: %s\n",
				tenant, tool, s.Class, s.Tier, s.Keys, s.Lookup, s.Lag, s.Cost.Of(""), w.Contract(tenant, tool))
		}
	}
	// Output:
	// acme   search_kb      idempotent     tier 1, keys none, lookup false (lag 0s), cost 0, contract: none
	// acme   create_ticket  non-idempotent tier 2, keys idempotency-key, lookup true (lag 2s), cost 0, contract: none
	// acme   refund         non-idempotent tier 3, keys idempotency-key, lookup true (lag 0s), cost 1500, contract: none
	// acme   sync_crm       idempotent     tier 2, keys idempotency-key, lookup true (lag 0s), cost 0, contract: none
	// acme   notify_slack   non-idempotent tier 3, keys none, lookup false (lag 0s), cost 0, contract: none
	// acme   close_ticket   idempotent     tier 2, keys idempotency-key, lookup false (lag 0s), cost 0, contract: none
	// acme   reverse_refund idempotent     tier 3, keys idempotency-key, lookup false (lag 0s), cost 0, contract: none
	// globex search_kb      idempotent     tier 1, keys none, lookup false (lag 0s), cost 0, contract: none
	// globex create_ticket  non-idempotent tier 2, keys idempotency-key, lookup true (lag 2s), cost 0, contract: none
	// globex refund         non-idempotent tier 3, keys idempotency-key, lookup true (lag 0s), cost 1500, contract: none
	// globex sync_crm       non-idempotent tier 3, keys none, lookup false (lag 0s), cost 50, contract: never retry automatically
	// globex notify_slack   non-idempotent tier 3, keys none, lookup false (lag 0s), cost 0, contract: none
	// globex close_ticket   idempotent     tier 2, keys idempotency-key, lookup false (lag 0s), cost 0, contract: none
	// globex reverse_refund idempotent     tier 3, keys idempotency-key, lookup false (lag 0s), cost 0, contract: none
}

// A world file with a mistake in it is refused whole, with the line and the key.
func ExampleParse_refused() {
	_, err := worlds.Parse("world.yaml", []byte(`world: v1
name: support-desk
tools:
  notify_slack: {behaviour: notification, compensator: unsend}
tenants:
  acme: {}
`))
	fmt.Println(err)
	// Output:
	// world.yaml:4: tools.notify_slack.compensator: a notification cannot be undone: a sent message stays sent
}

// A world built in Go is checked as a file is; the error names the key a
// file would have.
func ExampleWorld_Validate() {
	w := &worlds.World{
		Name: "ours",
		Tools: []worlds.Tool{
			{Name: "search", Behaviour: worlds.Read},
			{Name: "log_event", Behaviour: worlds.Write, Class: registry.Idempotent},
		},
		Tenants: []worlds.Tenant{{Name: "acme"}},
	}
	fmt.Println(w.Validate())
	w.Tools[1].Behaviour = worlds.Upsert
	fmt.Println(w.Validate())
	// Output:
	// tools.log_event.class: idempotent would be a false claim: a write applies its effect again when repeated; a class may be more cautious than the behaviour, never less (an idempotent write is behaviour upsert)
	// <nil>
}

// The built-in world: ten tools, two compensators, three
// tenants, the seven workflows of the seven mistakes and ticket-triage.
func ExampleDefault() {
	w := worlds.Default()
	fmt.Println(w.Name, w.ToolNames())
	fmt.Println(w.Compensators(), w.TenantNames())
	for _, wf := range w.Workflows {
		fmt.Println(wf.Name, wf.Steps)
	}
	// Output:
	// default [vector_search llm_complete summarize plan enrich_contact insert_record create_charge send_email publish_report signal_downstream]
	// [delete_record refund_charge] [acme globex initech]
	// support-email [vector_search llm_complete send_email]
	// streaming-summary [vector_search llm_complete signal_downstream]
	// research-scratchpad [vector_search llm_complete insert_record llm_complete]
	// invoice-billing [insert_record create_charge send_email]
	// enrichment-plan [plan enrich_contact enrich_contact insert_record]
	// publish-report [llm_complete publish_report]
	// audit [insert_record create_charge publish_report signal_downstream]
	// ticket-triage [vector_search summarize insert_record]
}

// An MCP server's tools/list answer becomes a starting world file; each
// tool's behaviour, class and tier come from its annotations, and a hint
// left out stays unknown.
func ExampleImportMCP() {
	file, err := worlds.ImportMCP([]byte(`{"jsonrpc": "2.0", "id": 1, "result": {"tools": [
	  {"name": "search_docs", "annotations": {"readOnlyHint": true}},
	  {"name": "label_issue", "annotations": {"idempotentHint": true, "destructiveHint": false}},
	  {"name": "create_issue", "annotations": {"readOnlyHint": false, "idempotentHint": false, "openWorldHint": false}},
	  {"name": "run_query"}
	]}}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	w, err := worlds.Parse("imported.yaml", file)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, tool := range w.ToolNames() {
		s, _ := w.Spec("", tool)
		fmt.Printf("%-12s %-11s %-14s tier %d\n", tool, s.Behaviour, s.Class, s.Tier)
	}
	// Output:
	// search_docs  read        idempotent     tier 1
	// label_issue  upsert      idempotent     tier 2
	// create_issue write       non-idempotent tier 3
	// run_query    third-party unknown        tier 3
}
