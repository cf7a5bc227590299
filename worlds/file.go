package worlds

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"

	"github.com/chaosrun/chaosrun/internal/yamlstrict"
	"github.com/chaosrun/chaosrun/policies/inputfile"
)

// defaultFile is the built-in world: ten tools, three tenants, eight workflows.
//
//go:embed default.yaml
var defaultFile []byte

// Error is a world's refusal: the file, the line, the key and why. Its
// Error method renders it as "file:line: key: message", ready to print. A
// World built in Go and refused by [World.Validate] has no file and no line.
type Error struct {
	File string
	// Line is 1-based; 0 when unknown.
	Line int
	// Key is the key's full path, e.g. "tools.refund.compensator" or
	// "workflows.triage.steps[2]"; empty for an error of the file as a whole
	// (its YAML syntax).
	Key string
	Msg string
}

func (e *Error) Error() string {
	if e.File == "" { // a World refused by Validate: no file, so no line
		return (&yamlstrict.Error{Key: e.Key, Msg: e.Msg}).Error()
	}
	return yamlstrict.Render(e.File, e.Line, e.Key, e.Msg)
}

// errorf returns an [Error] at key; Parse fills in the file and the line.
func errorf(key, format string, args ...any) *Error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Default returns today's built-in world, the one chaosrun runs in unless
// told otherwise: the file default.yaml in this package, embedded. Each call
// returns a World of its own.
func Default() *World {
	w, err := Parse("default.yaml", defaultFile)
	if err != nil {
		panic(err) // the file is embedded; a test covers it
	}
	return w
}

// Load reads and parses a world file. See [Parse]. The file must be a
// regular file of at most 1 MiB: a directory, a named pipe or a device is
// refused without being read (see policies/inputfile).
func Load(path string) (*World, error) {
	data, err := inputfile.Read(path, inputfile.MaxSize)
	if err != nil {
		return nil, fmt.Errorf("read world file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a world file; filename is only used in errors. It is strict:
// an unknown key, a value of the wrong type, a bad value, and a world that
// [World.Validate] refuses are refused with an *[Error] naming the line and
// the key, and no world is returned.
func Parse(filename string, data []byte) (*World, error) {
	w, err := parse(data)
	if err != nil {
		var we *Error
		var se *yamlstrict.Error
		switch {
		case errors.As(err, &se):
			we = &Error{Line: se.Line, Key: se.Key, Msg: se.Msg}
		case !errors.As(err, &we):
			we = &Error{Msg: err.Error()}
		}
		we.File = filename
		return nil, we
	}
	return w, nil
}

func parse(data []byte) (*World, error) {
	r := newReader()
	root, err := r.Document(data, "empty world file: it needs at least world: v1, a name, tools and tenants")
	if err != nil {
		return nil, err
	}
	w, err := r.world(root)
	if err != nil {
		return nil, err
	}
	if err := r.checkKeys(w); err != nil {
		return nil, err
	}
	if err := w.Validate(); err != nil {
		we := err.(*Error)
		we.Line = r.line(we.Key)
		return nil, we
	}
	return w, nil
}

// line returns the line of key, or of its nearest ancestor that has one.
func (r *reader) line(key string) int {
	for key != "" {
		if l, ok := r.Lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return r.Lines[""]
}
