package wire

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/chaosrun/chaosrun/reference/outcome"
)

// HeaderRetryAfterMs carries a status's Retry-After in whole milliseconds
// (rounded up), beside the standard Retry-After in whole seconds (rounded
// up): openai-go reads it first.
const HeaderRetryAfterMs = "Retry-After-Ms"

// HeaderIdempotencyKey is the header a request's idempotency key travels in.
const HeaderIdempotencyKey = "Idempotency-Key"

// maxBody bounds every request body read.
const maxBody = 1 << 20

var errRefused = errors.New("connection refused by the fault schedule")

// apiError is the body of every error status, shaped as OpenAI's, so that
// openai-go decodes it into an *openai.Error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code"`
}

// Error codes of the error body.
const (
	codeMalformed   = "malformed_request"
	codeUnknownTool = "unknown_tool"
	codeNoLookup    = "no_lookup"
	codeUnavailable = "unavailable"
	codeRateLimit   = "rate_limit_exceeded"
	codeToolError   = "tool_error"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"message":"cannot encode the reply","type":"server_error","code":"tool_error"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Connection", "close")
	w.WriteHeader(status)
	w.Write(b)
}

// writeError answers an error status; Retry-After goes in both headers.
func writeError(w http.ResponseWriter, status int, retryAfter time.Duration, code, msg string) {
	if retryAfter > 0 {
		secs := int64(math.Ceil(retryAfter.Seconds()))
		ms := int64(math.Ceil(float64(retryAfter) / float64(time.Millisecond)))
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		w.Header().Set(HeaderRetryAfterMs, strconv.FormatInt(ms, 10))
	}
	typ := "server_error"
	if status < 500 {
		typ = "invalid_request_error"
	}
	writeJSON(w, status, apiError{Error: apiErrorBody{Message: msg, Type: typ, Code: code}})
}

// The writers below tell done how the request is answered just before the
// reply goes, so that the record of an answer is ordered before whatever
// the client does once it has it.

// writeBefore answers a fault that comes before the world acts; it reports
// whether there was one.
func writeBefore(w http.ResponseWriter, f Fault, done func(Reply)) bool {
	switch f.Kind {
	case Unavailable, Outage:
		f.then()
		done(Reply{Status: 503, RetryAfter: f.RetryAfter, Outcome: "503 before the tool acted"})
		writeError(w, http.StatusServiceUnavailable, f.RetryAfter, codeUnavailable, "the tool is unavailable")
	case RateLimit:
		f.then()
		done(Reply{Status: 429, RetryAfter: f.RetryAfter, Outcome: "429 before the tool acted"})
		writeError(w, http.StatusTooManyRequests, f.RetryAfter, codeRateLimit, "rate limit exceeded")
	case Refuse:
		f.then()
		done(Reply{Outcome: "reset before the tool acted"})
		reset(w)
	default:
		return false
	}
	return true
}

// writeWorldError answers an error the world returned.
func writeWorldError(w http.ResponseWriter, err error, done func(Reply)) {
	var se *outcome.StatusError
	if errors.As(err, &se) {
		code := codeToolError
		if se.Code == http.StatusTooManyRequests {
			code = codeRateLimit
		}
		done(Reply{Status: se.Code, RetryAfter: se.RetryAfter, Outcome: strconv.Itoa(se.Code) + " from the tool"})
		writeError(w, se.Code, se.RetryAfter, code, err.Error())
		return
	}
	done(Reply{Status: 500, Outcome: "500 from the tool"})
	writeError(w, http.StatusInternalServerError, 0, codeToolError, err.Error())
}

// writeAfter answers a fault that comes after the world acted, in place
// of the reply; it reports whether there was one.
func writeAfter(w http.ResponseWriter, r *http.Request, f Fault, done func(Reply)) bool {
	f.then()
	switch f.Kind {
	case Reset, Zombie, StreamCut:
		done(Reply{Outcome: "reset after the tool acted"})
		reset(w)
	case Timeout:
		hold(r.Context(), f.Hold)
		done(Reply{Outcome: "no reply after the tool acted"})
		reset(w)
	case Status:
		done(Reply{Status: f.Status, Outcome: strconv.Itoa(f.Status) + " after the tool acted"})
		writeError(w, f.Status, 0, codeToolError, "the tool failed")
	default:
		return false
	}
	return true
}

// noRecord is done for a reply nobody records.
func noRecord(Reply) {}

// hold waits until the client gives up (ctx is done), or d passes (d > 0):
// a reply that never comes, over HTTP and over MCP alike.
func hold(ctx context.Context, d time.Duration) {
	var after <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		after = t.C
	}
	select {
	case <-ctx.Done():
	case <-after:
	}
}

// reset aborts the connection with an RST after what was already flushed:
// on memnet through its Cut, so that the client reads every byte sent
// before the error, whatever the goroutines' timing; on TCP with a zero
// linger.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // the server closes the connection
	}
	switch c := conn.(type) {
	case interface{ Cut() }:
		c.Cut()
	case *net.TCPConn:
		c.SetLinger(0)
		c.Close()
	default:
		c.Close()
	}
}

// flush pushes what was written to the client.
func flush(w http.ResponseWriter) {
	http.NewResponseController(w).Flush()
}
