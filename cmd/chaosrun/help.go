package main

import (
	"fmt"
	"runtime/debug"
)

const helpText = `chaosrun — chaos testing for AI-agent retry setups

Usage:
  chaosrun                              same as 'chaosrun compare'
  chaosrun compare [flags]              the catalog (reference + seven mistakes) and every --policy; exit 0
  chaosrun run --policy P [flags]       CI gate: exit 1 if any named policy violates any invariant
  chaosrun replay --policy P --seed S   re-run one case; print its timeline and violations
  chaosrun lint FILE.yaml               static checks of a policy file; errors exit 2
  chaosrun list [WHAT]                  policies, scenarios, invariants, fault kinds
  chaosrun merge R1.json R2.json ...    one report from the JSON reports of shards
  chaosrun help [COMMAND]               this text, or one command's

Flags of compare and run:
  --policy NAME|FILE   a built-in policy or a policy file (repeatable)
  --runs N             scenarios per policy (default 500)
  --seed S             first seed; run i uses seed S+i (default 1)
  --duration D         run for D (e.g. 10m) instead of --runs, shared among the policies
  --mode sim|net       sim: deterministic, in one process, on a virtual clock (default);
                       net: real HTTP to the tools and pgx to Postgres through Toxiproxy
  --store memory|DSN   net mode's store (default memory, or CHAOS_PG_DSN when set); on
                       Postgres the engine runs as a child process killed with SIGKILL at crashes
  --shard i/n          run only the i-th of n slices of the seed space (CI matrices)
  --all-faults         enable every fault kind in every scenario (default: a random subset)
  --json FILE          JSON report, schema chaosrun.report/v1
  --markdown FILE      Markdown report (for $GITHUB_STEP_SUMMARY)
  --junit FILE         JUnit XML, a testsuite per policy and a testcase per invariant
  --html FILE          self-contained HTML report with the counterexamples' timelines
  --quiet              print nothing but errors
  --wide               every column in one table, however wide (default: the table fits the
                       terminal, from COLUMNS or stdout's width; a pipe gets the wide table)

Exit status: 0 ok, 1 violations (run, replay), 2 bad usage or bad input.
`

var commandHelp = map[string]string{
	"compare": "chaosrun compare [flags]\n\nRuns the catalog (the reference and the seven mistakes) and every --policy through the same\nscenarios and prints the comparison. Exits 0 unless an error stops it.\n",
	"run":     "chaosrun run --policy NAME|FILE [--policy ...] [flags]\n\nThe CI gate: runs the named policies only and exits 1 if any of them violates any invariant,\nafter writing the requested reports.\n",
	"replay":  "chaosrun replay --policy NAME|FILE --seed S [--all-faults] [--invariant ID] [--no-shrink] [--mode sim|net] [--store DSN]\n\nRe-runs the scenario of one seed deterministically and prints the scenario, its timeline and its\nviolations; then minimises the first violated invariant's counterexample (or --invariant's) and\nprints that too. Exits 1 when the case violates an invariant. With --mode net the scenario runs\nonce over real connections (the same schedule; real timing), without minimisation.\n",
	"lint":    "chaosrun lint FILE.yaml\n\nChecks a policy file against the tool registry and the tenants. Errors exit 2; warnings are\nprinted and exit 0.\n",
	"merge":   "chaosrun merge R1.json R2.json ... [--json F] [--markdown F] [--junit F] [--html F] [--quiet] [--wide]\n\nCombines the JSON reports of the shards of one run (--shard i/n) into one report: counts added,\nthe lowest seed's counterexample kept for each policy and invariant, so that merging every shard\ngives the unsharded report. Refuses, with exit 2, reports of different seeds, runs, modes, stores,\nworlds, policies or chaosrun versions, and shards given twice or overlapping. A merged report keeps\nno timelines: its formats say which shard's reports hold them, and print the replay lines.\n",
	"list":    "chaosrun list [policies|scenarios|invariants|faults]\n\nLists the built-in policies, the catalog's workflows, the invariants and the fault kinds.\n",
}

func (e *env) help(cmd string) error {
	h, ok := commandHelp[cmd]
	if !ok {
		return usagef("run 'chaosrun help' for the commands", "no help for %q", cmd)
	}
	fmt.Fprint(e.stdout, h)
	return nil
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "chaosrun " + bi.Main.Version
	}
	return "chaosrun (devel)"
}
