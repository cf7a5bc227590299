package yamlstrict

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Error is a refusal at one place of a document: the line, the key and why.
// It names no file; the loader that reads the file adds it.
type Error struct {
	// Line is 1-based; 0 when the YAML reader could not say.
	Line int
	// Key is the key's full path, e.g. "rules[2].when.phase"; empty for an
	// error of the document as a whole (its YAML syntax).
	Key string
	Msg string
	// Err, when set, classifies the refusal (e.g. policies.ErrTooManyRules).
	Err error
}

// Unwrap returns the refusal's class, if it has one.
func (e *Error) Unwrap() error { return e.Err }

// Error renders the refusal as "line N: key: message"; the line is left
// out when it is 0 and the key when it is empty.
func (e *Error) Error() string {
	s := e.Msg
	if e.Key != "" {
		s = e.Key + ": " + s
	}
	if e.Line > 0 {
		s = "line " + strconv.Itoa(e.Line) + ": " + s
	}
	return s
}

// Render renders a refusal in file as "file:line: key: message", ready to
// print; the line is left out when it is 0 and the key when it is empty. The
// loaders' error types render through it.
func Render(file string, line int, key, msg string) string {
	if line > 0 {
		file += ":" + strconv.Itoa(line)
	}
	return file + ": " + (&Error{Key: key, Msg: msg}).Error()
}

// At returns an [Error] at n's line for the key at path.
func At(n *yaml.Node, path, format string, args ...any) *Error {
	return &Error{Line: n.Line, Key: path, Msg: fmt.Sprintf(format, args...)}
}

// Join returns the full path of key inside the mapping at path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Describe names what a node is, for "want X, found Y" messages.
func Describe(n *yaml.Node) string {
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

// MustBe refuses a node that is not of kind (a mapping, a list or a single
// value).
func MustBe(n *yaml.Node, path string, kind yaml.Kind) error {
	if n.Kind == kind {
		return nil
	}
	want := map[yaml.Kind]string{yaml.MappingNode: "a mapping", yaml.SequenceNode: "a list", yaml.ScalarNode: "a single value"}[kind]
	return At(n, path, "want %s, found %s", want, Describe(n))
}
