package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// ErrUnregistered is returned for a tool that is not in the registry.
var ErrUnregistered = errors.New("tool is not registered")

// Class is a tool's idempotency class.
type Class uint8

// Idempotency classes. Unknown is the class of third-party tools whose
// behaviour on a repeated call is undocumented; it is treated like
// NonIdempotent by every safe policy.
const (
	Idempotent Class = iota + 1
	NonIdempotent
	Unknown
)

var classNames = []string{"", "idempotent", "non-idempotent", "unknown"}

func (c Class) String() string {
	if int(c) < len(classNames) && c != 0 {
		return classNames[c]
	}
	return fmt.Sprintf("invalid(%d)", c)
}

// ParseClass parses "idempotent", "non-idempotent" or "unknown".
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if i > 0 && n == s {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("unknown idempotency class %q (valid: %s)", s, strings.Join(classNames[1:], ", "))
}

// ClassNames lists the accepted spellings of Class.
var ClassNames = classNames[1:]

// Keys says what a tool accepts to recognise a repeated operation.
type Keys uint8

// Key support.
const (
	NoKeys         Keys = iota // repeated calls are new operations
	IdempotencyKey             // an idempotency key: a repeated key is the same operation
	DedupToken                 // a dedup token: streamed chunks already delivered are not delivered again
)

func (k Keys) String() string {
	switch k {
	case NoKeys:
		return "none"
	case IdempotencyKey:
		return "idempotency-key"
	case DedupToken:
		return "dedup-token"
	}
	return fmt.Sprintf("invalid(%d)", k)
}

// Entry is the registration of one tool.
type Entry struct {
	Tool  string
	Class Class
	// Tier is 1 (read-only or safe), 2 (write or stateful) or 3 (irreversible,
	// financial, notification). Orchestrator tools have tier 0.
	Tier  int
	Layer outcome.Layer
	// SideEffects is false for tools that change nothing outside the engine.
	SideEffects bool
	Keys        Keys
	// Lookup is set when the tool answers "did operation K happen?".
	Lookup bool
	// LookupLag is how long an applied effect may stay invisible to lookups
	// (an eventually consistent read): a lookup sooner than that after the
	// call proves nothing by finding nothing.
	LookupLag time.Duration
	// Compensator names the tool that undoes this one's effect ("" for none).
	Compensator string
	// TenantOverride is set when the tool's behaviour depends on the tenant.
	TenantOverride bool
	// Streaming is set for model calls that stream chunks to a downstream
	// consumer as they are generated.
	Streaming bool
	// Signals is set when the tool's effect is itself a downstream signal (a
	// trigger of another pipeline).
	Signals bool
}

// HasCompensator reports whether the tool's effect can be undone.
func (e Entry) HasCompensator() bool { return e.Compensator != "" }

// Validate checks an entry on its own.
func (e Entry) Validate() error {
	switch {
	case e.Tool == "":
		return errors.New("registry entry has no tool name")
	case e.Class < Idempotent || e.Class > Unknown:
		return fmt.Errorf("tool %q: invalid idempotency class %d", e.Tool, e.Class)
	case e.Tier < 0 || e.Tier > 3:
		return fmt.Errorf("tool %q: tier %d is not 0-3", e.Tool, e.Tier)
	case e.Layer != outcome.Agent && e.Layer != outcome.Orchestrator:
		return fmt.Errorf("tool %q: layer must be agent or orchestrator", e.Tool)
	case e.Lookup && e.Keys == NoKeys:
		return fmt.Errorf("tool %q: a lookup by key needs key support", e.Tool)
	case e.LookupLag < 0 || e.LookupLag > 0 && !e.Lookup:
		return fmt.Errorf("tool %q: a lookup lag needs a lookup, and must not be negative", e.Tool)
	}
	return nil
}

// Registry is the runtime-queryable set of registered tools. It is safe for
// concurrent reads once built; build it before sharing it.
type Registry struct {
	base   map[string]Entry
	tenant map[string]map[string]Entry // tenant -> tool -> entry
}

// New returns a registry holding entries.
func New(entries ...Entry) (*Registry, error) {
	r := &Registry{base: map[string]Entry{}, tenant: map[string]map[string]Entry{}}
	for _, e := range entries {
		if err := r.Register(e); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Register adds a tool. Registering a tool twice is an error.
func (r *Registry) Register(e Entry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if _, ok := r.base[e.Tool]; ok {
		return fmt.Errorf("tool %q is registered twice", e.Tool)
	}
	r.base[e.Tool] = e
	return nil
}

// Override sets a tenant's entry for a tool registered with TenantOverride.
func (r *Registry) Override(tenant string, e Entry) error {
	base, ok := r.base[e.Tool]
	switch {
	case !ok:
		return fmt.Errorf("override for %q: %w", e.Tool, ErrUnregistered)
	case !base.TenantOverride:
		return fmt.Errorf("override for %q: the tool is not registered with the tenant-override flag", e.Tool)
	case tenant == "":
		return fmt.Errorf("override for %q: empty tenant", e.Tool)
	}
	e.TenantOverride = true
	if err := e.Validate(); err != nil {
		return err
	}
	if r.tenant[tenant] == nil {
		r.tenant[tenant] = map[string]Entry{}
	}
	r.tenant[tenant][e.Tool] = e
	return nil
}

// Lookup returns the entry the engine must use for tool on behalf of tenant:
// the tenant's override where one exists, the system entry otherwise.
func (r *Registry) Lookup(tool, tenant string) (Entry, error) {
	if e, ok := r.tenant[tenant][tool]; ok {
		return e, nil
	}
	return r.Base(tool)
}

// Base returns the system entry for tool, ignoring tenant overrides.
func (r *Registry) Base(tool string) (Entry, error) {
	e, ok := r.base[tool]
	if !ok {
		return Entry{}, fmt.Errorf("%q: %w", tool, ErrUnregistered)
	}
	return e, nil
}

// Tools lists the registered tool names in order.
func (r *Registry) Tools() []string {
	names := make([]string, 0, len(r.base))
	for n := range r.base {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tenants lists the tenants that have overrides, in order.
func (r *Registry) Tenants() []string {
	names := make([]string, 0, len(r.tenant))
	for n := range r.tenant {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
