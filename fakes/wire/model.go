package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// ChatPath is the path of the OpenAI-compatible chat completions endpoint.
const ChatPath = "/v1/chat/completions"

// The world's token model (fakes.World): a prompt costs PromptTokens, each
// chunk generated ChunkTokens. The usage a reply reports follows it.
const (
	PromptTokens = 100
	ChunkTokens  = 25
)

// MetadataOp is the key of the chat request's metadata that carries the
// operation id.
const MetadataOp = "op"

var errCut = errors.New("the stream was cut")

// chatRequest is what the endpoint reads of a chat completion request;
// other fields are accepted and ignored, as a model API does.
type chatRequest struct {
	Model         string            `json:"model"`
	Messages      []chatMessage     `json:"messages"`
	Stream        bool              `json:"stream"`
	StreamOptions *streamOptions    `json:"stream_options"`
	Metadata      map[string]string `json:"metadata"`
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type chatUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

type chatCompletion struct {
	ID      string       `json:"id"`
	Object  string       `json:"object"`
	Created int64        `json:"created"`
	Model   string       `json:"model"`
	Choices []chatChoice `json:"choices"`
	Usage   *chatUsage   `json:"usage,omitempty"`
}

type chatChoice struct {
	Index        int          `json:"index"`
	Message      *chatContent `json:"message,omitempty"`
	Delta        *chatContent `json:"delta,omitempty"`
	FinishReason *string      `json:"finish_reason"`
}

type chatContent struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

func usage(chunks int) *chatUsage {
	u := &chatUsage{PromptTokens: PromptTokens, CompletionTokens: chunks * ChunkTokens}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// ModelHandler serves the OpenAI-compatible chat completions endpoint.
func (s *Server) ModelHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ChatPath, s.serveChat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 0, codeUnknownTool, fmt.Sprintf("no endpoint at %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Server) serveChat(w http.ResponseWriter, r *http.Request) {
	req, op, err := readChat(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, 0, codeMalformed, err.Error())
		return
	}
	tool := fakes.LLMComplete
	if s.modelTool != nil {
		if t := s.modelTool(op); t != "" {
			tool = t
		}
	}
	token := r.Header.Get(HeaderIdempotencyKey)
	st, f := s.site(Site{Phase: Call, Tool: tool, Op: op, Key: token, Tenant: op.Tenant, Stream: req.Stream})
	done := s.answer(st, f)
	if writeBefore(w, f, done) {
		return
	}
	s.mu.Lock()
	s.chats++
	id := "chatcmpl-" + strconv.Itoa(s.chats)
	s.mu.Unlock()
	c := engine.Call{AttemptID: store.AttemptID{Tenant: op.Tenant, Exec: op.Exec, Step: op.Step, Attempt: st.Attempt}, Tool: tool,
		Token: token, Payload: chatPayload(req)}
	base := chatCompletion{ID: id, Created: time.Now().Unix(), Model: req.Model}
	if req.Stream {
		s.stream(w, r, c, f, base, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, done)
		return
	}
	var texts []string
	c.Deliver = func(_ int, text string) error {
		texts = append(texts, text)
		return nil
	}
	if _, err := s.world.Invoke(r.Context(), c); err != nil {
		f.then()
		writeWorldError(w, err, done)
		return
	}
	if writeAfter(w, r, f, done) {
		return
	}
	stop := "stop"
	base.Object = "chat.completion"
	base.Choices = []chatChoice{{Message: &chatContent{Role: "assistant", Content: strings.Join(texts, " ")}, FinishReason: &stop}}
	base.Usage = usage(len(texts))
	// The whole reply reaches the client at once: its chunks are
	// delivered as it goes.
	for i, text := range texts {
		s.downstream(r, c, i, text)
	}
	done(Reply{Status: 200, Result: true, Outcome: fmt.Sprintf("200 with %d chunks", len(texts))})
	writeJSON(w, http.StatusOK, base)
	flush(w)
}

// downstream delivers a chunk that reached the client to the world's
// consumer, when the client is the consumer (Opts.ChunksDownstream).
func (s *Server) downstream(r *http.Request, c engine.Call, i int, text string) {
	if !s.chunks {
		return
	}
	s.world.Deliver(context.WithoutCancel(r.Context()), engine.Chunk{AttemptID: c.AttemptID, Tool: c.Tool, Token: c.Token, Index: i, Text: text})
}

// stream answers with server-sent events, one per chunk the world
// generates, then a finish chunk, a usage chunk if asked, and [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, c engine.Call, f Fault, base chatCompletion, withUsage bool, done func(Reply)) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "close")
	base.Object = "chat.completion.chunk"
	n := 0
	send := func(v chatCompletion) {
		b, _ := json.Marshal(v)
		fmt.Fprintf(w, "data: %s\n\n", b)
		flush(w)
	}
	c.Deliver = func(i int, text string) error {
		if f.Kind == StreamCut && i >= f.Chunks {
			return errCut
		}
		d := &chatContent{Content: text}
		if i > 0 {
			d.Content = " " + text
		} else {
			d.Role = "assistant"
		}
		v := base
		v.Choices = []chatChoice{{Delta: d}}
		send(v)
		s.downstream(r, c, i, text)
		n++
		return nil
	}
	_, err := s.world.Invoke(r.Context(), c)
	switch {
	case errors.Is(err, errCut):
		f.then()
		done(Reply{Outcome: fmt.Sprintf("stream cut after %d chunks", n)})
		reset(w)
		return
	case err != nil:
		f.then()
		done(Reply{Outcome: "stream ended: " + err.Error()})
		return
	}
	if f.Kind == Status {
		f.then()
		done(Reply{Outcome: fmt.Sprintf("error event after %d chunks", n)})
		b, _ := json.Marshal(apiError{Error: apiErrorBody{Message: "the model failed", Type: "server_error", Code: codeToolError}})
		fmt.Fprintf(w, "data: %s\n\n", b)
		return
	}
	if writeAfter(w, r, f, done) {
		return
	}
	done(Reply{Status: 200, Result: true, Outcome: fmt.Sprintf("200 stream of %d chunks", n)})
	stop := "stop"
	v := base
	v.Choices = []chatChoice{{Delta: &chatContent{}, FinishReason: &stop}}
	send(v)
	if withUsage {
		v = base
		v.Choices = []chatChoice{}
		v.Usage = usage(n)
		send(v)
	}
	io.WriteString(w, "data: [DONE]\n\n")
	flush(w)
}

// readChat decodes a chat request and reads the operation id from its
// metadata.
func readChat(r *http.Request) (chatRequest, fakes.Op, error) {
	var req chatRequest
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return req, fakes.Op{}, fmt.Errorf("read the body: %w", err)
	}
	if len(b) > maxBody {
		return req, fakes.Op{}, errors.New("body over 1 MiB")
	}
	if err := json.Unmarshal(b, &req); err != nil {
		return req, fakes.Op{}, fmt.Errorf("decode the body: %w", err)
	}
	if len(req.Messages) == 0 {
		return req, fakes.Op{}, errors.New("messages is empty")
	}
	id, ok := req.Metadata[MetadataOp]
	if !ok {
		return req, fakes.Op{}, errors.New(`metadata has no "op": the request names no operation`)
	}
	op, err := ParseOp(id)
	return req, op, err
}

// chatPayload turns the conversation into the world's payload, one
// "role.N=text" line per message.
func chatPayload(req chatRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "model=%s\n", req.Model)
	for i, m := range req.Messages {
		text := strings.ReplaceAll(contentText(m.Content), "\n", " ")
		fmt.Fprintf(&b, "%s.%d=%s\n", m.Role, i, text)
	}
	return b.String()
}

// contentText reads a message's content: a string, or an array of parts
// whose text parts are joined.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) != nil {
		return ""
	}
	var texts []string
	for _, p := range parts {
		if p.Type == "text" {
			texts = append(texts, p.Text)
		}
	}
	return strings.Join(texts, " ")
}
