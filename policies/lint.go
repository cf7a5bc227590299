package policies

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// Severity says how bad a [Finding] is.
type Severity uint8

// Severities.
const (
	// SeverityError marks a rule that breaks an invariant or can never apply.
	SeverityError Severity = iota + 1
	// SeverityWarning marks a risk that depends on what the tools really do.
	SeverityWarning
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "invalid(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one thing [Lint] found.
type Finding struct {
	Severity Severity
	// Line is the rule's line in its file; 0 for the architecture (whose
	// lines the compiled rules do not keep) and for rules built in Go.
	Line int
	// Key is the rule ("rules[3]") or the architecture key concerned.
	Key     string
	Message string
}

// String renders f as "line: severity: key: message" (without "line: " when
// the line is unknown); prefix it with the file name and a colon to print it.
func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s: %s", f.Severity, f.Key, f.Message)
	if f.Line > 0 {
		return strconv.Itoa(f.Line) + ": " + s
	}
	return s
}

// Lint checks a policy against the fake world's registry and tenants, by
// evaluating its rules on every kind of failure the world produces (see
// README.md, "Lint"). It returns its findings ordered by line; a policy
// with no finding of [SeverityError] is one lint cannot fault.
func Lint(r *policy.Rules) []Finding {
	f, _ := LintFor(nil, r) // the built-in world compiles
	return f
}

// LintFor is [Lint] against the world w (nil: the built-in one): its
// registry, its tenants and their contracts. It fails only for a world that
// does not compile.
func LintFor(w *worlds.World, r *policy.Rules) ([]Finding, error) {
	v, err := worldOf(w)
	if err != nil {
		return nil, err
	}
	l := newLinter(v, r)
	l.architecture()
	for i := range r.List {
		l.rule(i)
	}
	l.catchAll()
	slices.SortStableFunc(l.findings, func(a, b Finding) int { return a.Line - b.Line })
	return l.findings, nil
}

// linter holds what every check reads: which situations each rule matches
// on its own, which reach it (are not decided by a rule above), and which
// rule decides each situation.
//
// A situation is a failure before its attempt number (sits) at one of the
// attempt numbers the rules tell apart (attempts): the attempt is read only
// by a rule's `attempt`, so each rule is matched once per failure and its
// minimum compared per attempt, and what a check reads of a situation (its
// tool, its outcome, what the engine resolves) is the failure's. A file of
// many rules naming many attempts and statuses stays fast to lint, and small.
type linter struct {
	w        *world
	r        *policy.Rules
	a        policy.Architecture
	sits     []situation
	attempts []int
	matches  []matches
	reach    [][]int // per rule, the failures (indexes of sits) some attempt of which reaches it
	decider  []int   // per situation (see at): the rule that decides it, -1 when none does
	findings []Finding
}

// matches sums up the situations a rule matches: whether any, and whether
// one rule decides them all (and which).
type matches struct {
	any, same bool
	decider   int
}

func (m *matches) add(decider int) {
	if !m.any {
		*m = matches{any: true, same: true, decider: decider}
	} else if decider != m.decider {
		m.same = false
	}
}

// at is the index of failure b at attempts[n] in decider.
func (l *linter) at(b, n int) int { return b*len(l.attempts) + n }

func newLinter(w *world, r *policy.Rules) *linter {
	l := &linter{w: w, r: r, a: r.Arch, sits: situations(w, r.Arch, statusesOf(r.List)), attempts: attemptsOf(r.List)}
	l.matches, l.reach = make([]matches, len(r.List)), make([][]int, len(r.List))
	l.decider = make([]int, len(l.sits)*len(l.attempts))
	spent := make([]bool, len(r.List))
	for i, rule := range r.List {
		spent[i] = rule.Do == policy.Retry && l.limit(rule) == 0
	}
	var failing, hit []int // the rules that match the failure; those that match it at an attempt
	for b, s := range l.sits {
		failing = failing[:0]
		for i, rule := range r.List {
			in := s.in
			in.Attempt = rule.When.Attempt
			if !spent[i] && rule.When.Matches(in) {
				failing = append(failing, i)
			}
		}
		for n, attempt := range l.attempts {
			si := l.at(b, n)
			l.decider[si] = -1
			hit = hit[:0]
			for _, i := range failing {
				rule := r.List[i]
				if attempt < rule.When.Attempt {
					continue
				}
				hit = append(hit, i)
				if l.decider[si] >= 0 {
					continue
				}
				if k := len(l.reach[i]); k == 0 || l.reach[i][k-1] != b {
					l.reach[i] = append(l.reach[i], b)
				}
				if rule.Do != policy.Retry { // a retry rule falls through once spent
					l.decider[si] = i
				}
			}
			for _, i := range hit {
				l.matches[i].add(l.decider[si])
			}
		}
	}
	return l
}

// limit is a retry rule's effective max_retries.
func (l *linter) limit(rule policy.Rule) int {
	if rule.MaxRetries > 0 {
		return rule.MaxRetries
	}
	return l.a.Budget.MaxRetries
}

func (l *linter) add(sev Severity, line int, key, format string, args ...any) {
	l.findings = append(l.findings, Finding{Severity: sev, Line: line, Key: key, Message: fmt.Sprintf(format, args...)})
}

func (l *linter) ruleAdd(sev Severity, i int, format string, args ...any) {
	l.add(sev, l.r.List[i].Line, "rules["+strconv.Itoa(i)+"]", format, args...)
}

// fixed is a policy that always decides d: it lets the linter ask
// [policy.Resolve] what becomes of a rule's decision in a situation.
type fixed struct {
	a policy.Architecture
	d policy.Decision
}

func (fixed) Name() string                          { return "lint" }
func (f fixed) Architecture() policy.Architecture   { return f.a }
func (f fixed) Decide(policy.Input) policy.Decision { return f.d }

// resolved is what the engine does when rule decides situation s first.
func (l *linter) resolved(rule policy.Rule, s situation) policy.Decision {
	d := policy.Decision{Action: rule.Do, DedupToken: rule.DedupToken, RequireKey: rule.RequireKey, Reason: "lint"}
	if rule.Do == policy.Retry {
		d.MaxRetries = l.limit(rule)
	}
	return policy.Resolve(fixed{l.a, d}, s.in)
}

// retried lists the situations in which rule i leads to an actual retry.
func (l *linter) retried(i int) []situation {
	var out []situation
	for _, b := range l.reach[i] {
		if l.resolved(l.r.List[i], l.sits[b]).Action == policy.Retry {
			out = append(out, l.sits[b])
		}
	}
	return out
}

func (l *linter) rule(i int) {
	rule := l.r.List[i]
	switch {
	case !l.matches[i].any:
		l.never(i)
		return
	case len(l.reach[i]) == 0:
		l.shadowed(i)
		return
	}
	switch rule.Do {
	case policy.Retry:
		l.retry(i)
	case policy.Compensate:
		l.compensate(i)
	case policy.Reconcile:
		l.reconcile(i)
	}
}

func (l *linter) never(i int) {
	rule := l.r.List[i]
	if rule.Do == policy.Retry && l.limit(rule) == 0 {
		l.ruleAdd(SeverityError, i, "never matches: it has no max_retries and budget.max_retries is 0")
		return
	}
	if why := l.inertHere(rule); why != "" {
		l.ruleAdd(SeverityWarning, i, "never matches in this world: %s; the rule decides nothing here", why)
		return
	}
	l.ruleAdd(SeverityError, i, "never matches: no failure of the registered tools meets all of its conditions")
}

// inertHere says why a rule that matches nothing in a world of the team's
// does match elsewhere, or "": a rule that names no tool and matches some
// failure of the built-in world (which has a tool of every kind) is inert
// here, not wrong — a policy may be written for several worlds. The
// built-in world's own rules, and rules that name tools, get no such pass.
func (l *linter) inertHere(rule policy.Rule) string {
	if l.w == builtinWorld() || len(rule.When.Tools) > 0 {
		return ""
	}
	rule.When.Tenants = nil // this world's names: the built-in world's tenants are others
	elsewhere := newLinter(builtinWorld(), &policy.Rules{Arch: l.a, List: []policy.Rule{rule}})
	if !elsewhere.matches[0].any {
		return ""
	}
	if why := inert(l.w, rule.When); why != "" {
		return why
	}
	return "no failure of this world's tools meets all of its conditions (failures of the built-in world's do)"
}

// shadowed reports a rule that matches failures which rules above it always
// decide first: an error when a catch-all does, a warning when a single rule
// does. A rule whose failures are split among several rules above it is left
// alone: in this registry it is dead, in a team's own it may not be.
func (l *linter) shadowed(i int) {
	for k := range i {
		if prev := l.r.List[k]; prev.Do != policy.Retry && prev.When.IsCatchAll() {
			l.ruleAdd(SeverityError, i, "never reached: shadowed by the catch-all %s, which decides every failure first", ruleName(prev, k))
			return
		}
	}
	m := l.matches[i]
	if !m.same {
		return
	}
	k := m.decider
	l.ruleAdd(SeverityWarning, i, "never reached: %s above it decides every failure it matches", ruleName(l.r.List[k], k))
}

func ruleName(r policy.Rule, i int) string {
	if r.Line > 0 {
		return fmt.Sprintf("rules[%d] (line %d)", i, r.Line)
	}
	return fmt.Sprintf("rules[%d]", i)
}

func (l *linter) retry(i int) {
	rule := l.r.List[i]
	if rule.RequireKey && l.a.NoKeysAnywhere() {
		l.ruleAdd(SeverityError, i, "require_idempotency_key, but idempotency_keys is none: no attempt carries a key, so no retry is ever allowed")
	}
	retried := l.retried(i)
	l.perAttemptKeys(i, retried)
	l.unlimited(i, retried)
	l.orchestratorRetry(i, retried)
	l.tier3(i, retried)
	l.nonIdempotent(i, retried)
	l.midInference(i, retried)
	l.ignoredContracts(i, retried)
}

// perAttemptKeys: require_idempotency_key checks that the attempt carries a
// key, as middleware does; a key made anew for each attempt passes the
// check and deduplicates nothing.
func (l *linter) perAttemptKeys(i int, retried []situation) {
	if !l.r.List[i].RequireKey {
		return
	}
	var tools []string
	for _, s := range retried {
		if s.in.HasKey && !s.in.StableKey {
			tools = addTool(tools, s)
		}
	}
	if len(tools) > 0 {
		l.ruleAdd(SeverityWarning, i, "require_idempotency_key with per-attempt keys for %s: each retry carries a key, so the check passes, but a new one, which the tool cannot deduplicate (no-duplicate-side-effects)",
			strings.Join(tools, ", "))
	}
}

// unlimited: with no limit and no elapsed-time budget, a tool that stays
// down keeps the step retrying until something outside stops it.
func (l *linter) unlimited(i int, retried []situation) {
	if l.limit(l.r.List[i]) == policy.Unlimited && l.a.Budget.MaxElapsed == 0 && len(retried) > 0 {
		l.ruleAdd(SeverityWarning, i, "max_retries: unlimited and no budget.max_elapsed: a tool that stays down keeps the execution retrying forever (terminal-state)")
	}
}

// orchestratorRetry: a deterministic orchestrator failure (an invalid plan)
// fails the same way every time.
func (l *linter) orchestratorRetry(i int, retried []situation) {
	if slices.ContainsFunc(retried, func(s situation) bool {
		return s.in.Outcome.Class == outcome.Deterministic && s.in.Outcome.Layer == outcome.Orchestrator
	}) {
		l.ruleAdd(SeverityError, i, "retries a deterministic orchestrator failure (an invalid plan): the same input yields the same plan, so the retry only burns tokens (no-orchestrator-retry)")
	}
}

// acted reports whether the retry in s re-executes a step that may have
// acted: this attempt got past pre-execution, or the rule asks for steps
// that may have emitted effects in so many words.
func acted(rule policy.Rule, s situation) bool {
	o := s.in.Outcome
	explicit := rule.When.SideEffects != nil && *rule.When.SideEffects
	return o.SideEffects() && (o.Phase != outcome.PhasePre || explicit)
}

// keyed reports whether the tool itself deduplicates the retry: it takes an
// idempotency key and the retry carries the same one.
func keyed(s situation) bool {
	return s.in.StableKey && s.in.Entry.Keys == registry.IdempotencyKey
}

// tier3: retrying an irreversible, financial or notification tool after it
// may have acted repeats the charge or the email.
func (l *linter) tier3(i int, retried []situation) {
	rule := l.r.List[i]
	var bare, withKey []string
	for _, s := range retried {
		if s.in.Entry.Tier != 3 || !acted(rule, s) {
			continue
		}
		if keyed(s) {
			withKey = addTool(withKey, s)
		} else {
			bare = addTool(bare, s)
		}
	}
	keyNote := ""
	if len(withKey) > 0 {
		keyNote = fmt.Sprintf("; %s is deduplicated only by its idempotency key", strings.Join(withKey, ", "))
	}
	switch {
	case len(bare) > 0:
		l.ruleAdd(SeverityError, i, "retries tier-3 %s after it may have acted (%s): an irreversible effect happens twice (no-duplicate-side-effects)%s",
			strings.Join(bare, ", "), phrase(rule), keyNote)
	case len(withKey) > 0:
		l.ruleAdd(SeverityWarning, i, "retries tier-3 %s after it may have acted, relying on the tool's idempotency key alone; reconcile (look it up by key) is the safer answer",
			strings.Join(withKey, ", "))
	}
}

func phrase(rule policy.Rule) string {
	if rule.When.SideEffects != nil && *rule.When.SideEffects {
		return "side_effects: true"
	}
	return "in phase mid or post"
}

// nonIdempotent: below tier 3, re-executing a non-idempotent tool that may
// have acted duplicates its effect too, unless its key deduplicates it.
// Model calls are left to midInference.
func (l *linter) nonIdempotent(i int, retried []situation) {
	var tools []string
	for _, s := range retried {
		e := s.in.Entry
		if e.Tier != 3 && !e.Streaming && e.Class != registry.Idempotent && acted(l.r.List[i], s) && !keyed(s) {
			tools = addTool(tools, s)
		}
	}
	if len(tools) > 0 {
		l.ruleAdd(SeverityWarning, i, "retries %s after it may have acted, with no stable key to deduplicate the retry: its effect may happen twice (no-duplicate-side-effects)",
			strings.Join(tools, ", "))
	}
}

// midInference: a model call cut mid-inference has delivered chunks
// downstream; only the same dedup token keeps the retry from delivering them
// again.
func (l *linter) midInference(i int, retried []situation) {
	rule := l.r.List[i]
	if !slices.ContainsFunc(retried, func(s situation) bool { return s.in.Outcome.LLM == outcome.MidInference }) {
		return
	}
	switch {
	case !rule.DedupToken:
		l.ruleAdd(SeverityWarning, i, "retries model calls cut mid-inference without dedup_token: chunks already delivered downstream are delivered again (no-duplicate-side-effects)")
	case l.a.Keys != policy.PerOperation:
		l.ruleAdd(SeverityWarning, i, "retries model calls cut mid-inference with dedup_token, but idempotency_keys is %s: every attempt gets a new token, so delivered chunks are delivered again", keyNames[l.a.Keys])
	}
}

// ignoredContracts: with tenant_contracts: ignore, a retry that a tenant's
// declared contract forbids is a broken contract, not a risk.
func (l *linter) ignoredContracts(i int, retried []situation) {
	if l.a.TenantContracts != policy.Ignore {
		return
	}
	honor := l.a
	honor.TenantContracts = policy.Honor
	var broken []string
	for _, s := range retried {
		if s.declared.IsZero() {
			continue
		}
		h := s
		h.in.Entry, h.in.Contract = s.own, s.declared
		h.in.HasKey, h.in.StableKey = keysOf(s.own, l.a)
		d := l.r.List[i]
		if policy.Resolve(fixed{honor, policy.Decision{Action: d.Do, MaxRetries: l.limit(d), DedupToken: d.DedupToken, RequireKey: d.RequireKey}}, h.in).Action != policy.Retry {
			if b := fmt.Sprintf("%s for %s (contract: %s)", s.in.Entry.Tool, s.in.Tenant, s.declared); !slices.Contains(broken, b) {
				broken = append(broken, b)
			}
		}
	}
	if len(broken) > 0 {
		l.ruleAdd(SeverityError, i, "retries %s, which the tenant's contract forbids, and tenant_contracts is ignore (tenant-contract-honored)", strings.Join(broken, "; "))
	}
}

func (l *linter) compensate(i int) {
	if !l.a.Compensation() {
		l.ruleAdd(SeverityError, i, "compensate, but compensation is disabled: every such failure is dead-lettered instead")
		return
	}
	var without []string
	with := false
	for _, b := range l.reach[i] {
		s := l.sits[b]
		if s.in.Entry.HasCompensator() {
			with = true
		} else {
			without = addTool(without, s)
		}
	}
	switch {
	case !with:
		l.ruleAdd(SeverityError, i, "compensate, but none of the tools it matches (%s) has a compensator: it never compensates anything, every such failure is dead-lettered", strings.Join(without, ", "))
	case len(without) == 1:
		l.ruleAdd(SeverityWarning, i, "compensate on %s, which has no compensator: those failures are dead-lettered instead", without[0])
	case len(without) > 1:
		l.ruleAdd(SeverityWarning, i, "compensate on %s, which have no compensator: those failures are dead-lettered instead", strings.Join(without, ", "))
	}
}

func (l *linter) reconcile(i int) {
	switch l.a.Keys {
	case policy.NoKeys:
		l.ruleAdd(SeverityError, i, "reconcile, but idempotency_keys is none: there is no key to look the operation up by, so every such failure is dead-lettered")
	case policy.PerAttempt:
		l.ruleAdd(SeverityWarning, i, "reconcile with per-attempt keys: the tool sees every attempt as a new operation, so the lookup must find each attempt's key, and the retry that follows a lookup that found nothing runs under yet another key the tool cannot deduplicate")
	}
}

func addTool(tools []string, s situation) []string {
	if slices.Contains(tools, s.in.Entry.Tool) {
		return tools
	}
	return append(tools, s.in.Entry.Tool)
}

// architecture reports the architecture choices that the mistakes are made
// of. They are warnings: each is safe in some world, and the rules' own
// findings say where it bites.
func (l *linter) architecture() {
	a := l.a
	if err := a.Validate(); err != nil {
		l.add(SeverityError, 0, "architecture", "%v", err)
	}
	if a.Resume == policy.Restart {
		l.add(SeverityWarning, 0, "architecture.resume", "restart: a retry re-runs the workflow from its first step, committed steps and planning included (resume-from-checkpoint)")
	}
	if a.Context == policy.Shared {
		if rules := l.retriesAfterWrites(); len(rules) > 0 {
			l.add(SeverityWarning, 0, "architecture.context", "shared: the retries of %s can read what the failed attempt half-wrote (no-poisoned-context-reads)", strings.Join(rules, ", "))
		}
	}
	if a.Backoff.IgnoreRetryAfter {
		l.add(SeverityWarning, 0, "backoff.retry_after", "ignore: a tool that said when to come back (Retry-After) is called again sooner (retry-after-honored)")
	}
	if a.Budget.Scope == policy.GlobalBudget {
		l.add(SeverityWarning, 0, "budget.scope", "global: one budget for the whole execution, so an early flaky step spends the retries a later one needs, and no step has a limit of its own")
	}
	if !a.Compensation() {
		l.add(SeverityWarning, 0, "architecture.compensation", "false: the effects of abandoned steps are never undone (no-orphaned-side-effects)")
	}
	if !a.Reconciliation() {
		l.add(SeverityWarning, 0, "architecture.reconciliation", "false: no worker audits what the engine could not decide (reconciliation-complete)")
	}
	if a.TenantContracts == policy.Ignore {
		l.add(SeverityWarning, 0, "architecture.tenant_contracts", "ignore: tenants' own registrations and contracts (%s) are never consulted; the system entry decides for every tenant", l.tenantsWithContracts())
	}
	switch a.Keys {
	case policy.PerAttempt:
		l.add(SeverityWarning, 0, "architecture.idempotency_keys", "per-attempt: every attempt carries a new key, so no tool can recognise a retry as the same operation")
	case policy.NoKeys:
		l.add(SeverityWarning, 0, "architecture.idempotency_keys", "none: no operation can be deduplicated or looked up by key")
	}
	for _, tool := range slices.Sorted(maps.Keys(a.ToolKeys)) {
		if k := a.ToolKeys[tool]; k != a.Keys && k != policy.PerOperation {
			l.add(SeverityWarning, 0, "architecture.idempotency_keys."+tool, "%s: %s's calls %s", keyNames[k], tool,
				map[policy.KeyMode]string{policy.PerAttempt: "carry a new key on every attempt, which the tool cannot deduplicate", policy.NoKeys: "carry no key: they can be neither deduplicated nor looked up"}[k])
		}
	}
}

// retriesAfterWrites names the retry rules that can re-run a step whose
// failed attempt wrote some or all of its context.
func (l *linter) retriesAfterWrites() []string {
	var names []string
	for i, rule := range l.r.List {
		if rule.Do == policy.Retry && slices.ContainsFunc(l.retried(i), func(s situation) bool { return s.in.Outcome.Context != outcome.ContextClean }) {
			names = append(names, ruleName(rule, i))
		}
	}
	return names
}

// tenantsWithContracts names what tenants declare or register of their
// own, e.g. "publish_report for globex, initech".
func (l *linter) tenantsWithContracts() string {
	byTool := map[string][]string{}
	var order []string
	for _, tn := range l.w.w.Tenants {
		var tools []string
		for tool := range tn.Contracts {
			tools = append(tools, tool)
		}
		for _, o := range tn.Overrides {
			own, _ := l.w.reg.Lookup(o.Name, tn.Name)
			if base, _ := l.w.reg.Base(o.Name); own != base {
				tools = append(tools, o.Name)
			}
		}
		slices.Sort(tools)
		for _, tool := range slices.Compact(tools) {
			if _, ok := byTool[tool]; !ok {
				order = append(order, tool)
			}
			byTool[tool] = append(byTool[tool], tn.Name)
		}
	}
	var parts []string
	for _, tool := range order {
		parts = append(parts, tool+" for "+strings.Join(byTool[tool], ", "))
	}
	if len(parts) == 0 {
		return "none in this world"
	}
	return strings.Join(parts, "; ")
}

// catchAll reports failures that no rule decides: once their retries are
// spent they fail the execution, and whatever the step did stays done.
func (l *linter) catchAll() {
	var undecided []situation
	for si, k := range l.decider {
		if k < 0 {
			s := l.sits[si/len(l.attempts)]
			s.in.Attempt = l.attempts[si%len(l.attempts)]
			undecided = append(undecided, s)
		}
	}
	if len(undecided) == 0 {
		return
	}
	line := 0
	if n := len(l.r.List); n > 0 {
		line = l.r.List[n-1].Line
	}
	example := undecided[0]
	for _, s := range undecided {
		if o := s.in.Outcome; o.SideEffects() && o.Phase != outcome.PhasePre {
			example = s
			break
		}
	}
	o := example.in.Outcome
	l.add(SeverityWarning, line, "rules", "no catch-all at the end: a failure no rule decides (or whose retries are spent) fails the execution and what it did stays done, e.g. %s failing in phase %s (%s) (no-orphaned-side-effects); end with a rule without `when`, such as `- do: dead-letter`",
		example.in.Entry.Tool, o.Phase, o.Class)
}
