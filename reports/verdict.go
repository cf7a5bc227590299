package reports

import (
	"fmt"
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
)

// Verdicts, from the most to the least alarming. A catalog mistake is
// expected to violate the invariants it is caught by: "caught" is what it
// should say. A policy that is not a catalog mistake should say "clean".
const (
	VerdictUnsafe    = "UNSAFE"
	VerdictNotCaught = "NOT caught"
	VerdictUndecided = "undecided"
	VerdictCaught    = "caught"
	VerdictClean     = "clean"
)

var verdictOrder = []string{VerdictUnsafe, VerdictNotCaught, VerdictUndecided, VerdictCaught, VerdictClean}

// Verdict says, in a word or two, what the exploration concluded.
func Verdict(p Policy) string {
	switch {
	case len(p.CaughtBy) > 0 && caughtAll(p):
		return VerdictCaught
	case len(p.CaughtBy) > 0:
		return VerdictNotCaught
	case p.Violated():
		return VerdictUnsafe
	case len(p.Unknown) > 0:
		return VerdictUndecided
	}
	return VerdictClean
}

// Headline is the report's verdict on one line: how many policies were
// explored and what became of them, naming those that need attention, e.g.
// "4 policies, 20 runs each (seed 1, sim): 1 UNSAFE (ours), 2 caught, 1 clean".
func Headline(r *Report) string {
	byVerdict := map[string][]string{}
	for _, p := range r.Policies {
		v := Verdict(p)
		byVerdict[v] = append(byVerdict[v], p.Name)
	}
	var parts []string
	for _, v := range verdictOrder {
		names := byVerdict[v]
		if len(names) == 0 {
			continue
		}
		part := fmt.Sprintf("%d %s", len(names), v)
		if v == VerdictUnsafe || v == VerdictNotCaught || v == VerdictUndecided {
			part += " (" + strings.Join(names, ", ") + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing explored")
	}
	return fmt.Sprintf("%s, %s (seed %d, %s): %s",
		plural(len(r.Policies), "policy", "policies"), RunsEach(r), r.Seed, r.Mode, strings.Join(parts, ", "))
}

// RunsEach says how many runs each policy got: "500 runs each", or under
// --duration, where the count is each policy's own, "120-340 runs each".
func RunsEach(r *Report) string {
	if r.RunsPerPolicy > 0 || len(r.Policies) == 0 {
		return fmt.Sprintf("%d runs each", r.RunsPerPolicy)
	}
	lo, hi := r.Policies[0].Runs, r.Policies[0].Runs
	for _, p := range r.Policies[1:] {
		lo, hi = min(lo, p.Runs), max(hi, p.Runs)
	}
	if lo == hi {
		return fmt.Sprintf("%d runs each", lo)
	}
	return fmt.Sprintf("%d-%d runs each", lo, hi)
}

// Expected reports whether the policy's catalog mistake must break the invariant.
func (p Policy) Expected(id invariants.ID) bool { return slices.Contains(p.CaughtBy, id) }

func caughtAll(p Policy) bool {
	for _, id := range p.CaughtBy {
		if p.Violations[id] == 0 {
			return false
		}
	}
	return true
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func money(cents int) string { return fmt.Sprintf("$%d.%02d", cents/100, cents%100) }

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// joinIDs joins invariant ids with sep.
func joinIDs(ids []invariants.ID, sep string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, sep)
}
