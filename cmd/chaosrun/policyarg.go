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

// ref is how an engine process finds the policy again: its file, or its name.
func (t target) ref() string {
	if t.entry.Source != "" && t.entry.Source != "builtin" {
		return t.entry.Source
	}
	return t.policy.Name()
}

// resolveRef is resolve for an engine process: a reference cannot be a
// usage error there.
func resolveRef(ref string) (policy.Policy, error) {
	t, err := resolve(ref)
	return t.policy, err
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
