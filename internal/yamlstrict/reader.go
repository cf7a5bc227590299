package yamlstrict

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Field reads the value of one key of a mapping; path is the key's full
// path (e.g. "tools.refund.cost_cents").
type Field func(v *yaml.Node, path string) error

// Reader walks the nodes of one document. Its zero value records nothing
// and names no kind of file; a loader sets Kind.
type Reader struct {
	// Kind names the file in messages, in the singular: "policy file".
	Kind string
	// Lines, when not nil, receives the line of every key and list item
	// read, under its full path, so that a refusal found later, on the
	// values read, can still name its line.
	Lines map[string]int
}

func (r *Reader) record(path string, line int) {
	if r.Lines != nil {
		r.Lines[path] = line
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// Document decodes the one YAML document of data and returns its root
// node. It refuses, with an [Error], a file with no document or an empty one
// (empty is the message), a second document, and a YAML syntax error, at
// the line the YAML reader names.
func (r *Reader) Document(data []byte, empty string) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{Line: 1, Msg: empty}
		}
		return nil, syntaxError(data, err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(data, err)
		}
		return nil, At(&next, "", "a %s holds one YAML document; a second one starts here", r.Kind)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{Line: 1, Msg: empty}
	}
	return doc.Content[0], nil
}

// syntaxError turns the YAML reader's "yaml: line N: ..." into an [Error].
// A refusal of a line indented with a tab is told so, at that line: the
// reader's own word for it ("found character that cannot start any token")
// does not say tab, and it may name the line before.
func syntaxError(data []byte, err error) *Error {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return &Error{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	line, _ := strconv.Atoi(m[1])
	if strings.Contains(msg, "cannot start any token") || strings.Contains(msg, "tab character") {
		lines := bytes.Split(data, []byte("\n"))
		for _, n := range []int{line, line + 1, line - 1} {
			if n >= 1 && n <= len(lines) && tabIndented(lines[n-1]) {
				return &Error{Line: n, Msg: "invalid YAML: the line is indented with a tab; YAML indents with spaces only"}
			}
		}
	}
	if strings.Contains(msg, "did not find expected key") || strings.Contains(msg, "did not find expected '-' indicator") {
		// The reader names the line its block starts on, not the line
		// that broke it: look for that line below.
		if n := misindented(data, line); n > 0 {
			return &Error{Line: n, Msg: "invalid YAML: the line is indented unlike the lines around it (" + msg[len(m[0]):] + ")"}
		}
	}
	return &Error{Line: line, Msg: "invalid YAML: " + msg[len(m[0]):]}
}

// misindented returns the number of the first line, from line from on,
// that is indented less than the line before it but as much as no line it
// could belong with, or 0 if there is none. An item's "- " opens a level at
// its content too; the text of a block scalar (a line ending in | or >) is
// skipped, its indentation being its own.
func misindented(data []byte, from int) int {
	levels := []int{0}
	scalar := -1 // while in a block scalar's text: the indentation of the line that opened it
	for i, raw := range bytes.Split(data, []byte("\n")) {
		text := bytes.TrimRight(raw, " \t\r")
		trimmed := bytes.TrimLeft(text, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		indent := len(text) - len(trimmed)
		if scalar >= 0 && indent > scalar {
			continue
		}
		scalar = -1
		if indent > levels[len(levels)-1] {
			levels = append(levels, indent)
		} else {
			for len(levels) > 1 && levels[len(levels)-1] > indent {
				levels = levels[:len(levels)-1]
			}
			if levels[len(levels)-1] != indent {
				if i+1 >= from {
					return i + 1
				}
				return 0 // above the block the reader names: not what broke it
			}
		}
		for col, rest := indent, trimmed; len(rest) > 1 && rest[0] == '-' && rest[1] == ' '; {
			after := bytes.TrimLeft(rest[1:], " ")
			col += len(rest) - len(after)
			if rest = after; len(rest) > 0 {
				levels = append(levels, col)
			}
		}
		if blockScalar.Match(text) {
			scalar = indent
		}
	}
	return 0
}

// blockScalar matches a line that opens a block scalar: a key's or an
// item's | or >, with its chomping and indentation indicators.
var blockScalar = regexp.MustCompile(`(^|[:\-]\s+)[|>][-+0-9]*(\s+#.*)?$`)

// tabIndented reports whether a line that holds more than blanks has a tab
// in its indentation.
func tabIndented(line []byte) bool {
	indent := line[:len(line)-len(bytes.TrimLeft(line, " \t"))]
	return bytes.IndexByte(indent, '\t') >= 0 && len(bytes.TrimSpace(line)) > 0
}

// Mapping walks mapping n in file order, calling each key's field; names
// are the keys in documentation order. It refuses what [Reader.Entries]
// refuses and a key that fields does not know. It returns the line of every
// key it read.
func (r *Reader) Mapping(n *yaml.Node, path string, names []string, fields map[string]Field) (map[string]int, error) {
	lines := map[string]int{}
	err := r.Entries(n, path, func(kn, v *yaml.Node, name string) error {
		f, ok := fields[kn.Value]
		if !ok {
			return At(kn, name, "unknown key (valid here: %s)", strings.Join(names, ", "))
		}
		lines[kn.Value] = kn.Line
		return f(v, name)
	})
	return lines, err
}

// Entries walks mapping n in file order, calling each for every key with
// its value and full path. It refuses a node that is not a mapping, a key
// that is not a plain word, a key given twice and a value that is an alias,
// but takes any key: the keys of a world's tools, tenants and workflows are
// names.
func (r *Reader) Entries(n *yaml.Node, path string, each func(kn, v *yaml.Node, name string) error) error {
	if err := MustBe(n, path, yaml.MappingNode); err != nil {
		return err
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, v := n.Content[i], n.Content[i+1]
		if kn.Kind != yaml.ScalarNode || kn.ShortTag() != "!!str" && kn.ShortTag() != "!!int" && kn.ShortTag() != "!!bool" {
			return At(kn, path, "a key must be a plain word, found %s", Describe(kn))
		}
		name := Join(path, kn.Value)
		if line := seen[kn.Value]; line > 0 {
			return At(kn, name, "duplicate key (first given at line %d)", line)
		}
		seen[kn.Value] = kn.Line
		r.record(name, kn.Line)
		if err := r.NoAlias(v, name); err != nil {
			return err
		}
		if err := each(kn, v, name); err != nil {
			return err
		}
	}
	return nil
}

// List walks sequence n, calling each for every item with its full path
// (e.g. "rules[2]"). It refuses a node that is not a list and an item that
// is an alias.
func (r *Reader) List(n *yaml.Node, path string, each func(v *yaml.Node, path string) error) error {
	if err := MustBe(n, path, yaml.SequenceNode); err != nil {
		return err
	}
	for i, v := range n.Content {
		p := path + "[" + strconv.Itoa(i) + "]"
		r.record(p, v.Line)
		if err := r.NoAlias(v, p); err != nil {
			return err
		}
		if err := each(v, p); err != nil {
			return err
		}
	}
	return nil
}

// NoAlias refuses a YAML alias: a file says every value where it applies,
// and an alias could make a small file expand into a huge one.
func (r *Reader) NoAlias(n *yaml.Node, path string) error {
	if n.Kind == yaml.AliasNode {
		return At(n, path, "YAML aliases (*%s) are not supported in %ss; write the value out", n.Value, r.Kind)
	}
	return nil
}
