package pgstore

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/chaosrun/chaosrun/reference/store"
)

// The documents the store writes on every step (a commit's context values,
// a shared key's writer) and with every execution (its steps and input) are
// encoded here by hand, byte for byte as encoding/json writes them: keys
// sorted, strings escaped alike (HTML characters, U+2028 and U+2029
// included, invalid UTF-8 as U+FFFD), nil maps and slices as null. The
// reflection of json.Marshal was about a twentieth of the client's work on
// a step; the stored text, and what reads it back, do not change.

// valuesJSON encodes a context's values.
func valuesJSON(vs map[string]store.Value) []byte {
	if vs == nil {
		return []byte("null")
	}
	size := 2
	for k, v := range vs {
		size += len(k) + len(v.Data) + 64
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range sortedKeys(vs) {
		if i > 0 {
			b = append(b, ',')
		}
		v := vs[k]
		b = appendString(b, k)
		b = append(b, `:{"data":`...)
		b = appendString(b, v.Data)
		b = append(b, `,"writer":`...)
		b = appendWriter(b, v.Writer)
		b = append(b, '}')
	}
	return append(b, '}')
}

// writerJSON encodes the writer of a value.
func writerJSON(w store.Writer) []byte { return appendWriter(make([]byte, 0, 48), w) }

func appendWriter(b []byte, w store.Writer) []byte {
	b = append(b, `{"run":`...)
	b = strconv.AppendInt(b, int64(w.Run), 10)
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, int64(w.Step), 10)
	b = append(b, `,"attempt":`...)
	b = strconv.AppendInt(b, int64(w.Attempt), 10)
	return append(b, '}')
}

// inputJSON encodes an execution's input.
func inputJSON(in map[string]string) []byte {
	if in == nil {
		return []byte("null")
	}
	b := []byte{'{'}
	for i, k := range sortedKeys(in) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, in[k])
	}
	return append(b, '}')
}

// stepsJSON encodes a workflow's steps.
func stepsJSON(steps []store.Step) []byte {
	if steps == nil {
		return []byte("null")
	}
	b := []byte{'['}
	for i, st := range steps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"tool":`...)
		b = appendString(b, st.Tool)
		b = append(b, `,"writes":`...)
		b = appendStrings(b, st.Writes)
		b = append(b, '}')
	}
	return append(b, ']')
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
