package policies

import (
	"embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/policies/inputfile"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/worlds"
)

// files are the catalog's policy files, one per entry of [Catalog].
//
//go:embed *.yaml
var files embed.FS

// ErrTooManyRules classifies the refusal of a file of more than [MaxRules]
// rules.
var ErrTooManyRules = errors.New("too many rules")

// ErrNotBuiltin is returned by [Builtin] for a name that has no policy file.
var ErrNotBuiltin = errors.New("no built-in policy file")

// Error is a policy file's refusal: the file, the line, the key and why.
// Its Error method renders it as "file:line: key: message", ready to print.
type Error struct {
	File string
	// Line is 1-based; 0 when the YAML reader could not say.
	Line int
	// Key is the key's full path, e.g. "rules[2].when.phase"; empty for an
	// error of the file as a whole (its YAML syntax).
	Key string
	Msg string
	// Err, when set, classifies the refusal (ErrTooManyRules).
	Err error
}

// Unwrap returns the refusal's class, if it has one.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string { return yamlstrict.Render(e.File, e.Line, e.Key, e.Msg) }

// MaxRules is the most rules a policy file may hold: some hundred times a
// catalog file's. The linter evaluates every rule on every failure the world
// produces, so the bound also keeps [Lint] fast.
const MaxRules = 1000

// Load reads and parses a policy file. See [Parse]. The file must be a
// regular file of at most [inputfile.MaxSize] bytes (1 MiB): a directory, a
// named pipe or a device is refused without being read, with an error
// wrapping [inputfile.ErrNotRegular] or [inputfile.ErrTooLarge]; a path that
// cannot be opened gives open(2)'s error (fs.ErrNotExist, ...).
func Load(path string) (*policy.Rules, error) { return LoadFor(nil, path) }

// LoadFor reads and parses a policy file against the world w (nil: the
// built-in one): its `tool:` and `tenant:` values must name w's. See [Parse];
// the file is read as [Load] reads it.
func LoadFor(w *worlds.World, path string) (*policy.Rules, error) {
	data, err := inputfile.Read(path, inputfile.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("read policy file: %w", err)
	}
	return ParseFor(w, path, data)
}

// Builtin returns the catalog's policy file for name (reference,
// naive-backoff, ...), parsed.
func Builtin(name string) (*policy.Rules, error) {
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("%q: %w (built in: %s)", name, ErrNotBuiltin, strings.Join(Names(), ", "))
	}
	return Parse(name+".yaml", data)
}

// Parse reads a policy file. filename is only used in errors. It is strict:
// an unknown key, a value of the wrong type, a bad value or a rule that can
// never apply is refused with an *[Error] naming the line and the key, and
// no policy is returned.
func Parse(filename string, data []byte) (*policy.Rules, error) { return ParseFor(nil, filename, data) }

// ParseFor is [Parse] against the world w (nil: the built-in one): the
// names a rule's `tool:`, `tenant:` and `idempotency_keys` give must be w's.
func ParseFor(w *worlds.World, filename string, data []byte) (*policy.Rules, error) {
	v, err := worldOf(w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filename, err)
	}
	r, err := parse(v, data)
	if err != nil {
		var pe *Error
		var se *yamlstrict.Error
		switch {
		case errors.As(err, &se):
			pe = &Error{Line: se.Line, Key: se.Key, Msg: se.Msg, Err: se.Err}
		case !errors.As(err, &pe):
			pe = &Error{Msg: err.Error()}
		}
		pe.File = filename
		return nil, pe
	}
	return r, nil
}

func parse(v *world, data []byte) (*policy.Rules, error) {
	root, err := strict.Document(data, "empty policy file: it needs at least a name and rules")
	if err != nil {
		return nil, err
	}
	return readFile(v, root)
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// readFile reads the document's top level. Keys are read in file order;
// checks that tie rules to the architecture run once everything is read.
func readFile(v *world, root *yaml.Node) (*policy.Rules, error) {
	r := &policy.Rules{Arch: policy.DefaultArchitecture()}
	var rules []ruleSource
	names := []string{"name", "description", "architecture", "budget", "backoff", "rules"}
	fields := map[string]yamlstrict.Field{
		"name": func(v *yaml.Node, path string) (err error) {
			if r.PolicyName, err = yamlstrict.Str(v, path); err == nil && !validName.MatchString(r.PolicyName) {
				err = yamlstrict.At(v, path, "%q is not a policy name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", r.PolicyName)
			}
			return err
		},
		"description": func(v *yaml.Node, path string) (err error) {
			r.Description, err = yamlstrict.Str(v, path)
			r.Description = strings.TrimSpace(r.Description)
			return err
		},
		"architecture": func(n *yaml.Node, path string) error { return readArchitecture(v, n, path, &r.Arch) },
		"budget":       func(v *yaml.Node, path string) error { return readBudget(v, path, &r.Arch.Budget) },
		"backoff":      func(v *yaml.Node, path string) error { return readBackoff(v, path, &r.Arch.Backoff) },
		"rules": func(n *yaml.Node, path string) (err error) {
			rules, err = readRules(v, n, path)
			return err
		},
	}
	if root.Kind != yaml.MappingNode {
		return nil, yamlstrict.At(root, "", "a policy file is a mapping of keys (name, architecture, rules, ...), found %s", yamlstrict.Describe(root))
	}
	if _, err := strict.Mapping(root, "", names, fields); err != nil {
		return nil, err
	}
	if r.PolicyName == "" {
		return nil, yamlstrict.At(root, "name", "missing: every policy file names its policy")
	}
	if err := r.Arch.Validate(); err != nil { // unreachable through the readers above; kept as the engine's own check
		return nil, yamlstrict.At(root, "architecture", "%v", err)
	}
	for _, rs := range rules {
		if err := rs.check(r.Arch); err != nil {
			return nil, err
		}
		r.List = append(r.List, rs.rule)
	}
	return r, nil
}
