package policies

import (
	"fmt"

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
