package worlds

import (
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
)

// A world file goes through the strict reading of YAML nodes that policy
// files go through too (internal/yamlstrict): unknown and duplicate keys,
// a value of the wrong type and an alias are refused. The reader records the
// line of every key under its full path, so that a refusal found later, by
// [World.Validate] on the values read, still names its line.

// reader walks a document; its Lines map every path it read to its line.
type reader struct {
	yamlstrict.Reader
	keys []keysAt // the `keys` values read, checked once every tool is known
}

func newReader() *reader {
	return &reader{Reader: yamlstrict.Reader{Kind: "world file", Lines: map[string]int{}}}
}

// anyOf reads a scalar or a non-empty list of scalars without repeats. Each
// item is read by one.
func anyOf[T comparable](r *reader, n *yaml.Node, path string, one func(*yaml.Node, string) (T, error)) ([]T, error) {
	if n.Kind != yaml.SequenceNode {
		if err := yamlstrict.MustBe(n, path, yaml.ScalarNode); err != nil {
			return nil, yamlstrict.At(n, path, "want a value or a list of values, found %s", yamlstrict.Describe(n))
		}
		v, err := one(n, path)
		return []T{v}, err
	}
	if len(n.Content) == 0 {
		return nil, yamlstrict.At(n, path, "an empty list says nothing; leave the key out")
	}
	var out []T
	err := r.List(n, path, func(it *yaml.Node, p string) error {
		if it.Kind != yaml.ScalarNode {
			return yamlstrict.At(it, p, "want a value, found %s", yamlstrict.Describe(it))
		}
		v, err := one(it, p)
		if err == nil && slices.Contains(out, v) {
			err = yamlstrict.At(it, p, "%s is listed twice", it.Value)
		}
		out = append(out, v)
		return err
	})
	return out, err
}
