package main

import (
	"fmt"
	"strings"

	"github.com/chaosrun/chaosrun/faults"
	"github.com/chaosrun/chaosrun/invariants"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

var listSections = []string{"policies", "scenarios", "invariants", "faults", "tools", "tenants"}

// list prints the built-in policies, the catalog's workflows, the
// invariants, the fault kinds, the tools and the tenants.
func (e *env) list(args []string) error {
	var world worldArg
	args, err := parseArgs("list", world.flags("list"), args)
	if err != nil {
		return err
	}
	if err := world.load(); err != nil {
		return err
	}
	want := listSections
	if len(args) > 1 {
		return usagef("list one section, or all without argument", "list: too many arguments")
	}
	if len(args) == 1 {
		if !contains(listSections, args[0]) {
			return usagef("one of: "+strings.Join(listSections, ", "), "list: unknown section %q", args[0])
		}
		want = args
	}
	for i, s := range want {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		e.listSection(s, world.space)
	}
	return nil
}

func (e *env) listSection(s string, space *scenarios.Space) {
	cat := space.World()
	w := e.stdout
	fmt.Fprintf(w, "%s:\n", s)
	switch s {
	case "policies":
		for _, p := range policies.Catalog() {
			caught := "nothing: zero violations"
			if len(p.CaughtBy) > 0 {
				ids := make([]string, len(p.CaughtBy))
				for i, id := range p.CaughtBy {
					ids[i] = string(id)
				}
				caught = strings.Join(ids, ", ")
			}
			label := "the five layers"
			if p.Mistake > 0 {
				label = fmt.Sprintf("#%d %s", p.Mistake, p.Summary)
			}
			fmt.Fprintf(w, "  %-24s %s; caught by %s\n", p.Name, label, caught)
		}
	case "scenarios":
		for _, wf := range space.Catalog() {
			fmt.Fprintf(w, "  %-20s %s\n", wf.Name, strings.Join(wf.Tools, " > "))
		}
		fmt.Fprintln(w, "  generated            1-8 steps drawn from the tools, sometimes led by a planner; 1-3 interleaved executions per scenario")
	case "invariants":
		for _, c := range invariants.Checkers() {
			fmt.Fprintf(w, "  %-26s %s\n", c.ID, c.Doc)
		}
	case "faults":
		for _, k := range faults.Kinds() {
			fmt.Fprintf(w, "  %-17s %s\n", k, k.Doc())
		}
	case "tools":
		reg := cat.Registry()
		for _, tool := range reg.Tools() {
			en, _ := reg.Base(tool)
			comp := en.Compensator
			if comp == "" {
				comp = "none"
			}
			fmt.Fprintf(w, "  %-18s %-14s tier %d  keys %-15s lookup %-5v compensator %s\n", tool, en.Class, en.Tier, en.Keys, en.Lookup, comp)
		}
	case "tenants":
		for _, t := range cat.Tenants() {
			fmt.Fprintf(w, "  %-8s %s\n", t, cat.Description(t))
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
