package main

import (
	"fmt"

	"github.com/chaosrun/chaosrun/policies"
)

// lint checks a policy file against the registry and the tenants: errors
// exit 2, warnings are printed and exit 0.
func (e *env) lint(args []string) error {
	var w worldArg
	args, err := parseArgs("lint", w.flags("lint"), args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("e.g. chaosrun lint policies/ours.yaml", "lint takes exactly one policy file")
	}
	if err := w.load(); err != nil {
		return err
	}
	path := args[0]
	r, err := loadFile(w.world, path, "fix the line named above; every key is documented in policies/README.md", false)
	if err != nil {
		return err
	}
	findings, err := policies.LintFor(w.world, r)
	if err != nil {
		return err
	}
	errs := 0
	for _, f := range findings {
		sep := ":" // path:line: severity: ...
		if f.Line == 0 {
			sep = ": "
		}
		fmt.Fprintf(e.stdout, "%s%s%s\n", path, sep, f)
		if f.Severity == policies.SeverityError {
			errs++
		}
	}
	if errs > 0 {
		return usagef("fix the errors above; warnings alone exit 0", "%s: %d lint error(s)", path, errs)
	}
	fmt.Fprintf(e.stdout, "%s: no errors\n", path)
	return nil
}
