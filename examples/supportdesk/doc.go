// Package supportdesk is an example of a team's own world: the tools its
// refund and ticketing agents call, its three customers and their
// contracts, its workflows (world.yaml), and the retry middleware it runs
// in production written as a policy file (policy.yaml). Its test runs both,
// as the team's CI would:
//
//	chaosrun run --world examples/supportdesk/world.yaml --policy reference
//	chaosrun run --world examples/supportdesk/world.yaml --policy examples/supportdesk/policy.yaml
//
// The reference holds every invariant in this world; the team's middleware
// does not, and the counterexample names the team's own tools.
package supportdesk
