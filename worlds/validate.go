package worlds

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/reference/registry"
)

var (
	// validName is a world's, a tenant's or a workflow's name: a policy
	// name's spelling.
	validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	// validTool is a tool's or a compensator's name: what MCP allows.
	validTool = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)
)

// Bounds of a world's numbers: beyond them a value is a typo, not a world.
const (
	maxSteps  = 32
	maxWeight = 1000
	maxCents  = 100_000_000 // a million dollars a call
	maxTokens = 1_000_000
	maxChunks = 64
	maxCalls  = 1000
	maxWait   = time.Hour
)

// Validate checks a world as a whole: every name, every tool against its
// behaviour, every override, contract and workflow step against the tools.
// It returns an *[Error] naming the key at fault (its Key is the path a
// world file would have, e.g. "tenants.globex.contracts.sync_crm"), or nil.
func (w *World) Validate() error {
	for _, check := range []func() *Error{w.checkName, w.checkTools, w.checkTenants, w.checkWorkflows, w.checkGenerated} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (w *World) checkName() *Error {
	switch {
	case w.Name == "":
		return errorf("name", "missing: every world names itself (it is named in reports and replay lines)")
	case !validName.MatchString(w.Name):
		return errorf("name", "%q is not a world name: %s", w.Name, nameRule)
	}
	return nil
}

const (
	nameRule = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
	toolRule = "1 to 128 letters, digits, '_', '.' or '-'"
)

func (w *World) checkTools() *Error {
	if len(w.Tools) == 0 {
		return errorf("tools", "missing: a world has at least one tool")
	}
	names := entries{prefix: "tools", what: "tool", valid: validTool, rule: toolRule}
	for i, t := range w.Tools {
		p, err := names.check(i, t.Name)
		if err != nil {
			return err
		}
		if t.Behaviour == 0 {
			return errorf(yamlstrict.Join(p, "behaviour"), "missing: every tool names its behaviour (%s)", strings.Join(BehaviourNames, ", "))
		}
		if err := checkTool(p, t); err != nil {
			return err
		}
	}
	for i, t := range w.Tools {
		if err := w.checkUndo(named("tools", i, t.Name), t.Name, t.Compensator); err != nil {
			return err
		}
	}
	return nil
}

// checkUndo checks the name of tool's compensator: a name of its own,
// which is no tool's and no other tool's undo action.
func (w *World) checkUndo(p, tool, name string) *Error {
	p = yamlstrict.Join(p, "compensator")
	switch owner := w.owner(name); {
	case name == "":
	case !validTool.MatchString(name):
		return errorf(p, "%q is not a tool name: %s", name, toolRule)
	case w.tool(name) != nil:
		return errorf(p, "%s is a tool: a compensator is the tool's own undo action, with a name of its own", name)
	case owner != nil && owner.Name != tool:
		return errorf(p, "%s is already %s's compensator: each tool has its own", name, owner.Name)
	}
	return nil
}

// checkTool checks a tool, as described or as a tenant's override makes
// it, against its behaviour. p is the path of the tool's description.
func checkTool(p string, t Tool) *Error {
	if t.Behaviour > ThirdParty {
		return errorf(yamlstrict.Join(p, "behaviour"), "invalid behaviour %d", t.Behaviour)
	}
	if key, msg := fields(t); key != "" {
		return errorf(yamlstrict.Join(p, key), "%s", msg)
	}
	if key, msg := against(t); key != "" {
		return errorf(yamlstrict.Join(p, key), "%s", msg)
	}
	return nil
}

// fields checks each field's value on its own; it returns the key at
// fault and why, or "".
func fields(t Tool) (key, msg string) {
	for _, sw := range [...]struct {
		key string
		s   Switch
	}{{"keys", t.Keys}, {"lookup", t.Lookup}, {"money", t.Money}, {"stream", t.Stream}} {
		if sw.s > Off {
			return sw.key, fmt.Sprintf("invalid setting %d", sw.s)
		}
	}
	checks := []struct {
		key, msg string
	}{
		{"class", classRange(t.Class)},
		{"tier", intRange(t.Tier, 0, 3)},
		{"lookup.lag", durationRange(t.Lag)},
		{"cost_cents", rangeRange(t.Cost, maxCents)},
		{"tokens.prompt", intRange(t.Tokens.Prompt, 0, maxTokens)},
		{"tokens.chunk", intRange(t.Tokens.Chunk, 0, maxTokens)},
		{"tokens.chunks", chunksRange(t.Tokens.Chunks)},
		{"rate_limit.calls", intRange(t.RateLimit.Calls, 0, maxCalls)},
		{"rate_limit.window", durationRange(t.RateLimit.Window)},
		{"rate_limit.retry_after", durationRange(t.RateLimit.RetryAfter)},
	}
	for _, c := range checks {
		if c.msg != "" {
			return c.key, c.msg
		}
	}
	return "", ""
}

// against checks the settings against the behaviour; it returns the key at
// fault and why, or "".
func against(t Tool) (key, msg string) {
	tr, s, b := traitsOf(t.Behaviour, t.Stream == On), spec(t), t.Behaviour
	switch {
	case t.Class == registry.Idempotent && !tr.idempotent:
		return "class", fmt.Sprintf("idempotent would be a false claim: %s %s; a class may be more cautious than the behaviour, never less%s",
			article(b, t.Stream == On), repeats(b), hint(b == Write || b == KeyedWrite, " (an idempotent write is behaviour upsert)"))
	case t.Tier != 0 && b == Planner:
		return "tier", "a planner runs at the orchestrator and has no tier; leave tier out"
	case t.Keys != Unset && tr.noKeys != "" && t.Keys.on(tr.keyed) != tr.keyed:
		return "keys", tr.noKeys
	case t.Lookup == On && s.Keys == registry.NoKeys:
		return "lookup", fmt.Sprintf("a lookup by key needs keys, and this %s takes none%s", b, hint(tr.key != registry.NoKeys, "; give it keys: "+tr.key.String()))
	case t.Lag > 0 && !s.Lookup:
		return "lookup.lag", "a lag, but the tool answers no lookups"
	case t.Compensator != "" && tr.noUndo != "":
		return "compensator", tr.noUndo
	case !t.Cost.IsZero() && tr.noCost != "":
		return "cost_cents", tr.noCost
	case t.Money == On && tr.noCost != "":
		return "money", article(b, t.Stream == On) + " moves no money"
	case b == PaidWebhook && s.Cost.IsZero():
		return "cost_cents", "missing: a paid webhook is charged per call; give what a call costs"
	case s.Money && s.Cost.IsZero():
		return "money", "a tool that moves money needs its cost_cents (an amount, or {min, max} drawn from the payload)"
	case t.Stream == On && b != Model:
		return "stream", fmt.Sprintf("only a model call streams, and this tool is a %s", b)
	case t.Tokens != (Tokens{}) && !tr.tokens:
		return "tokens", fmt.Sprintf("only model and planner calls spend tokens, and this tool is a %s", b)
	case t.RateLimit != (RateLimit{}) && b != ThirdParty:
		return "rate_limit", fmt.Sprintf("only a third-party tool is rate limited, and this tool is a %s", b)
	}
	return "", ""
}

// repeats says what a behaviour that is not idempotent does on a repeat.
func repeats(b Behaviour) string {
	switch b {
	case Model:
		return "delivers its chunks downstream again when repeated"
	case KeyedWrite:
		return "applies its effect again when repeated without its key"
	case ThirdParty:
		return "may apply its effect again when repeated (the fake assumes it does)"
	}
	return "applies its effect again when repeated"
}

func article(b Behaviour, stream bool) string {
	name := b.String()
	switch {
	case stream:
		name = "streamed model call"
	case b == ThirdParty:
		name = "third-party tool"
	}
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

func hint(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

func classRange(c registry.Class) string {
	if c > registry.Unknown {
		return fmt.Sprintf("invalid class %d (valid: %s)", c, strings.Join(registry.ClassNames, ", "))
	}
	return ""
}

func intRange(n, lo, hi int) string {
	if n < lo || n > hi {
		return fmt.Sprintf("%d is not within %d..%d", n, lo, hi)
	}
	return ""
}

func durationRange(d time.Duration) string {
	switch {
	case d < 0:
		return "negative duration " + d.String()
	case d > maxWait:
		return d.String() + " is longer than " + maxWait.String()
	}
	return ""
}

// chunksRange checks a generation's chunk count: a stream delivers at
// least one chunk.
func chunksRange(r Range) string {
	if msg := rangeRange(r, maxChunks); msg != "" {
		return msg
	}
	if !r.IsZero() && r.Min < 1 {
		return "a generation streams at least one chunk: min must be 1 or more"
	}
	return ""
}

func rangeRange(r Range, hi int) string {
	switch {
	case r.Min < 0 || r.Min > hi:
		return fmt.Sprintf("%d is not within 0..%d", r.Min, hi)
	case r.Max != 0 && r.Max < r.Min:
		return fmt.Sprintf("max %d is below min %d", r.Max, r.Min)
	case r.Max > hi:
		return fmt.Sprintf("max %d is not within 0..%d", r.Max, hi)
	}
	return ""
}

func (w *World) checkTenants() *Error {
	if len(w.Tenants) == 0 {
		return errorf("tenants", "missing: a world has at least one tenant, for whom executions run")
	}
	names := entries{prefix: "tenants", what: "tenant", valid: validName, rule: nameRule}
	for i, tn := range w.Tenants {
		p, err := names.check(i, tn.Name)
		if err != nil {
			return err
		}
		if err := w.checkOverrides(p, tn); err != nil {
			return err
		}
		if err := w.checkContracts(p, tn); err != nil {
			return err
		}
	}
	return nil
}

func (w *World) checkOverrides(p string, tn Tenant) *Error {
	seen := map[string]bool{}
	for i, o := range tn.Overrides {
		op := named(p+".overrides", i, o.Name)
		base := w.tool(o.Name)
		switch {
		case base == nil:
			return errorf(op, "%s", w.notATool(o.Name, "override the tool instead"))
		case seen[o.Name]:
			return errorf(op, "%s overrides %s twice", tn.Name, o.Name)
		case o == Tool{Name: o.Name}:
			return errorf(op, "an override that changes nothing: give what differs for %s, or the behaviour the tool has for it", tn.Name)
		}
		seen[o.Name] = true
		if err := checkTool(op, overlay(*base, o)); err != nil {
			return err
		}
		if err := w.checkUndo(op, o.Name, o.Compensator); err != nil {
			return err
		}
	}
	return nil
}

func (w *World) checkContracts(p string, tn Tenant) *Error {
	tools := make([]string, 0, len(tn.Contracts))
	for tool := range tn.Contracts {
		tools = append(tools, tool)
	}
	slices.SortFunc(tools, func(a, b string) int { return w.order(a) - w.order(b) })
	for _, tool := range tools {
		cp, c := yamlstrict.Join(p+".contracts", tool), tn.Contracts[tool]
		if w.tool(tool) == nil {
			return errorf(cp, "%s", w.notATool(tool, "contracts are declared on tools"))
		}
		if c.IsZero() {
			return errorf(cp, "a contract that declares nothing; leave it out")
		}
		switch s, _ := w.Spec(tn.Name, tool); {
		case !c.KeyRequired || s.Keys == registry.IdempotencyKey:
		case s.Keys == registry.DedupToken:
			return errorf(cp, "key-required, but %s is a streamed model call: its dedup token is no idempotency key, so no call could honour the contract", tool)
		default:
			fix := fmt.Sprintf("give the tool, or %s's override of it, keys: idempotency-key", tn.Name)
			if tr := s.traits(); tr.key == registry.NoKeys {
				fix = tr.noKeys
			}
			return errorf(cp, "key-required, but %s takes no idempotency key for %s, so no call could honour the contract; %s", tool, tn.Name, fix)
		}
	}
	return nil
}

// order is a tool's place in Tools; names that are no tool come last, in
// alphabetical order.
func (w *World) order(name string) int {
	if i := slices.IndexFunc(w.Tools, func(t Tool) bool { return t.Name == name }); i >= 0 {
		return i - len(w.Tools)
	}
	return 0
}

// notATool says why name, which is no tool, cannot be used where a tool
// belongs.
func (w *World) notATool(name, instead string) string {
	if owner := w.owner(name); owner != nil {
		return fmt.Sprintf("%s is %s's compensator, not a tool: %s", name, owner.Name, instead)
	}
	return fmt.Sprintf("unknown tool %q (valid: %s)", name, strings.Join(w.ToolNames(), ", "))
}

func (w *World) checkWorkflows() *Error {
	names := entries{prefix: "workflows", what: "workflow", valid: validName, rule: nameRule}
	for i, wf := range w.Workflows {
		p, err := names.check(i, wf.Name)
		if err != nil {
			return err
		}
		switch {
		case len(wf.Steps) == 0:
			return errorf(yamlstrict.Join(p, "steps"), "missing: a workflow has at least one step")
		case len(wf.Steps) > maxSteps:
			return errorf(yamlstrict.Join(p, "steps"), "%d steps, more than %d: split the workflow", len(wf.Steps), maxSteps)
		case wf.Weight < 0 || wf.Weight > maxWeight:
			return errorf(yamlstrict.Join(p, "weight"), "%d is not within 1..%d", wf.Weight, maxWeight)
		}
		for j, step := range wf.Steps {
			if w.tool(step) == nil {
				return errorf(p+".steps["+strconv.Itoa(j)+"]", "%s", w.notATool(step, "a workflow calls the tool, and the engine its compensator"))
			}
		}
	}
	return nil
}

func (w *World) checkGenerated() *Error {
	for i, tool := range w.Generated.Tools {
		p := "generated.tools[" + strconv.Itoa(i) + "]"
		switch {
		case w.tool(tool) == nil:
			return errorf(p, "%s", w.notATool(tool, "generated workflows call tools, and the engine their compensators"))
		case slices.Contains(w.Generated.Tools[:i], tool):
			return errorf(p, "%s is listed twice", tool)
		}
	}
	return nil
}

// entries checks the names of a mapping's entries (tools, tenants,
// workflows): each a valid name, none described twice.
type entries struct {
	prefix, what string // "tools", "tool"
	valid        *regexp.Regexp
	rule         string // what valid allows, for the message
	seen         map[string]bool
}

// check checks the i-th entry's name and returns the entry's path.
func (e *entries) check(i int, name string) (string, *Error) {
	p := named(e.prefix, i, name)
	switch {
	case !e.valid.MatchString(name):
		return p, errorf(p, "%q is not a %s name: %s", name, e.what, e.rule)
	case e.seen[name]:
		return p, errorf(p, "the %s %s is described twice", e.what, name)
	}
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[name] = true
	return p, nil
}

// named is the path of the i-th entry of a mapping of names: by its name,
// or by its index where it has none.
func named(prefix string, i int, name string) string {
	if name == "" {
		return prefix + "[" + strconv.Itoa(i) + "]"
	}
	return yamlstrict.Join(prefix, name)
}
