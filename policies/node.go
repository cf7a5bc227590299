package policies

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/reference/policy"
)

// Every part of a policy file goes through the strict reading of YAML nodes
// that world files go through too (internal/yamlstrict): unknown and
// duplicate keys, a value of the wrong type and an alias are refused. A
// policy file's own checks name their lines from what the mapping reader
// returns, so the reader records none.

// strict reads the nodes of a policy file. It holds no state: with no Lines
// to record, every file can share it.
var strict = &yamlstrict.Reader{Kind: "policy file"}

// retries reads a retry limit: a whole number within [lo, hi], or the word
// unlimited.
func retries(n *yaml.Node, path string, lo, hi int) (int, error) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && n.Value == "unlimited" {
		return policy.Unlimited, nil
	}
	if err := yamlstrict.Scalar(n, path, fmt.Sprintf("a whole number (%d..%d) or unlimited", lo, hi), "!!int"); err != nil {
		return 0, err
	}
	return yamlstrict.Integer(n, path, lo, hi)
}

// anyOf reads a scalar or a non-empty list of scalars without repeats: the
// "any of" values of a when-key. Each item is read by one.
func anyOf[T comparable](n *yaml.Node, path string, one func(*yaml.Node, string) (T, error)) ([]T, error) {
	if n.Kind != yaml.SequenceNode {
		if n.Kind != yaml.ScalarNode {
			return nil, yamlstrict.At(n, path, "want a value or a list of values, found %s", yamlstrict.Describe(n))
		}
		v, err := one(n, path)
		if err != nil {
			return nil, err
		}
		return []T{v}, nil
	}
	if len(n.Content) == 0 {
		return nil, yamlstrict.At(n, path, "an empty list matches nothing; leave the key out to match anything")
	}
	var out []T
	err := strict.List(n, path, func(it *yaml.Node, p string) error {
		if it.Kind != yaml.ScalarNode {
			return yamlstrict.At(it, p, "want a value or a list of values, found %s", yamlstrict.Describe(it))
		}
		v, err := one(it, p)
		if err == nil && slices.Contains(out, v) {
			err = yamlstrict.At(it, p, "%s is listed twice", it.Value)
		}
		out = append(out, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
