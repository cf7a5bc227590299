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
		if refused := refusal(fs); refused != nil {
			return nil, refused
		}
		return nil, flagError(cmd, err)
	}
	return pos, nil
}

// refusing is a flag's value that keeps, when it refuses what it is given,
// the usage error that says what the flag takes: the flag package keeps
// only the text of Set's error ("parse error"), inside a message of its own.
type refusing struct {
	flag.Value
	refuse  func(v string) error
	refused error
}

func (r *refusing) Set(v string) error {
	err := r.Value.Set(v)
	if err != nil {
		r.refused = r.refuse(v)
	}
	return err
}

// expect has a flag of fs answer a value it cannot parse with refuse's
// usage error instead of the flag package's. The flag's default and usage
// stay as they are. The flag takes a value: the wrapping would hide a
// boolean flag's IsBoolFlag.
func expect(fs *flag.FlagSet, name string, refuse func(v string) error) {
	f := fs.Lookup(name)
	f.Value = &refusing{Value: f.Value, refuse: refuse}
}

// refusal is the usage error of the value that stopped fs.Parse, if a
// flag given to expect refused it.
func refusal(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if r, ok := f.Value.(*refusing); ok && r.refused != nil {
			err = r.refused
		}
	})
	return err
}

// digits reports whether s is a whole number written in decimal digits.
func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
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
