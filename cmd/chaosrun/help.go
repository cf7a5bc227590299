package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// command is one command's help: its synopsis, what it does, and its flags,
// taken from the flag set the command parses so that help and parsing
// cannot disagree.
type command struct {
	name, synopsis, summary, about string
	flags                          func() *flag.FlagSet // nil: no flags
}

func optionFlags(cmd string) func() *flag.FlagSet {
	return func() *flag.FlagSet { return (&options{outputs: map[string]string{}}).flags(cmd) }
}

// reportFiles says where a report flag's FILE may lead.
const reportFiles = "A report's FILE is replaced whole, all the reports of a run together or none of them; a\n" +
	"symbolic link is followed to its target. - or /dev/stdout writes the report on stdout (the\n" +
	"summary then goes to stderr); a device or a named pipe is written through."

var commands = []command{
	{"compare", "chaosrun compare [flags]", "the catalog and every --policy, side by side; exit 0",
		"The catalog (the reference and the seven mistakes) and every --policy, through the same\n" +
			"scenarios, side by side. Exits 0 unless an error stops it. 'chaosrun' alone is 'chaosrun compare'.\n\n" +
			reportFiles, optionFlags("compare")},
	{"run", "chaosrun run --policy P [flags]", "CI gate: exit 1 on any violation, 3 if inconclusive",
		"The CI gate: the named policies only. Exits 1 if any of them violates any invariant, after\n" +
			"writing the requested reports. Exits 3 (inconclusive) if none does, but some reachable cell of\n" +
			"the fault model (tenant x tool x phase x fault kind) never received a fault, or some invariant\n" +
			"could not be decided in some run: stderr and the reports say which. The first half of the runs\n" +
			"draws swarm fault schedules, the second half is aimed at the cells the first left without a\n" +
			"fault. Two policies of one name are refused.\n\n" + reportFiles, optionFlags("run")},
	{"replay", "chaosrun replay --policy P --seed S", "re-run one case; print its timeline and violations, minimised",
		"Re-runs the scenario of one seed deterministically and prints the scenario, its timeline and\n" +
			"its violations; then minimises the counterexample of the first violated invariant (or\n" +
			"--invariant's) and prints that too. Exits 1 when the case violates an invariant.",
		func() *flag.FlagSet { return new(replayFlags).flags() }},
	{"lint", "chaosrun lint [--world FILE] FILE.yaml", "static checks of a policy file; errors exit 2",
		"Checks a policy file against the world's tool registry and tenants (the built-in world's, or\n" +
			"--world's), rule by rule. Errors exit 2; warnings are printed and exit 0. A policy file is a\n" +
			"regular file of at most 1 MiB and 1000 rules.", func() *flag.FlagSet { return new(worldArg).flags("lint") }},
	{"merge", "chaosrun merge R1.json R2.json ...", "one report from the JSON reports of shards",
		"Combines the JSON reports of the shards of one run (--shard i/n) into one report: counts added,\n" +
			"the lowest seed's counterexample kept for each policy and invariant, so that merging every shard\n" +
			"gives the unsharded report. Refuses, with exit 2, reports of different seeds, runs, modes, stores,\n" +
			"worlds, policies or chaosrun versions, and shards given twice or overlapping. A merged report keeps\n" +
			"no timelines: its formats say which shard's reports hold them, and print the replay lines. Flags\n" +
			"may come before, between or after the reports.\n\n" + reportFiles,
		func() *flag.FlagSet { return (&options{outputs: map[string]string{}}).mergeFlags() }},
	{"list", "chaosrun list [--world FILE] [SECTION]", "policies, scenarios, invariants, fault kinds, tools, tenants",
		"Lists one section, or all of them, of the built-in world or --world's:\n" + listHelp(), func() *flag.FlagSet { return new(worldArg).flags("list") }},
	{"world", "chaosrun world import-mcp TOOLS.json", "a starting world file from an MCP server's tools/list",
		"import-mcp reads an MCP server's answer to tools/list (the JSON of {\"tools\": [...]}, or the JSON-RPC\n" +
			"response around it) and writes a world file: each tool with the behaviour, class and tier its\n" +
			"annotations give (readOnlyHint, destructiveHint, idempotentHint, openWorldHint; an absent hint\n" +
			"stays unknown, the cautious reading), and comments on what only the team knows: keys, lookups,\n" +
			"compensators, tenants, contracts, workflows. The file loads as it is; worlds/README.md documents it.",
		func() *flag.FlagSet { return new(importFlags).flags() }},
	{"help", "chaosrun help [COMMAND]", "this text, or one command's help and flags",
		"The commands, or one command's help with its flags. -h or --help after a command prints the\nsame.", nil},
	{"version", "chaosrun version", "the version of this binary", "The version of this binary.", nil},
}

// listHelp says what each section of list holds.
func listHelp() string {
	about := map[string]string{
		"policies":   "the built-in policies, the mistake each embodies and what must catch it",
		"scenarios":  "the catalog's workflows, and what generated scenarios are made of",
		"invariants": "the invariants' ids and what each holds to",
		"faults":     "the fault kinds a schedule draws from",
		"tools":      "the fake world's tools: idempotency, tier, keys, lookup, compensator",
		"tenants":    "the tenants and the contracts they declare",
	}
	var b strings.Builder
	for _, s := range listSections {
		fmt.Fprintf(&b, "  %-12s %s\n", s, about[s])
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// printHelp prints the commands, then the flags of compare and run.
func printHelp(w io.Writer) {
	fmt.Fprint(w, "chaosrun — chaos testing for AI-agent retry setups\n\nUsage:\n")
	width := 0 // of the longest synopsis: the summaries start two spaces after it
	for _, c := range commands {
		width = max(width, len(c.synopsis))
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "chaosrun", "same as 'chaosrun compare'")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.synopsis, c.summary)
	}
	fmt.Fprint(w, "\nFlags of compare and run:\n")
	printFlags(w, optionFlags("run")())
	fmt.Fprint(w, "\nExit status: 0 ok, 1 violations (run, replay), 2 bad usage or bad input,\n"+
		"3 inconclusive (run: no violation, but a reachable cell never received a fault or a check\n"+
		"stayed undecided; stderr says which).\n"+
		"A command's flags follow its name (both words of 'world import-mcp') and may come before,\n"+
		"between or after its arguments; -- ends the flags.\n"+
		"Run 'chaosrun help COMMAND' for one command's help and flags.\n")
}

// help prints one command's help.
func (e *env) help(name string) error {
	for _, c := range commands {
		if c.name != name {
			continue
		}
		fmt.Fprintf(e.stdout, "Usage: %s\n\n%s\n", c.synopsis, c.about)
		if c.flags != nil {
			fmt.Fprint(e.stdout, "\nFlags:\n")
			printFlags(e.stdout, c.flags())
		}
		return nil
	}
	return usagef("run 'chaosrun help' for the commands", "no help for %q", name)
}

// printFlags lists a flag set's flags with their meaning and defaults. A
// flag's usage is "ARG\tmeaning" (a flag without argument: the meaning
// alone); a line break in the meaning continues it under itself.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		head := "--" + f.Name
		usage := f.Usage
		if arg, meaning, ok := strings.Cut(usage, "\t"); ok {
			head, usage = head+" "+arg, meaning
		}
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			if !strings.Contains(usage, "(default") {
				usage += " (default " + f.DefValue + ")"
			}
		}
		fmt.Fprintf(w, "  %-22s %s\n", head, strings.ReplaceAll(usage, "\n", "\n"+strings.Repeat(" ", 25)))
	})
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return "chaosrun " + bi.Main.Version
	}
	return "chaosrun (devel)"
}
