package fakehttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/store"
)

// tool serves one tool of the world.
type tool struct {
	name   string
	world  *fakes.World
	opts   *ServerOpts
	stream bool
}

// streams reports whether a tool streams its answer: the catalog says so.
func streams(name string) bool {
	for _, e := range fakes.Entries() {
		if e.Tool == name {
			return e.Streaming
		}
	}
	return false
}

func toolMux(t *tool) http.Handler {
	t.stream = streams(t.name)
	mux := http.NewServeMux()
	mux.HandleFunc(pathInvoke, t.invoke)
	mux.HandleFunc(pathLookup, t.lookup)
	if t.stream {
		mux.HandleFunc(pathCalibrate, calibrate)
	}
	mux.HandleFunc("/", notFound)
	return mux
}

func downstreamMux(w *fakes.World, o *ServerOpts) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pathDeliver, func(rw http.ResponseWriter, r *http.Request) { deliver(w, o, rw, r) })
	mux.HandleFunc("/", notFound)
	return mux
}

// invoke serves POST /invoke: gate, world, answer.
func (t *tool) invoke(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	var wc wireCall
	if !readJSON(w, r, &wc) {
		return
	}
	t.opts.drop(wc.Exec)
	if wc.Tool == "" {
		wc.Tool = t.name
	}
	if wc.Tool != t.name {
		writeError(w, http.StatusNotFound, 0, codeUnknownTool, fmt.Sprintf("this is the %s server; it does not serve %q", t.name, wc.Tool))
		return
	}
	c := wc.call()
	// The world acts on a call it received in full even when the client
	// goes away meanwhile, as a real tool does: a reset after the request
	// was sent must leave the effect applied, not depend on a race.
	ctx := context.WithoutCancel(r.Context())
	if t.opts.Hold != nil {
		t.opts.Hold.Arrived(ctx, t.world, c)
	}
	if t.opts.Gate != nil {
		if code, ra := t.opts.Gate.Gate(c); code != 0 {
			if code < 400 || code > 599 {
				writeError(w, http.StatusInternalServerError, 0, codeGate, fmt.Sprintf("the gate answered %d, which is not an error status", code))
				return
			}
			writeError(w, code, ra, codeGate, http.StatusText(code))
			return
		}
	}
	if t.opts.Hold != nil && t.opts.Hold.Held(c) {
		hold(r)
		return
	}
	if t.stream {
		t.invokeStream(ctx, w, r, c)
		return
	}
	resp, err := t.world.Invoke(ctx, c)
	if err == nil {
		err = t.fail(c)
	}
	if err != nil {
		writeWorldError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, wireResponse{Data: resp.Data, Ref: resp.Ref}, t.garble(c))
}

// hold keeps a held call's connection open, unanswered, until the client
// goes away or the server closes, then closes it without a reply.
func hold(r *http.Request) {
	<-r.Context().Done()
	panic(http.ErrAbortHandler) // no reply at all, not an empty 200
}

// invokeStream answers a streaming tool: one chunk record per chunk,
// flushed as the world makes it, then the done record. The generation stops
// when the client goes away (the world then counts the tokens spent so far).
func (t *tool) invokeStream(ctx context.Context, w http.ResponseWriter, r *http.Request, c engine.Call) {
	sw := newSSEWriter(w)
	client := r.Context()
	c.Deliver = func(i int, text string) error {
		if i > 0 {
			if err := pause(client, t.opts.ChunkInterval); err != nil {
				return fmt.Errorf("the client went away: %w", err)
			}
		}
		if err := client.Err(); err != nil {
			return fmt.Errorf("the client went away: %w", err)
		}
		return sw.chunk(i, text)
	}
	resp, err := t.world.Invoke(ctx, c)
	c.Deliver = nil
	if err == nil {
		err = t.fail(c)
	}
	switch {
	case err != nil && !sw.started:
		writeWorldError(w, err)
	case err != nil:
		_ = sw.event(eventError, errorRecord(err), false)
	default:
		_ = sw.event(eventDone, wireResponse{Data: resp.Data, Ref: resp.Ref}, t.garble(c))
	}
}

// fail is the error the tool answers after acting, if its Failer has one.
func (t *tool) fail(c engine.Call) error {
	if t.opts.Fail == nil {
		return nil
	}
	return t.opts.Fail.Fail(c)
}

func (t *tool) garble(c engine.Call) bool {
	return t.opts.Garble != nil && t.opts.Garble.Garble(c)
}

// lookup serves GET /lookup?tenant=&key=.
func (t *tool) lookup(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	q := r.URL.Query()
	id := store.AttemptID{Tenant: q.Get("tenant"), Exec: q.Get("exec")}
	for _, f := range []struct {
		name string
		v    *int
	}{{"run", &id.Run}, {"step", &id.Step}, {"attempt", &id.Attempt}} {
		if s := q.Get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				writeError(w, http.StatusBadRequest, 0, codeMalformed, fmt.Sprintf("%s must be a number of at least 0, not %q", f.name, s))
				return
			}
			*f.v = n
		}
	}
	res, err := t.world.Lookup(r.Context(), engine.LookupRequest{AttemptID: id, Tool: t.name, Key: q.Get("key")})
	switch {
	case errors.Is(err, fakes.ErrNoLookup):
		writeError(w, http.StatusNotFound, 0, codeNoLookup, err.Error())
	case err != nil:
		writeWorldError(w, err)
	default:
		writeJSON(w, http.StatusOK, wireLookup{Found: res.Found, Refs: res.Refs, Data: res.Response.Data, Ref: res.Response.Ref}, false)
	}
}

// deliver serves the downstream consumer's POST /deliver.
func deliver(world *fakes.World, o *ServerOpts, w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	var wc wireChunk
	if !readJSON(w, r, &wc) {
		return
	}
	o.drop(wc.Exec)
	ch := engine.Chunk{AttemptID: wc.AttemptID, Tool: wc.Tool, Token: wc.Token, Index: wc.Index, Text: wc.Text}
	// A chunk received in full is consumed, as invoke's calls are applied.
	if err := world.Deliver(context.WithoutCancel(r.Context()), ch); err != nil {
		writeWorldError(w, err)
		return
	}
	w.Header()["Date"] = nil
	w.WriteHeader(http.StatusNoContent)
}

// calibrate serves POST /calibrate?chunks=N: a stream framed exactly as a
// generation is, with N synthetic chunks (default 3), that never touches the
// world or its ledger.
func calibrate(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
	n := 3
	if v := r.URL.Query().Get("chunks"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > 64 {
			writeError(w, http.StatusBadRequest, 0, codeMalformed, "chunks must be a number from 1 to 64")
			return
		}
	}
	sw := newSSEWriter(w)
	for i := range n {
		if sw.chunk(i, "calibration") != nil {
			return
		}
	}
	_ = sw.event(eventDone, wireResponse{Data: "calibration"}, false)
}

func notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, 0, "", fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeError(w, http.StatusMethodNotAllowed, 0, "", fmt.Sprintf("%s takes %s, not %s", r.URL.Path, method, r.Method))
	return false
}

// readJSON decodes a request body, answering 400 (or 413) when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, 0, codeMalformed, err.Error())
			return false
		}
		writeError(w, http.StatusBadRequest, 0, codeMalformed, "reading the request: "+err.Error())
		return false
	}
	if err := decodeStrict(body, v); err != nil {
		writeError(w, http.StatusBadRequest, 0, codeMalformed, "malformed request: "+err.Error())
		return false
	}
	return true
}

// writeWorldError answers an error of the world: its status when it has
// one (429 with its Retry-After, 404 for an unknown tool), 422 with the
// code "rejected" for a rejection after acting, 500 otherwise.
func writeWorldError(w http.ResponseWriter, err error) {
	var rj *outcome.RejectedError
	if errors.As(err, &rj) {
		writeError(w, http.StatusUnprocessableEntity, 0, codeRejected, rj.Reason)
		return
	}
	var se *outcome.StatusError
	if errors.As(err, &se) && se.Code >= 400 && se.Code <= 599 {
		writeError(w, se.Code, se.RetryAfter, codeTool, err.Error())
		return
	}
	writeError(w, http.StatusInternalServerError, 0, codeTool, err.Error())
}

// errorRecord is the data of the error record that ends a stream on err.
func errorRecord(err error) wireError {
	var rj *outcome.RejectedError
	if errors.As(err, &rj) {
		return wireError{Error: rj.Reason, Code: codeRejected}
	}
	return wireError{Error: err.Error(), Code: codeTool}
}

func writeError(w http.ResponseWriter, code int, retryAfter time.Duration, errCode, msg string) {
	setRetryAfter(w.Header(), retryAfter)
	writeJSON(w, code, wireError{Error: msg, Code: errCode}, false)
}

// writeJSON writes a whole JSON body with a Content-Length, so that a body
// cut short is told from a complete one. A garbled body is cut in half.
func writeJSON(w http.ResponseWriter, code int, v any, garble bool) {
	body, _ := json.Marshal(v) // the wire types always marshal
	if garble {
		body = body[:len(body)/2]
	}
	h := w.Header()
	h.Set("Content-Type", contentJSON)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h["Date"] = nil
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// pause waits d, or until ctx is done.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	return engine.RealClock.Sleep(ctx, d)
}
