package teampolicy

import (
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// New returns the team's policy.
func New() policy.Policy { return ours{} }

type ours struct{}

func (ours) Name() string { return "teampolicy" }

// Architecture: the reference's, with a tighter retry budget.
func (ours) Architecture() policy.Architecture {
	a := policy.DefaultArchitecture()
	a.Budget.MaxRetries = 3
	return a
}

// Decide handles rate limits on the enrichment provider itself and leaves
// everything else to the reference decision tree.
func (ours) Decide(in policy.Input) policy.Decision {
	if in.Entry.Tool == "enrich_contact" && in.Outcome.Class == outcome.RateLimited && in.Retries < 8 {
		return policy.RetryUpTo(8, "the provider asked us to come back later")
	}
	return policy.Reference().Decide(in)
}
