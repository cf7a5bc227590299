package policy

import "strings"

// Contract is what a tenant declares about the operations that touch its data
// or systems. The zero Contract declares nothing: the system policy decides.
type Contract struct {
	// NeverRetry: the operation must never be retried automatically.
	NeverRetry bool
	// AtMostOnce: the operation's effect must happen at most once.
	AtMostOnce bool
	// KeyRequired: every call must carry an idempotency key.
	KeyRequired bool
}

// IsZero reports whether the contract declares nothing.
func (c Contract) IsZero() bool { return c == Contract{} }

func (c Contract) String() string {
	var parts []string
	if c.NeverRetry {
		parts = append(parts, "never retry automatically")
	}
	if c.AtMostOnce {
		parts = append(parts, "at most once")
	}
	if c.KeyRequired {
		parts = append(parts, "idempotency key required")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Contracts answers a tenant's contract for a tool.
type Contracts interface {
	Contract(tenant, tool string) Contract
}
