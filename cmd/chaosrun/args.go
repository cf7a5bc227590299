package main

import (
	"flag"
	"strings"
)

// parseArgs parses a command's arguments with its flag set and returns the
// positional ones. Flags may come before, between or after them, as
// `chaosrun lint ours.yaml --world world.yaml` is typed; `--` ends the
// flags, so that what follows it is positional even where it starts with a
// dash. An error is the command's usage error (see flagError).
func parseArgs(cmd string, fs *flag.FlagSet, args []string) ([]string, error) {
	flags, pos := split(fs, args)
	if err := fs.Parse(flags); err != nil {
		return nil, flagError(cmd, err)
	}
	return pos, nil
}

// split sorts args into flags, with their values, and positional
// arguments, keeping the order of each. It reads a flag as the flag package
// does: `-name` or `--name`, followed by its value unless the flag is a
// boolean one or the value is given as `--name=value`. A flag the set does
// not define, or a malformed one, stays among the flags for fs.Parse to
// refuse. It is done ahead of fs.Parse, because Parse consumes a `--`
// without saying that it stopped there rather than at a positional argument.
func split(fs *flag.FlagSet, args []string) (flags, pos []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(pos, args[i+1:]...)
		case len(a) < 2 || a[0] != '-':
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		// A name with "=value" is no flag's name: its value is in it.
		f := fs.Lookup(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"))
		if f == nil || isBool(f) {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return flags, pos
}

// isBool reports whether a flag takes no value, as the flag package asks.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
