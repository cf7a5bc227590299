package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/policies/inputfile"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reports"
	"github.com/chaosrun/chaosrun/worlds"
)

// target is a policy to explore and where it came from.
type target struct {
	policy policy.Policy
	entry  reports.Entry
}

// loadFile compiles a policy file; a refusal is a usage error whose hint
// names the fix for what went wrong (see fileError).
func loadFile(w *worlds.World, path, fix string, orName bool) (*policy.Rules, error) {
	r, err := policies.LoadFor(w, path)
	if err != nil {
		return nil, fileError(path, err, fix, orName)
	}
	return r, nil
}

// fileError gives a policy file's refusal the hint that fixes it: a path
// that names nothing, a file that cannot be read or is no file at all, one
// too large, or a file whose content is refused (fix is then the hint).
// orName says a built-in policy's name would do instead (--policy).
func fileError(path string, err error, fix string, orName bool) error {
	var hint string
	switch {
	case errors.Is(err, fs.ErrNotExist):
		wd, _ := os.Getwd()
		hint = fmt.Sprintf("check the path (relative paths start at %s)", wd)
		if orName {
			hint += ", or give a built-in policy's name ('chaosrun list policies')"
		}
		return usagef(hint, "policy file %s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		hint = "make the file readable by this user, or copy it somewhere readable"
	case errors.Is(err, inputfile.ErrNotRegular):
		hint = "give a regular file: a directory, a named pipe or a device is not read"
	case errors.Is(err, inputfile.ErrTooLarge), errors.Is(err, policies.ErrTooManyRules):
		hint = fmt.Sprintf("a policy file holds at most 1 MiB and %d rules: merge rules that decide alike (a `when` value may be a list)", policies.MaxRules)
	default:
		hint = fix
	}
	return &usageError{msg: err.Error(), hint: hint}
}

// resolve turns a --policy argument into a policy: a file when the argument
// names one (or ends in .yaml/.yml), a built-in name otherwise.
func resolve(arg string, w *worlds.World) (target, error) {
	if isFile(arg) {
		p, err := loadFile(w, arg, "fix the file, then 'chaosrun lint "+arg+"' explains what it risks", true)
		if err != nil {
			return target{}, err
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
	t, err := resolve(ref, nil)
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

// distinct refuses two policies of one name in one command: their rows, their
// replay lines and their JUnit suites could not be told apart. catalog says
// the command runs the catalog besides the named policies (compare).
func distinct(targets []target, catalog bool) error {
	where := map[string]target{}
	for _, t := range targets {
		name := t.policy.Name()
		prev, dup := where[name]
		if !dup {
			where[name] = t
			continue
		}
		switch {
		case prev.entry.Source == "builtin" && t.entry.Source == "builtin" && catalog:
			return usagef("drop --policy "+name+": compare runs the whole catalog already ('chaosrun run' runs only the named policies)",
				"--policy %s: the catalog's %s is already in the comparison", name, name)
		case prev.entry.Source == "builtin" && t.entry.Source == "builtin":
			return usagef("name each policy once", "--policy %s is given twice", name)
		case prev.entry.Source == "builtin":
			return usagef(fmt.Sprintf("rename the policy in %s (its name: key); compare runs the catalog's %s beside it", t.entry.Source, name),
				"%s names its policy %s, as the catalog does", t.entry.Source, name)
		}
		return usagef("give each policy file its own name: key, or pass the file once",
			"two policies are named %s: %s and %s", name, source(prev), source(t))
	}
	return nil
}

func source(t target) string {
	if t.entry.Source == "builtin" {
		return "the built-in " + t.policy.Name()
	}
	return t.entry.Source
}
