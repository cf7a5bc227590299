package pgstore

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"

	"github.com/chaosrun/chaosrun/reference/store"
)

// text draws strings json.Marshal has to escape: quotes, backslashes,
// control and HTML characters, U+2028 and U+2029, invalid UTF-8.
var text = rapid.OneOf(
	rapid.String(),
	rapid.StringOf(rapid.SampledFrom([]rune{'"', '\\', '<', '>', '&', '\n', '\b', '\f', '\t', '\r', 0, 0x1f, 0x7f, 'é', '\u2028', '\u2029', '\ufffd', 'a'})),
	rapid.Map(rapid.SliceOf(rapid.Byte()), func(b []byte) string { return string(b) }),
)

var writer = rapid.Custom(func(t *rapid.T) store.Writer {
	return store.Writer{Run: rapid.Int().Draw(t, "run"), Step: rapid.IntRange(-1, 1<<20).Draw(t, "step"), Attempt: rapid.Int().Draw(t, "attempt")}
})

func sameAsMarshal(t *rapid.T, got []byte, v any) {
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// The store's documents are what json.Marshal writes, byte for byte.
func TestDocumentsEncodeAsJSONMarshalDoes(t *testing.T) {
	t.Parallel()
	t.Run("values", rapid.MakeCheck(func(t *rapid.T) {
		vs := rapid.MapOf(text, rapid.Custom(func(t *rapid.T) store.Value {
			return store.Value{Data: text.Draw(t, "data"), Writer: writer.Draw(t, "writer")}
		})).Draw(t, "values")
		if rapid.Bool().Draw(t, "nil") {
			vs = nil
		}
		sameAsMarshal(t, valuesJSON(vs), vs)
	}))
	t.Run("writer", rapid.MakeCheck(func(t *rapid.T) {
		w := writer.Draw(t, "writer")
		sameAsMarshal(t, writerJSON(w), w)
	}))
	t.Run("input", rapid.MakeCheck(func(t *rapid.T) {
		in := rapid.MapOf(text, text).Draw(t, "input")
		if rapid.Bool().Draw(t, "nil") {
			in = nil
		}
		sameAsMarshal(t, inputJSON(in), in)
	}))
	t.Run("steps", rapid.MakeCheck(func(t *rapid.T) {
		steps := rapid.SliceOf(rapid.Custom(func(t *rapid.T) store.Step {
			st := store.Step{Tool: text.Draw(t, "tool"), Writes: rapid.SliceOf(text).Draw(t, "writes")}
			if rapid.Bool().Draw(t, "nil writes") {
				st.Writes = nil
			}
			return st
		})).Draw(t, "steps")
		if rapid.Bool().Draw(t, "nil") {
			steps = nil
		}
		sameAsMarshal(t, stepsJSON(steps), steps)
	}))
}
