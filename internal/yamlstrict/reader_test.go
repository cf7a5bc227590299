package yamlstrict_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
)

// read reads data's document with a schema of two keys, a (a whole number)
// and b (a list of strings), recording lines.
func read(t *testing.T, data string) (map[string]int, error) {
	t.Helper()
	r := &yamlstrict.Reader{Kind: "test file", Lines: map[string]int{}}
	root, err := r.Document([]byte(data), "empty test file")
	if err != nil {
		return nil, err
	}
	var a int
	var b []string
	_, err = r.Mapping(root, "", []string{"a", "b"}, map[string]yamlstrict.Field{
		"a": yamlstrict.Set(&a, func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 0, 9) }),
		"b": func(v *yaml.Node, p string) error {
			return r.List(v, p, func(v *yaml.Node, p string) error {
				s, err := yamlstrict.Str(v, p)
				b = append(b, s)
				return err
			})
		},
	})
	return r.Lines, err
}

func TestReaderRefusesWithLineKeyAndMessage(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, data, want string }{
		{"unknown key", "a: 1\nc: 2\n", "line 2: c: unknown key (valid here: a, b)"},
		{"duplicate key", "a: 1\na: 2\n", "line 2: a: duplicate key (first given at line 1)"},
		{"key not a word", "[x]: 1\n", "line 1: a key must be a plain word, found a list"},
		{"alias", "a: &n 1\nb:\n  - *n\n", "line 3: b[0]: YAML aliases (*n) are not supported in test files; write the value out"},
		{"wrong type", "a: \"1\"\n", `line 1: a: want a whole number, found the string "1"`},
		{"out of range", "a: 10\n", "line 1: a: 10 is not within 0..9"},
		{"not a list", "b: x\n", `line 1: b: want a list, found the string "x"`},
		{"not a mapping", "- 1\n", "line 1: want a mapping, found a list"},
		{"empty", "# nothing\n", "line 1: empty test file"},
		{"second document", "a: 1\n---\na: 2\n", "line 2: a test file holds one YAML document; a second one starts here"},
		{"syntax", "a: [\n", "line 1: invalid YAML: did not find expected node content"},
		{"misindented key", "b:\n  - x:\n      y: 1\n     z: 2\n", "line 4: invalid YAML: the line is indented unlike the lines around it (did not find expected key)"},
		{"misindented item", "b:\n  - a: 1\n   c: 2\n", "line 3: invalid YAML: the line is indented unlike the lines around it (did not find expected '-' indicator)"},
		{"tab", "b:\n  - x\n\t- y\n", "line 3: invalid YAML: the line is indented with a tab; YAML indents with spaces only"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := read(t, c.data)
			var se *yamlstrict.Error
			if !errors.As(err, &se) || err.Error() != c.want {
				t.Fatalf("got %v, want the *Error %q", err, c.want)
			}
		})
	}
}

// A tab is refused only where the YAML reader refuses the file: one in a
// value, or after the indentation, is the file's business.
func TestReaderTakesATabItDoesNotRefuse(t *testing.T) {
	t.Parallel()
	if _, err := read(t, "b:\n  - \"x\ty\"\na: 1\t# a comment\n"); err != nil {
		t.Fatal(err)
	}
	// A tab in a block scalar's text is the text's: the line the reader
	// refuses further down is named with the reader's own words.
	r := &yamlstrict.Reader{Kind: "test file"}
	_, err := r.Document([]byte("a: |\n  text\n  \tmore\nb:\n  - x\n\t- y\n"), "empty")
	if err == nil || err.Error() != "line 6: invalid YAML: the line is indented with a tab; YAML indents with spaces only" {
		t.Errorf("got %v, want the tab of line 6 named, not line 3's", err)
	}
	_, err = r.Document([]byte("a: |\n  text\n  \tmore\nb: [\n"), "empty")
	if err == nil || strings.Contains(err.Error(), "tab") {
		t.Errorf("got %v, want the reader's own refusal of line 4, which has no tab", err)
	}
}

func TestReaderRecordsTheLineOfEveryPath(t *testing.T) {
	t.Parallel()
	lines, err := read(t, "b:\n  - x\n  - y\na: 3\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"b": 1, "b[0]": 2, "b[1]": 3, "a": 4}
	if len(lines) != len(want) {
		t.Fatalf("lines %v, want %v", lines, want)
	}
	for k, l := range want {
		if lines[k] != l {
			t.Errorf("line of %s = %d, want %d", k, lines[k], l)
		}
	}
}

// node returns the value of the one key of a YAML mapping.
func node(t *testing.T, value string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("k: "+value+"\n"), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0].Content[1]
}

func TestScalarReadersRefuseWhatTheyDoNotConvert(t *testing.T) {
	t.Parallel()
	parse := yamlstrict.OneOf("colour", []string{"red", "blue"}, []int{1, 2})
	for _, c := range []struct {
		name, value, want string
		read              func(*yaml.Node, string) error
	}{
		{"quoted boolean", `"true"`, `k: want a boolean (true or false), found the string "true"`, func(n *yaml.Node, p string) error { _, err := yamlstrict.Boolean(n, p); return err }},
		{"number as string", "5", "k: want a string, found the number 5", func(n *yaml.Node, p string) error { _, err := yamlstrict.Str(n, p); return err }},
		{"infinite number", ".inf", "k: .inf is not a finite number", func(n *yaml.Node, p string) error { _, err := yamlstrict.Number(n, p); return err }},
		{"duration without unit", "5", `k: "5" is not a duration such as 100ms or 10s`, func(n *yaml.Node, p string) error { _, err := yamlstrict.Duration(n, p); return err }},
		{"negative duration", "-1s", "k: negative duration -1s", func(n *yaml.Node, p string) error { _, err := yamlstrict.Duration(n, p); return err }},
		{"duration too long", "2h", "k: 2h is longer than 1h0m0s", func(n *yaml.Node, p string) error { _, err := yamlstrict.DurationAtMost(n, p, time.Hour); return err }},
		{"unknown spelling", "green", `k: unknown colour "green" (valid: red, blue)`, func(n *yaml.Node, p string) error { _, err := yamlstrict.Enum(parse)(n, p); return err }},
		{"null for a mapping", "~", "k: want a mapping, found nothing (null)", func(n *yaml.Node, p string) error { return yamlstrict.MustBe(n, p, yaml.MappingNode) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.read(node(t, c.value), "k")
			if err == nil || err.Error() != "line 1: "+c.want {
				t.Fatalf("got %v, want %q", err, "line 1: "+c.want)
			}
		})
	}
}

func TestScalarReadersAcceptTheirType(t *testing.T) {
	t.Parallel()
	d, err := yamlstrict.DurationAtMost(node(t, "1m30s"), "k", time.Hour)
	if err != nil || d != 90*time.Second {
		t.Errorf("DurationAtMost(1m30s) = %v, %v", d, err)
	}
	if d, err := yamlstrict.Duration(node(t, "0"), "k"); err != nil || d != 0 {
		t.Errorf("Duration(0) = %v, %v; 0 needs no unit", d, err)
	}
	v, err := yamlstrict.Enum(yamlstrict.OneOf("colour", []string{"red", "blue"}, []int{1, 2}))(node(t, "blue"), "k")
	if err != nil || v != 2 {
		t.Errorf("Enum(blue) = %v, %v", v, err)
	}
}

func TestAZeroReaderRecordsNothing(t *testing.T) {
	t.Parallel()
	var r yamlstrict.Reader
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("- 1\n- 2\n"), &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := r.List(doc.Content[0], "xs", func(*yaml.Node, string) error { n++; return nil }); err != nil || n != 2 || r.Lines != nil {
		t.Fatalf("List = %v after %d items, lines %v", err, n, r.Lines)
	}
}

func TestErrorUnwrapsToItsClass(t *testing.T) {
	t.Parallel()
	class := errors.New("too many")
	var err error = &yamlstrict.Error{Line: 2, Key: "rules", Msg: "1001 rules", Err: class}
	if !errors.Is(err, class) || err.Error() != "line 2: rules: 1001 rules" {
		t.Fatalf("got %v, want it to wrap its class", err)
	}
}

func TestRenderNamesFileLineAndKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		file      string
		line      int
		key, want string
	}{
		{"ours.yaml", 3, "rules[0].do", "ours.yaml:3: rules[0].do: m"},
		{"ours.yaml", 0, "", "ours.yaml: m"},
		{"", 3, "do", ":3: do: m"},
	} {
		if got := yamlstrict.Render(c.file, c.line, c.key, "m"); got != c.want {
			t.Errorf("Render(%q, %d, %q) = %q, want %q", c.file, c.line, c.key, got, c.want)
		}
	}
}

func TestAnyOfReadsOneValueOrAListWithoutRepeats(t *testing.T) {
	t.Parallel()
	r := &yamlstrict.Reader{Kind: "test file"}
	one := func(v *yaml.Node, p string) (int, error) { return yamlstrict.Integer(v, p, 0, 9) }
	read := func(value string) ([]int, error) {
		return yamlstrict.AnyOf(r, node(t, value), "k", one, "an empty list", "a number")
	}
	if got, err := read("3"); err != nil || len(got) != 1 || got[0] != 3 {
		t.Errorf("AnyOf(3) = %v, %v", got, err)
	}
	if got, err := read("[3, 4]"); err != nil || len(got) != 2 || got[1] != 4 {
		t.Errorf("AnyOf([3, 4]) = %v, %v", got, err)
	}
	for value, want := range map[string]string{
		"[]":       "line 1: k: an empty list",
		"[3, 3]":   "line 1: k[1]: 3 is listed twice",
		"[3, [4]]": "line 1: k[1]: want a number, found a list",
		"{a: 1}":   "line 1: k: want a value or a list of values, found a mapping",
		"[3, 10]":  "line 1: k[1]: 10 is not within 0..9",
	} {
		if got, err := read(value); err == nil || err.Error() != want || got != nil {
			t.Errorf("AnyOf(%s) = %v, %v; want the refusal %q", value, got, err, want)
		}
	}
}
