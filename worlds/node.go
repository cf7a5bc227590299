package worlds

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// This file holds the strict reading of YAML nodes that every part of a
// world file goes through, adapted from the policy loader's
// (policies/node.go; policies will import this package, so it cannot be
// shared the other way). One mapping reader refuses unknown and duplicate
// keys, scalar readers refuse a value of the wrong type instead of
// converting it, and the reader records the line of every key under its
// full path, so that a refusal found later, by [World.Validate] on the
// values read, still names its line. YAML's own conversions are loose on
// purpose (a quoted "true" is a string, 5 is not a duration); a world file
// is not.

// field reads the value of one key of a mapping; path is the key's full path
// (e.g. "tools.refund.cost_cents").
type field func(v *yaml.Node, path string) error

// reader walks a document; lines maps every path it read to its line.
type reader struct {
	lines map[string]int
	keys  []keysAt // the `keys` values read, checked once every tool is known
}

// mapping walks mapping n in file order, calling each key's field; names
// are the keys in documentation order. It refuses a node that is not a
// mapping, a key that is not a plain word, a key the schema does not know
// and a key given twice. It returns the line of every key it read.
func (r *reader) mapping(n *yaml.Node, path string, names []string, fields map[string]field) (map[string]int, error) {
	lines := map[string]int{}
	err := r.entries(n, path, func(kn, v *yaml.Node, name string) error {
		f, ok := fields[kn.Value]
		if !ok {
			return errAt(kn, name, "unknown key (valid here: %s)", strings.Join(names, ", "))
		}
		lines[kn.Value] = kn.Line
		return f(v, name)
	})
	return lines, err
}

// entries walks mapping n in file order, calling each for every key with
// its value and full path. It refuses what mapping refuses, but takes any
// key: the keys of tools, tenants and workflows are names.
func (r *reader) entries(n *yaml.Node, path string, each func(kn, v *yaml.Node, name string) error) error {
	if err := mustBe(n, path, yaml.MappingNode); err != nil {
		return err
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" && kn.ShortTag() != "!!int" && kn.ShortTag() != "!!bool" {
			return errAt(kn, path, "a key must be a plain word, found %s", describe(kn))
		}
		name := join(path, kn.Value)
		if line := seen[kn.Value]; line > 0 {
			return errAt(kn, name, "duplicate key (first given at line %d)", line)
		}
		seen[kn.Value] = kn.Line
		r.lines[name] = kn.Line
		if err := noAlias(v, name); err != nil {
			return err
		}
		if err := each(kn, v, name); err != nil {
			return err
		}
	}
	return nil
}

// list walks sequence n, calling each for every item with its full path.
func (r *reader) list(n *yaml.Node, path string, each func(v *yaml.Node, path string) error) error {
	if err := mustBe(n, path, yaml.SequenceNode); err != nil {
		return err
	}
	for i, v := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		r.lines[p] = v.Line
		if err := noAlias(v, p); err != nil {
			return err
		}
		if err := each(v, p); err != nil {
			return err
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// noAlias refuses YAML aliases: a world file says every tool where it is
// described, and an alias could make a small file expand into a huge one.
func noAlias(n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode {
		return errAt(n, path, "YAML aliases (*%s) are not supported in world files; write the value out", n.Value)
	}
	return nil
}

func mustBe(n *yaml.Node, path string, kind yaml.Kind) error {
	if n.Kind == kind {
		return nil
	}
	want := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[kind]
	return errAt(n, path, "want %s, found %s", want, describe(n))
}

// describe names what a node is, for "want X, found Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", n.Value)
	case "!!int", "!!float":
		return "the number " + n.Value
	case "!!bool":
		return "the boolean " + n.Value
	case "!!null":
		return "nothing (null)"
	}
	return fmt.Sprintf("a value tagged %s", n.ShortTag())
}

// scalar checks that n is a scalar with one of the given YAML tags.
func scalar(n *yaml.Node, path, want string, tags ...string) error {
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, n.ShortTag()) {
		return nil
	}
	return errAt(n, path, "want %s, found %s", want, describe(n))
}

func str(n *yaml.Node, path string) (string, error) {
	if err := scalar(n, path, "a string", "!!str"); err != nil {
		return "", err
	}
	return n.Value, nil
}

func boolean(n *yaml.Node, path string) (bool, error) {
	if err := scalar(n, path, "a boolean (true or false)", "!!bool"); err != nil {
		return false, err
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, errAt(n, path, "%v", err)
	}
	return b, nil
}

// integer reads a whole number within [lo, hi].
func integer(n *yaml.Node, path string, lo, hi int) (int, error) {
	if err := scalar(n, path, "a whole number", "!!int"); err != nil {
		return 0, err
	}
	var i int
	if err := n.Decode(&i); err != nil || i < lo || i > hi {
		return 0, errAt(n, path, "%s is not within %d..%d", n.Value, lo, hi)
	}
	return i, nil
}

// duration reads a Go duration such as 100ms, 2s or 1m30s within [0, hi];
// 0 needs no unit.
func duration(n *yaml.Node, path string, hi time.Duration) (time.Duration, error) {
	if err := scalar(n, path, "a duration such as 100ms or 10s", "!!str", "!!int"); err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		return 0, errAt(n, path, "%q is not a duration such as 100ms or 10s", n.Value)
	case d < 0:
		return 0, errAt(n, path, "negative duration %s", n.Value)
	case d > hi:
		return 0, errAt(n, path, "%s is longer than %s", n.Value, hi)
	}
	return d, nil
}

// enum reads one of a closed set of spellings (a string) and returns its
// parsed value.
func enum[T any](parse func(string) (T, error)) func(*yaml.Node, string) (T, error) {
	return func(n *yaml.Node, path string) (T, error) {
		s, err := str(n, path)
		if err != nil {
			var zero T
			return zero, err
		}
		v, err := parse(s)
		if err != nil {
			return v, errAt(n, path, "%v", err)
		}
		return v, nil
	}
}

// oneOf builds a parser for a closed set of spellings.
func oneOf[T any](kind string, names []string, values []T) func(string) (T, error) {
	return func(s string) (T, error) {
		if i := slices.Index(names, s); i >= 0 {
			return values[i], nil
		}
		var zero T
		return zero, fmt.Errorf("unknown %s %q (valid: %s)", kind, s, strings.Join(names, ", "))
	}
}

// anyOf reads a scalar or a non-empty list of scalars without repeats. Each
// item is read by one.
func anyOf[T comparable](r *reader, n *yaml.Node, path string, one func(*yaml.Node, string) (T, error)) ([]T, error) {
	if n.Kind != yaml.SequenceNode {
		if err := mustBe(n, path, yaml.ScalarNode); err != nil {
			return nil, errAt(n, path, "want a value or a list of values, found %s", describe(n))
		}
		v, err := one(n, path)
		return []T{v}, err
	}
	if len(n.Content) == 0 {
		return nil, errAt(n, path, "an empty list says nothing; leave the key out")
	}
	var out []T
	err := r.list(n, path, func(it *yaml.Node, p string) error {
		if it.Kind != yaml.ScalarNode {
			return errAt(it, p, "want a value, found %s", describe(it))
		}
		v, err := one(it, p)
		if err == nil && slices.Contains(out, v) {
			err = errAt(it, p, "%s is listed twice", it.Value)
		}
		out = append(out, v)
		return err
	})
	return out, err
}

// set adapts a reader of one value to a field that stores it.
func set[T any](dst *T, read func(*yaml.Node, string) (T, error)) field {
	return func(v *yaml.Node, path string) (err error) {
		*dst, err = read(v, path)
		return err
	}
}
