package pgstore

import (
	"github.com/segmentio/encoding/json"

	"github.com/chaosrun/chaosrun/reference/store"
)

// The documents the store writes on every step (a commit's context values,
// a shared key's writer) and with every execution (its steps and input) are
// encoded by github.com/segmentio/encoding/json, which writes what
// encoding/json writes, byte for byte (keys sorted, the same escapes, nil
// maps and slices as null: see TestDocumentsEncodeAsJSONMarshalDoes),
// without most of its reflection: encoding/json's was about a twentieth
// of the client's work on a step.

// document encodes v, a value of one of the store's document types, which
// always encode.
func document(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("pgstore: encode a document: " + err.Error())
	}
	return b
}

// valuesJSON encodes a context's values.
func valuesJSON(vs map[string]store.Value) []byte { return document(vs) }

// writerJSON encodes the writer of a shared key.
func writerJSON(w store.Writer) []byte { return document(w) }

// inputJSON encodes an execution's input.
func inputJSON(in map[string]string) []byte { return document(in) }

// stepsJSON encodes an execution's steps.
func stepsJSON(steps []store.Step) []byte { return document(steps) }
