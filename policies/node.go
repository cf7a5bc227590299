package policies

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/reference/policy"
	"go.yaml.in/yaml/v3"
)

// This file holds the strict reading of YAML nodes that every part of a
// policy file goes through: one mapping reader that refuses unknown and
// duplicate keys, and scalar readers that refuse a value of the wrong type
// instead of converting it. YAML's own conversions are loose on purpose (a
// quoted "true" is a string, 5 is not a duration); a policy file is not.

// field reads the value of one key of a mapping; path is the key's full path
// (e.g. "rules[2].when.phase").
type field func(v *yaml.Node, path string) error

// mapping is a mapping's schema: its keys in documentation order.
type mapping struct {
	names  []string
	fields map[string]field
}

func schema(names []string, fields map[string]field) mapping { return mapping{names, fields} }

// read walks mapping n in file order, calling each key's field. It refuses a
// node that is not a mapping, a key that is not a plain string, a key the
// schema does not know and a key given twice. It returns the line of every
// key it read.
func (k mapping) read(n *yaml.Node, path string) (map[string]int, error) {
	if err := mustBe(n, path, yaml.MappingNode); err != nil {
		return nil, err
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" && kn.ShortTag() != "!!int" && kn.ShortTag() != "!!bool" {
			return nil, errAt(kn, path, "a key must be a plain word, found %s", describe(kn))
		}
		name := join(path, kn.Value)
		f, ok := k.fields[kn.Value]
		switch {
		case !ok:
			return nil, errAt(kn, name, "unknown key (valid here: %s)", strings.Join(k.names, ", "))
		case lines[kn.Value] > 0:
			return nil, errAt(kn, name, "duplicate key (first given at line %d)", lines[kn.Value])
		}
		lines[kn.Value] = kn.Line
		if err := noAlias(v, name); err != nil {
			return nil, err
		}
		if err := f(v, name); err != nil {
			return nil, err
		}
	}
	return lines, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// noAlias refuses YAML aliases: a policy file says every rule where it
// applies, and an alias could make a small file expand into a huge one.
func noAlias(n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode {
		return errAt(n, path, "YAML aliases (*%s) are not supported in policy files; write the value out", n.Value)
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

// retries reads a retry limit: a whole number within [lo, hi], or the word
// unlimited.
func retries(n *yaml.Node, path string, lo, hi int) (int, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "unlimited" {
		return policy.Unlimited, nil
	}
	if err := scalar(n, path, fmt.Sprintf("a whole number (%d..%d) or unlimited", lo, hi), "!!int"); err != nil {
		return 0, err
	}
	return integer(n, path, lo, hi)
}

func number(n *yaml.Node, path string) (float64, error) {
	if err := scalar(n, path, "a number", "!!int", "!!float"); err != nil {
		return 0, err
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errAt(n, path, "%s is not a finite number", n.Value)
	}
	return f, nil
}

// duration reads a Go duration such as 100ms, 2s or 1m30s; 0 needs no unit.
func duration(n *yaml.Node, path string) (time.Duration, error) {
	if err := scalar(n, path, "a duration such as 100ms or 10s", "!!str", "!!int"); err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		return 0, errAt(n, path, "%q is not a duration such as 100ms or 10s", n.Value)
	case d < 0:
		return 0, errAt(n, path, "negative duration %s", n.Value)
	}
	return d, nil
}

// enum reads one of names (a string) and returns its parsed value.
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

// anyOf reads a scalar or a non-empty list of scalars without repeats: the
// "any of" values of a when-key. Each item is read by one.
func anyOf[T comparable](n *yaml.Node, path string, one func(*yaml.Node, string) (T, error)) ([]T, error) {
	items, item := []*yaml.Node{n}, func(int) string { return path }
	if n.Kind == yaml.SequenceNode {
		if len(n.Content) == 0 {
			return nil, errAt(n, path, "an empty list matches nothing; leave the key out to match anything")
		}
		items, item = n.Content, func(i int) string { return path + "[" + strconv.Itoa(i) + "]" }
	}
	var out []T
	for i, it := range items {
		if err := noAlias(it, item(i)); err != nil {
			return nil, err
		}
		if it.Kind != yaml.ScalarNode {
			return nil, errAt(it, item(i), "want a value or a list of values, found %s", describe(it))
		}
		v, err := one(it, item(i))
		if err != nil {
			return nil, err
		}
		if slices.Contains(out, v) {
			return nil, errAt(it, item(i), "%s is listed twice", it.Value)
		}
		out = append(out, v)
	}
	return out, nil
}
