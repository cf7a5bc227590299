// Package worlds describes the world a policy is judged in — the team's
// tools, tenants and workflows — as a world file (YAML, format v1) or as Go
// values, and derives from it what the rest of chaosrun reads: the
// idempotency registry, each tool's spec and ground truth per tenant, the
// tenants' contracts, the names. [Default] is chaosrun's built-in world,
// the file default.yaml in this package, embedded. README.md in this
// directory is the user's guide; this comment is the reference.
//
// # A world file
//
//	world: v1
//	name: support-desk
//	tools:
//	  search_kb:     {behaviour: read}
//	  draft_reply:   {behaviour: model, stream: true}
//	  create_ticket: {behaviour: keyed-write, lookup: {lag: 2s}, compensator: close_ticket}
//	  refund:        {behaviour: keyed-write, money: true, cost_cents: 1500, compensator: reverse_refund}
//	  sync_crm:      {behaviour: upsert}
//	  notify_slack:  {behaviour: notification}
//	  trigger_etl:   {behaviour: trigger, keys: idempotency-key}
//	tenants:
//	  acme: {}
//	  globex:
//	    overrides: {sync_crm: {behaviour: paid-webhook, cost_cents: 50}}
//	    contracts: {sync_crm: never-retry}
//	  initech:
//	    contracts: {trigger_etl: [at-most-once, key-required]}
//	workflows:
//	  refund-request: {steps: [search_kb, draft_reply, refund, notify_slack], weight: 3}
//
// [Parse] and [Load] read one into a [World]; a team may as well build the
// World in Go and check it with [World.Validate]. Both are strict, as the
// policy loader is, because a world with a typo in it tests someone else's
// pipeline: an unknown key, a duplicate key, a value of the wrong type or
// out of range, a workflow step that is no tool, a compensator on a
// behaviour that cannot be undone, a compensator key without a name, a
// setting the behaviour does not have (keys on a read, a rate limit on a
// write, a class idempotent on a tool that applies its effect again), a
// contract or an override of an unknown tool, a key-required contract on a
// tool that takes no key for that tenant: each is refused with an *[Error],
// "file:line: key: message" (a Go-built World's has the key and no line),
// and no World is returned. The reader walks go.yaml.in/yaml/v3's node
// tree, as policies does, so that every refusal has its line.
//
// # Keys
//
// Top level: world (required, "v1"), name (required), description, tools
// (required, a mapping of tool names), tenants (required, a mapping of
// tenant names), workflows (a mapping of workflow names), generated.
//
// A tool: behaviour (required), description, class (idempotent |
// non-idempotent | unknown), tier (1-3), keys (none | idempotency-key |
// dedup-token), lookup (true | false | {lag: DURATION}), compensator
// (NAME), cost_cents (N | {min: N, max: N}), money (true | false), stream
// (true | false), tokens ({prompt: N, chunk: N, chunks: N | {min, max}}),
// rate_limit ({calls: N, window: DURATION, retry_after: DURATION}).
//
// A tenant: description, contracts (a mapping of tool names to one of, or a
// list of, never-retry | at-most-once | key-required), overrides (a mapping
// of tool names to a tool's keys, behaviour optional).
//
// A workflow: steps (required, 1 to 32 tool names), weight (1-1000,
// default 1), description. generated: tools (a list of tool names).
//
// Names: a tool's or a compensator's is 1 to 128 letters, digits, '_', '.'
// or '-' (what MCP allows); a world's, a tenant's or a workflow's is a
// policy name's spelling. A compensator is no tool: it is the tool's own
// undo action, registered under its name, never a workflow step.
//
// # Behaviours and their defaults
//
// A tool is built from a [Behaviour]: what the fake world does when it is
// called, and so its ground truth ([Truth]). Every other key defaults from
// the behaviour; a key may be set where the behaviour allows it, to a value
// no less cautious than the truth (a class may say unknown where the
// behaviour is idempotent, never the reverse):
//
//	behaviour       truth: applied        class           tier  keys                      compensator  cost, money
//	read            never                 idempotent      1     none, fixed               no           no
//	model           never (tokens only)   idempotent      1     none, fixed               no           no: tokens
//	  stream: true  chunks, downstream    non-idempotent  1     dedup-token, or none      no           no: tokens
//	planner         never (tokens only)   idempotent      -     none, fixed               no           no: tokens
//	keyed-write     once per key          non-idempotent  2     idempotency-key, fixed    yes          yes
//	upsert          once (idempotent)     idempotent      2     idempotency-key, or none  yes          yes
//	write           every call            non-idempotent  2     none, or idempotency-key  yes          yes
//	notification    every call            non-idempotent  3     none, or idempotency-key  no           yes
//	paid-webhook    every call, charged   non-idempotent  3     none, fixed               no           cost required
//	trigger         every call, a signal  non-idempotent  2     none, or idempotency-key  no           yes
//	third-party     every call, limited   unknown         2     none, fixed               no           yes
//
// "Truth: applied" is how often a repeated call applies its effect; keys
// gives the default, then what else may be set ("fixed": nothing). A
// planner returns an invalid plan for an ambiguous request, every time; a
// trigger's effect is itself a downstream signal; a third-party tool is rate
// limited. A tool answers lookups by key wherever it takes keys, unless lookup:
// false; a key that deduplicates nothing (a write's, a notification's, a
// trigger's) is kept for lookups. A lookup may lag: lookup: {lag: 2s} keeps
// an applied effect invisible to lookups for 2s. money: true marks a tool
// that takes a customer's money (a charge, a refund): its tier defaults to
// 3, it needs cost_cents, and a repeat is a duplicate charge; a repeat of
// any other tool with a cost (a billed API, a paid webhook) is a duplicate
// cost, what the team pays. A planner runs at the orchestrator and has no
// tier; every other behaviour runs at the agent layer. A compensator is
// registered idempotent, at its tool's tier, with an idempotency key where
// its tool takes one.
//
// Model and planner calls spend tokens: prompt, then chunk tokens for each
// of chunks pieces of output (model: 100, 25, 3 to 6; planner: 150, 0, 0).
// A third-party tool allows rate_limit.calls calls per rate_limit.window
// per tenant (default 3 a second) and answers 429 beyond them, with a
// Retry-After of rate_limit.retry_after or, unset, the rest of the window.
//
// # Costs drawn from the payload
//
// cost_cents is what one applied call costs, in cents: a fixed amount, or
// {min, max}, which draws min + FNV-1a(payload) % (max-min+1) for each
// call, so that the same payload always costs the same ([Range]). That is
// what today's world needs: create_charge costs 500 + fnv1a(payload) % 4500
// cents, {min: 500, max: 4999}. The number of a model call's chunks is
// drawn the same way. No other distribution is supported in v1.
//
// # Tenants: contracts and overrides
//
// A contract is declared per tenant and tool: never-retry, at-most-once,
// key-required, or a list of them ([policy.Contract]). key-required is
// refused where the tool takes no idempotency key for that tenant: no call
// could honour it. An override says how a tool behaves for one tenant,
// with or without a contract behind it. With a behaviour, it describes the
// tool anew for the tenant, every key it leaves out taking that
// behaviour's default; without one, it keeps the tool's description and
// changes only the keys it gives. A tool some tenant overrides carries the
// registry's tenant-override flag, and each tenant that overrides it its
// own entry.
//
// # Workflows
//
// A workflow is a named list of steps, each a tool; weight says how often
// scenarios draw it relative to the others. Generated workflows (1 to 8
// steps) draw from generated.tools, in order, or from every tool where it
// is left out; shrinking moves a step towards the first, so a harmless one
// is best listed first, and a planner among them leads a workflow, never
// follows a step. A world may have no named workflow at all.
//
// # What the rest of chaosrun reads
//
// [World.Registry] is the idempotency registry; [World.Spec] a tool (or a
// compensator) as a tenant sees it, defaults applied, override included —
// its layer, streaming, keys, lookup and lag, cost, tokens, rate limit;
// [World.Truth] what it really does; [World.Contract] a tenant's contract
// (a World is a [policy.Contracts]); [World.ToolNames],
// [World.TenantNames], [World.Compensators] and [World.GeneratedTools] the
// names. [Generator] draws valid worlds for properties that must hold in
// every world.
//
// # From MCP annotations
//
// [ImportMCP] turns an MCP server's tools/list answer into a starting world.
// It reads the annotations as raw JSON, so that an absent hint (or a null
// one) stays unknown instead of reading as false, and maps them; an
// unknown hint is read the cautious way, as the MCP defaults say
// (readOnlyHint false, destructiveHint true, idempotentHint false,
// openWorldHint true):
//
//	readOnlyHint  idempotentHint  openWorldHint   behaviour    class
//	true          any             any             read         idempotent
//	not true      true            any             upsert       idempotent
//	not true      false           false           write        non-idempotent
//	not true      absent          false           write        unknown
//	not true      false           true or absent  third-party  non-idempotent
//	not true      absent          true or absent  third-party  unknown
//
//	tier: 1 for a read; otherwise 2 with destructiveHint false, 3 with true or absent.
//
// An import gives an upsert keys: none (MCP cannot say whether a tool takes
// a key), and writes comments under each tool on what the team must fill
// in: keys, lookups and their lag, compensators, costs, rate limits, and at
// the end tenants, contracts and workflows; the file loads as it is.
//
// The Go SDKs put explicit booleans on the wire where the author set
// nothing, so "absent" is rarer than "unset". modelcontextprotocol/go-sdk
// (v1.8.0) declares ReadOnlyHint and IdempotentHint as plain bool without
// omitempty (since v1.7.0; MCPGODEBUG=hintomitempty=1 restores omitting
// false) and DestructiveHint and OpenWorldHint as *bool with omitempty: a
// tool with any annotation sends readOnlyHint and idempotentHint, false
// when unset, and a tool with none sends no annotations. mark3labs/mcp-go
// (v1.2.1) declares every hint *bool with omitempty, but always sends the
// annotations object, and NewTool sets all four to the MCP defaults (false,
// true, false, true): such a tool sends four explicit hints its author may
// never have chosen (NewToolWithRawSchema sends an empty object). So an
// explicit false or true equal to the default may say nothing; the
// mapping above is built so that it does not matter: the defaults, sent or
// not, give the cautious reading (a write, of unknown or no idempotency, at
// tier 3), and only a hint that makes a tool safer than the default — a
// readOnlyHint or idempotentHint true, a destructiveHint or openWorldHint
// false — changes it, and those no library sends on its own. The comments
// of an import say where a tool's hints are exactly a library's defaults.
package worlds
