package reports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chaosrun/chaosrun/invariants"
)

// Verdicts, from the most to the least alarming. A catalog mistake is
// expected to violate the invariants it is caught by: "caught" is what it
// should say. A policy that is not a catalog mistake should say "clean".
//
// A policy that violated nothing is "inconclusive" rather than "clean"
// while the evidence is thin: some reachable cell of the fault model never
// received a fault, or some invariant could not be decided in some run
// (see [Policy.Inconclusive]); `chaosrun run` exits 3 on it.
const (
	VerdictUnsafe       = "UNSAFE"
	VerdictNotCaught    = "NOT caught"
	VerdictInconclusive = "inconclusive"
	VerdictCaught       = "caught"
	VerdictClean        = "clean"
)

var verdictOrder = []string{VerdictUnsafe, VerdictNotCaught, VerdictInconclusive, VerdictCaught, VerdictClean}

// Verdict says, in a word or two, what the exploration concluded.
func Verdict(p Policy) string {
	switch {
	case len(p.CaughtBy) > 0 && caughtAll(p):
		return VerdictCaught
	case len(p.CaughtBy) > 0:
		return VerdictNotCaught
	case p.Violated():
		return VerdictUnsafe
	case p.Inconclusive():
		return VerdictInconclusive
	}
	return VerdictClean
}

// Inconclusiveness says, in one sentence, why a policy's verdict is
// inconclusive: the reachable cells no fault reached (the first few named)
// and the invariants that could not be decided. It is "" for a policy that
// is not.
func Inconclusiveness(p Policy, ids []invariants.ID) string {
	if !p.Inconclusive() {
		return ""
	}
	var parts []string
	if m := p.Missing(); len(m) > 0 {
		parts = append(parts, fmt.Sprintf("%s of %d reachable never received a fault (%s)",
			plural(len(m), "cell", "cells"), p.Coverage.Reachable, listSome(m, 4)))
	}
	var undecided []string
	for _, id := range ids {
		if n := p.Unknown[id]; n > 0 {
			undecided = append(undecided, fmt.Sprintf("%s in %s", id, plural(n, "run", "runs")))
		}
	}
	if len(undecided) > 0 {
		parts = append(parts, "undecided: "+strings.Join(undecided, ", "))
	}
	return fmt.Sprintf("%s violated nothing, but the evidence is thin: %s", p.Name, strings.Join(parts, "; "))
}

// listSome joins the first n items and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
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
		if v == VerdictUnsafe || v == VerdictNotCaught || v == VerdictInconclusive {
			part += " (" + strings.Join(names, ", ") + ")"
		}
		parts = append(parts, part)
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing explored")
	}
	where := fmt.Sprintf("seed %d, %s", r.Seed, r.Mode)
	if !r.Shard.Whole() && r.Shard.Of > 0 {
		where += ", shard " + r.Shard.String()
	}
	return fmt.Sprintf("%s, %s (%s): %s",
		plural(len(r.Policies), "policy", "policies"), RunsEach(r), where, strings.Join(parts, ", "))
}

// SeedsText says which seeds the report covers: "1-500", and for a shard
// "1-500, every 4th from 2" (shard 2/4) or "1-500, shards 1,3/4".
func SeedsText(r *Report) string {
	s := strconv.FormatUint(r.Seeds.First, 10)
	if r.Seeds.Last > r.Seeds.First {
		s += "-" + strconv.FormatUint(r.Seeds.Last, 10)
	}
	switch sh := r.Shard; {
	case sh.Whole() || sh.Of == 0:
	case len(sh.Parts) == 1:
		s += fmt.Sprintf(", every %s from %d", ordinal(sh.Of), r.Seeds.First+uint64(sh.Parts[0]-1))
	default:
		s += ", shards " + sh.String()
	}
	return s
}

// Provenance says what the exploration ran on, on one line: mode, store,
// world, seeds, shard and chaosrun's version.
func Provenance(r *Report) string {
	s := fmt.Sprintf("%s mode, %s store, world %s, seeds %s, shard %s", r.Mode, r.Store, r.World, SeedsText(r), r.Shard)
	if r.Version != "" {
		s += ", chaosrun " + r.Version
	}
	return s
}

func ordinal(n int) string {
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		return strconv.Itoa(n) + "st"
	case n%10 == 2:
		return strconv.Itoa(n) + "nd"
	case n%10 == 3:
		return strconv.Itoa(n) + "rd"
	}
	return strconv.Itoa(n) + "th"
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
