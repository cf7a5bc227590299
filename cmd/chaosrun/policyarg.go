package main

import (
	"os"
	"strings"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reports"
)

// target is a policy to explore and where it came from.
type target struct {
	policy policy.Policy
	entry  reports.Entry
}

// loadFile compiles a policy file; its errors name the file, the line and the key.
func loadFile(path string) (policy.Policy, error) {
	r, err := policies.Load(path)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// resolve turns a --policy argument into a policy: a file when the argument
// names one (or ends in .yaml/.yml), a built-in name otherwise.
func resolve(arg string) (target, error) {
	if isFile(arg) {
		p, err := loadFile(arg)
		if err != nil {
			return target{}, &usageError{msg: err.Error(), hint: "fix the file, then 'chaosrun lint " + arg + "'"}
		}
		return target{policy: p, entry: reports.Entry{Source: arg}}, nil
	}
	e, err := policies.Lookup(arg)
	if err != nil {
		return target{}, usagef("give a built-in name ('chaosrun list policies') or a policy file path", "--policy %s: %v", arg, err)
	}
	return builtin(e), nil
}

func builtin(e policies.Entry) target {
	return target{policy: e.Go(), entry: reports.Entry{Source: "builtin", Mistake: e.Mistake, Summary: e.Summary, CaughtBy: e.CaughtBy}}
}

func isFile(arg string) bool {
	if strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") || strings.ContainsRune(arg, os.PathSeparator) {
		return true
	}
	st, err := os.Stat(arg)
	return err == nil && !st.IsDir()
}
