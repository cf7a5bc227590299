package yamlstrict

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scalar checks that n is a scalar with one of the given YAML tags; want
// says what was wanted, for the message.
func Scalar(n *yaml.Node, path, want string, tags ...string) error {
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, n.ShortTag()) {
		return nil
	}
	return At(n, path, "want %s, found %s", want, Describe(n))
}

// Str reads a string: a quoted or plain scalar YAML does not read as a
// number, a boolean or null.
func Str(n *yaml.Node, path string) (string, error) {
	if err := Scalar(n, path, "a string", "!!str"); err != nil {
		return "", err
	}
	return n.Value, nil
}

// Boolean reads true or false.
func Boolean(n *yaml.Node, path string) (bool, error) {
	if err := Scalar(n, path, "a boolean (true or false)", "!!bool"); err != nil {
		return false, err
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		return false, At(n, path, "%v", err)
	}
	return b, nil
}

// Integer reads a whole number within [lo, hi].
func Integer(n *yaml.Node, path string, lo, hi int) (int, error) {
	if err := Scalar(n, path, "a whole number", "!!int"); err != nil {
		return 0, err
	}
	var i int
	if err := n.Decode(&i); err != nil || i < lo || i > hi {
		return 0, At(n, path, "%s is not within %d..%d", n.Value, lo, hi)
	}
	return i, nil
}

// Number reads a finite number, whole or not.
func Number(n *yaml.Node, path string) (float64, error) {
	if err := Scalar(n, path, "a number", "!!int", "!!float"); err != nil {
		return 0, err
	}
	var f float64
	if err := n.Decode(&f); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, At(n, path, "%s is not a finite number", n.Value)
	}
	return f, nil
}

// Duration reads a Go duration such as 100ms, 2s or 1m30s, not negative;
// 0 needs no unit.
func Duration(n *yaml.Node, path string) (time.Duration, error) {
	if err := Scalar(n, path, "a duration such as 100ms or 10s", "!!str", "!!int"); err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(n.Value)
	switch {
	case err != nil:
		return 0, At(n, path, "%q is not a duration such as 100ms or 10s", n.Value)
	case d < 0:
		return 0, At(n, path, "negative duration %s", n.Value)
	}
	return d, nil
}

// DurationAtMost reads a [Duration] within [0, hi].
func DurationAtMost(n *yaml.Node, path string, hi time.Duration) (time.Duration, error) {
	d, err := Duration(n, path)
	if err == nil && d > hi {
		return 0, At(n, path, "%s is longer than %s", n.Value, hi)
	}
	return d, err
}

// Enum reads one of a closed set of spellings (a string) and returns the
// value parse gives it; parse's error is the message.
func Enum[T any](parse func(string) (T, error)) func(*yaml.Node, string) (T, error) {
	return func(n *yaml.Node, path string) (T, error) {
		s, err := Str(n, path)
		if err != nil {
			var zero T
			return zero, err
		}
		v, err := parse(s)
		if err != nil {
			return v, At(n, path, "%v", err)
		}
		return v, nil
	}
}

// OneOf builds a parser for a closed set of spellings: names[i] is
// values[i]; kind names the set in the error.
func OneOf[T any](kind string, names []string, values []T) func(string) (T, error) {
	return func(s string) (T, error) {
		if i := slices.Index(names, s); i >= 0 {
			return values[i], nil
		}
		var zero T
		return zero, fmt.Errorf("unknown %s %q (valid: %s)", kind, s, strings.Join(names, ", "))
	}
}

// Set adapts a reader of one value to a [Field] that stores it in dst.
func Set[T any](dst *T, read func(*yaml.Node, string) (T, error)) Field {
	return func(v *yaml.Node, path string) (err error) {
		*dst, err = read(v, path)
		return err
	}
}

// AnyOf reads a scalar or a non-empty list of scalars without repeats, each
// read by one. empty is the refusal of an empty list; item says what an item
// of the list must be ("a value").
func AnyOf[T comparable](r *Reader, n *yaml.Node, path string, one func(*yaml.Node, string) (T, error), empty, item string) ([]T, error) {
	if n.Kind != yaml.SequenceNode {
		if n.Kind != yaml.ScalarNode {
			return nil, At(n, path, "want a value or a list of values, found %s", Describe(n))
		}
		v, err := one(n, path)
		if err != nil {
			return nil, err
		}
		return []T{v}, nil
	}
	if len(n.Content) == 0 {
		return nil, At(n, path, "%s", empty)
	}
	var out []T
	err := r.List(n, path, func(it *yaml.Node, p string) error {
		if it.Kind != yaml.ScalarNode {
			return At(it, p, "want %s, found %s", item, Describe(it))
		}
		v, err := one(it, p)
		if err == nil && slices.Contains(out, v) {
			err = At(it, p, "%s is listed twice", it.Value)
		}
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
