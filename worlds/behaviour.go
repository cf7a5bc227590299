package worlds

import (
	"fmt"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// Behaviour is the archetype a tool is built from: what the fake world does
// when the tool is called, and so the tool's ground truth (does it change
// anything, does a repeat change anything more, does it answer lookups).
type Behaviour uint8

// Behaviours.
const (
	// Read changes nothing: a search, a fetch.
	Read Behaviour = iota + 1
	// Model is a model call. It spends tokens; streamed, its chunks reach a
	// downstream consumer as they are generated, and those deliveries are
	// effects (deduplicated by a dedup token).
	Model
	// Planner is the orchestrator's model call: it returns a task graph, an
	// invalid one for an ambiguous request, every time.
	Planner
	// KeyedWrite applies an effect once per idempotency key: a repeated key
	// returns the first result. It answers lookups by key.
	KeyedWrite
	// Upsert is an idempotent write, keyed by its idempotency key or, with
	// none, by the step's identity: a repeat changes nothing more.
	Upsert
	// Write applies its effect on every call. A key it takes is kept for
	// lookups and deduplicates nothing.
	Write
	// Notification sends a message: applied on every call, irreversible.
	Notification
	// PaidWebhook calls a webhook charged per call: applied and charged on
	// every call; it ignores keys.
	PaidWebhook
	// Trigger signals a downstream pipeline, with no dedup: its effect is
	// itself a downstream signal. A key it takes is kept for lookups.
	Trigger
	// ThirdParty calls a service whose idempotency is unknown (the fake
	// applies every call), behind a per-tenant rate limit that answers 429
	// with a Retry-After.
	ThirdParty
)

var behaviourNames = []string{"", "read", "model", "planner", "keyed-write", "upsert", "write", "notification", "paid-webhook", "trigger", "third-party"}

// BehaviourNames lists the spellings of every Behaviour, in order.
var BehaviourNames = behaviourNames[1:]

func (b Behaviour) String() string {
	if b > 0 && int(b) < len(behaviourNames) {
		return behaviourNames[b]
	}
	return fmt.Sprintf("invalid(%d)", b)
}

// ParseBehaviour parses a behaviour's spelling ("keyed-write", ...).
func ParseBehaviour(s string) (Behaviour, error) {
	for i, n := range BehaviourNames {
		if n == s {
			return Behaviour(i + 1), nil
		}
	}
	return 0, fmt.Errorf("unknown behaviour %q (valid: %s)", s, strings.Join(BehaviourNames, ", "))
}

// traits are what a behaviour is and what it allows: its ground truth, its
// defaults, and for each setting it refuses, why (so that the refusal can
// say it).
type traits struct {
	layer      outcome.Layer
	effects    bool // it changes something outside the engine
	idempotent bool // a repeat changes nothing more
	class      registry.Class
	tier       int
	key        registry.Keys // the kind of key it can take (NoKeys: none)
	keyed      bool          // it takes one unless told otherwise
	noKeys     string        // why its keys cannot be switched ("": they can)
	noUndo     string        // why it takes no compensator ("": it may)
	noCost     string        // why it takes no cost_cents or money ("": it may)
	tokens     bool          // it spends tokens
	money      bool
	signals    bool
}

// model is a model call that does not stream: nothing reaches anyone
// before the response, so a repeat only spends tokens again.
var model = traits{layer: outcome.Agent, idempotent: true, class: registry.Idempotent, tier: 1,
	noKeys: "a model call that does not stream takes no key: nothing of it reaches anyone before its response",
	noUndo: "a model call changes nothing outside the engine: there is nothing to undo",
	noCost: "a model call spends tokens (tokens), not cents", tokens: true}

var streamed = traits{layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 1,
	key: registry.DedupToken, keyed: true,
	noUndo: "chunks a streamed model call delivered downstream cannot be called back",
	noCost: model.noCost, tokens: true}

var behaviourTraits = [...]traits{
	Read: {layer: outcome.Agent, idempotent: true, class: registry.Idempotent, tier: 1,
		noKeys: "a read takes no key: a repeat changes nothing anyway",
		noUndo: "a read changes nothing: there is nothing to undo",
		noCost: "a read records no effect to charge for"},
	Model: model,
	Planner: {layer: outcome.Orchestrator, idempotent: true, class: registry.Idempotent,
		noKeys: "a planner takes no key: the same request gives the same plan",
		noUndo: "a planner changes nothing: there is nothing to undo",
		noCost: "a planner spends tokens (tokens), not cents", tokens: true},
	KeyedWrite: {layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 2,
		key: registry.IdempotencyKey, keyed: true,
		noKeys: "a keyed-write deduplicates by its idempotency key; a tool that takes none is a write"},
	Upsert: {layer: outcome.Agent, effects: true, idempotent: true, class: registry.Idempotent, tier: 2,
		key: registry.IdempotencyKey, keyed: true},
	Write: {layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 2, key: registry.IdempotencyKey},
	Notification: {layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 3, key: registry.IdempotencyKey,
		noUndo: "a notification cannot be undone: a sent message stays sent"},
	PaidWebhook: {layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 3,
		noKeys: "a paid webhook ignores keys: every call is a new charge",
		noUndo: "a paid webhook cannot be undone: every call was charged"},
	Trigger: {layer: outcome.Agent, effects: true, class: registry.NonIdempotent, tier: 2, key: registry.IdempotencyKey,
		noUndo: "a trigger cannot be undone: the downstream pipeline it started has run", signals: true},
	ThirdParty: {layer: outcome.Agent, effects: true, class: registry.Unknown, tier: 2,
		noKeys: "a third-party tool's handling of keys is unknown; a service that deduplicates by key is a keyed-write",
		noUndo: "a third-party call cannot be undone from here: its effect is the service's"},
}

// traitsOf returns the traits of a behaviour, streamed or not (only a model
// call streams).
func traitsOf(b Behaviour, stream bool) traits {
	if b == Model && stream {
		return streamed
	}
	if b == 0 || int(b) >= len(behaviourTraits) {
		return traits{}
	}
	return behaviourTraits[b]
}

// Defaults of the settings that are not the behaviour's own.
const (
	defaultPromptTokens = 100
	defaultChunkTokens  = 25
	defaultPlanTokens   = 150
	defaultCalls        = 3
)

const defaultWindow = time.Second

var defaultChunks = Range{Min: 3, Max: 6}
