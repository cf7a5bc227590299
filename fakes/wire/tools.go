package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// toolCall is the body of a tool call.
type toolCall struct {
	Op   string         `json:"op"`
	Args map[string]any `json:"args,omitempty"`
	Ref  string         `json:"ref,omitempty"`
}

// toolReply is the body of a tool's successful reply.
type toolReply struct {
	Data string `json:"data"`
	Ref  string `json:"ref"`
}

// lookupReply is the body of a lookup's reply.
type lookupReply struct {
	Found bool     `json:"found"`
	Refs  []string `json:"refs"`
	Data  string   `json:"data"`
	Ref   string   `json:"ref"`
}

// ToolPath returns the path a tool answers on.
func ToolPath(tool string) string { return "/v1/tools/" + tool }

// ToolHandler serves one tool as JSON over HTTP: see the package
// documentation for the protocol.
func (s *Server) ToolHandler(tool string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ToolPath(tool), func(w http.ResponseWriter, r *http.Request) { s.serveCall(w, r, tool) })
	mux.HandleFunc("GET "+ToolPath(tool)+"/lookup", func(w http.ResponseWriter, r *http.Request) { s.serveLookup(w, r, tool) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, codeUnknownTool, fmt.Sprintf("no tool at %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Server) serveCall(w http.ResponseWriter, r *http.Request, tool string) {
	var body toolCall
	op, err := readCall(r, &body)
	if err != nil {
		writeError(w, http.StatusBadRequest, 0, codeMalformed, err.Error())
		return
	}
	if !s.serves(tool) {
		writeError(w, http.StatusNotFound, 0, codeUnknownTool, "no tool "+tool)
		return
	}
	key := r.Header.Get(HeaderIdempotencyKey)
	st, f := s.site(Site{Phase: Call, Tool: tool, Op: op, Key: key, Tenant: op.Tenant})
	done := s.answer(st, f)
	if writeBefore(w, f, done) {
		return
	}
	c := engine.Call{AttemptID: store.AttemptID{Tenant: op.Tenant, Exec: op.Exec, Step: op.Step, Attempt: st.Attempt}, Tool: tool,
		Key: key, Payload: Payload(body.Args), Ref: body.Ref}
	if f.Kind == Zombie {
		s.park(c, op)
		f.then()
		done(Reply{Outcome: "reset; the effect is held back"})
		reset(w)
		return
	}
	resp, err := s.invoke(r.Context(), c)
	if writeAfter(w, r, f, done) {
		return
	}
	if err != nil {
		writeWorldError(w, err, done)
		return
	}
	done(Reply{Status: 200, Result: true, Outcome: "200"})
	writeJSON(w, http.StatusOK, toolReply{Data: resp.Data, Ref: resp.Ref})
	flush(w)
}

func (s *Server) serveLookup(w http.ResponseWriter, r *http.Request, tool string) {
	q := r.URL.Query()
	req := engine.LookupRequest{AttemptID: store.AttemptID{Tenant: q.Get("tenant")}, Tool: tool, Key: q.Get("key")}
	if req.Tenant == "" || req.Key == "" {
		writeError(w, http.StatusBadRequest, 0, codeMalformed, "a lookup needs tenant and key")
		return
	}
	st, f := s.site(Site{Phase: Lookup, Tool: tool, Key: req.Key, Tenant: req.Tenant})
	done := s.answer(st, f)
	if writeBefore(w, f, done) {
		return
	}
	res, err := s.lookup(r.Context(), req, f)
	if writeAfter(w, r, f, done) {
		return
	}
	switch {
	case errors.Is(err, fakes.ErrNoLookup):
		done(Reply{Status: 404, Outcome: "404: no lookups"})
		writeError(w, http.StatusNotFound, 0, codeNoLookup, err.Error())
		return
	case err != nil:
		writeWorldError(w, err, done)
		return
	}
	done(Reply{Status: 200, Result: true, Found: res.Found, Outcome: fmt.Sprintf("200 found=%t", res.Found)})
	writeJSON(w, http.StatusOK, lookupReply{Found: res.Found, Refs: res.Refs, Data: res.Response.Data, Ref: res.Response.Ref})
	flush(w)
}

// readCall decodes a tool call's body strictly and reads its operation id.
func readCall(r *http.Request, body *toolCall) (fakes.Op, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return fakes.Op{}, fmt.Errorf("read the body: %w", err)
	}
	if len(b) > maxBody {
		return fakes.Op{}, errors.New("body over 1 MiB")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(body); err != nil {
		return fakes.Op{}, fmt.Errorf("decode the body: %w", err)
	}
	if dec.More() {
		return fakes.Op{}, errors.New("data after the JSON body")
	}
	return ParseOp(body.Op)
}

// Payload turns a call's arguments into the world's payload: "key=value"
// lines in key order, strings as they are, other values as JSON.
func Payload(args map[string]any) string {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		v, ok := args[k].(string)
		if !ok {
			j, _ := json.Marshal(args[k])
			v = string(j)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	return b.String()
}
