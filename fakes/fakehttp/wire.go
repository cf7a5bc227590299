package fakehttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Paths of the wire protocol.
const (
	pathInvoke    = "/invoke"
	pathLookup    = "/lookup"
	pathDeliver   = "/deliver"
	pathCalibrate = "/calibrate"
)

// Headers of the wire protocol.
const (
	// HeaderRetryAfterMs is the extension header that carries a status's
	// Retry-After in whole milliseconds (rounded up); the standard
	// Retry-After header beside it carries whole seconds (rounded up).
	HeaderRetryAfterMs = "Retry-After-Ms"

	contentJSON   = "application/json"
	contentStream = "text/event-stream"
)

// Error codes carried in the "code" field of an error body.
const (
	codeNoLookup    = "no-lookup"
	codeUnknownTool = "unknown-tool"
	codeMalformed   = "malformed-request"
	codeGate        = "gate"
	codeTool        = "tool-error"
	codeRejected    = "rejected" // the tool acted, then rejected the operation
)

// maxBody bounds every body either end reads (requests, responses, stream lines).
const maxBody = 1 << 20

// wireCall is the body of POST /invoke.
type wireCall struct {
	store.AttemptID
	Tool    string `json:"tool"`
	Key     string `json:"key,omitempty"`
	Token   string `json:"token,omitempty"`
	Payload string `json:"payload"`
	Ref     string `json:"ref,omitempty"`
}

func toWire(c engine.Call) wireCall {
	return wireCall{AttemptID: c.AttemptID, Tool: c.Tool, Key: c.Key, Token: c.Token, Payload: c.Payload, Ref: c.Ref}
}

func (w wireCall) call() engine.Call {
	return engine.Call{AttemptID: w.AttemptID, Tool: w.Tool, Key: w.Key, Token: w.Token, Payload: w.Payload, Ref: w.Ref}
}

// wireResponse is the body of a successful /invoke, and the data of a
// stream's done record.
type wireResponse struct {
	Data string `json:"data"`
	Ref  string `json:"ref"`
}

// wireLookup is the body of a successful /lookup.
type wireLookup struct {
	Found bool     `json:"found"`
	Refs  []string `json:"refs"`
	Data  string   `json:"data"`
	Ref   string   `json:"ref"`
}

// wireChunk is the body of POST /deliver.
type wireChunk struct {
	store.AttemptID
	Tool  string `json:"tool,omitempty"`
	Token string `json:"token,omitempty"`
	Index int    `json:"index"`
	Text  string `json:"text"`
}

// wireEvent is the data of a stream's chunk record. Pad makes every chunk
// record the same size; readers ignore it.
type wireEvent struct {
	I    int    `json:"i"`
	Text string `json:"text"`
	Pad  string `json:"pad,omitempty"`
}

// wireError is the body of every error status, and the data of a stream's
// error record.
type wireError struct {
	Error string `json:"error"`
	Code  string `json:"code,omitempty"`
}

// decodeStrict decodes exactly one JSON value with no unknown fields and
// nothing after it: both ends of the protocol are in this package, so
// anything else is a broken message, not a newer one.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// setRetryAfter writes a delay as Retry-After (whole seconds, rounded up,
// as RFC 9110 asks) and Retry-After-Ms (whole milliseconds, rounded up).
// Rounding up means a client that honours either never comes back early.
func setRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	secs := (d + time.Second - 1) / time.Second
	ms := (d + time.Millisecond - 1) / time.Millisecond
	h.Set("Retry-After", strconv.FormatInt(int64(secs), 10))
	h.Set(HeaderRetryAfterMs, strconv.FormatInt(int64(ms), 10))
}

// retryAfter reads a delay: Retry-After-Ms first (milliseconds, fractions
// allowed), then Retry-After as delay-seconds or as an HTTP date. Anything
// missing, negative or unreadable is no delay.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get(HeaderRetryAfterMs)); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && !math.IsInf(ms, 0) {
			return time.Duration(math.Ceil(ms * float64(time.Millisecond)))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 || secs > math.MaxInt64/int64(time.Second) {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
