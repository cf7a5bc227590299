package fakehttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
)

// ClientOpts configures a [Client]. The zero value (or nil) means a two
// second timeout per call.
type ClientOpts struct {
	// Timeout bounds the answer to one call, from the moment its request
	// has been written (default 2s; zero or less means the default). The
	// connect and the write of the request get as long again.
	Timeout time.Duration
}

// Client is the engine's side of the wire: an [engine.Invoker],
// [engine.Lookuper] and [engine.Downstream] that reaches each tool, and the
// downstream consumer, at the address its name resolves to. It opens a
// fresh connection for every call, never retries, and types every failure
// in the vocabulary of package outcome (see the package documentation). It
// is safe for concurrent use.
type Client struct {
	addrs   func(name string) string
	timeout time.Duration
	rt      *http.Transport
}

var (
	_ engine.Invoker    = (*Client)(nil)
	_ engine.Lookuper   = (*Client)(nil)
	_ engine.Downstream = (*Client)(nil)
)

// NewClient returns a client that finds the server for a tool (or for
// [Downstream]) at addrs(name), a host:port; "" means there is none.
// [Servers.Addr] is such a function, and so is a proxy's table.
func NewClient(addrs func(name string) string, opts *ClientOpts) *Client {
	timeout := 2 * time.Second
	if opts != nil && opts.Timeout > 0 {
		timeout = opts.Timeout
	}
	return &Client{addrs: addrs, timeout: timeout, rt: newTransport()}
}

// newTransport returns the client's transport: one connection per call, so
// that a fault applied around one call hits that call only and the
// transport's own retry of requests on reused connections can never fire;
// no proxy from the environment, no compression, no HTTP/2. The connect
// has no timeout of its own: the call's timer bounds it.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            (&net.Dialer{}).DialContext,
		DisableKeepAlives:      true,
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Invoke implements [engine.Invoker]: POST /invoke on the tool's server. A
// streamed answer is handed to c.Deliver chunk by chunk as it arrives.
func (cl *Client) Invoke(ctx context.Context, c engine.Call) (engine.Response, error) {
	if err := ctx.Err(); err != nil {
		return engine.Response{}, err
	}
	if cl.addrs(c.Tool) == "" {
		// As the in-process world answers a tool it does not have.
		return engine.Response{}, fmt.Errorf("%s: no server for the tool: %w", c.Tool, outcome.Status(http.StatusNotFound, 0))
	}
	body, err := json.Marshal(toWire(c))
	if err != nil {
		return engine.Response{}, fmt.Errorf("%s: encode the call: %w", c.Tool, err)
	}
	x, resp, err := cl.send(ctx, c.Tool, http.MethodPost, pathInvoke, body)
	if err != nil {
		return engine.Response{}, err
	}
	defer x.close(resp)
	if resp.StatusCode >= 300 {
		return engine.Response{}, x.status(resp, x.errorBody(resp))
	}
	if isStream(resp) {
		return x.stream(resp, c.Deliver)
	}
	var wr wireResponse
	if err := x.decode(resp, &wr); err != nil {
		return engine.Response{}, err
	}
	return engine.Response{Data: wr.Data, Ref: wr.Ref}, nil
}

// Lookup implements [engine.Lookuper]: GET /lookup on the tool's server. An
// operation that did not happen is a result (Found false), not an error; a
// tool that answers no lookups gives an error wrapping [fakes.ErrNoLookup].
func (cl *Client) Lookup(ctx context.Context, r engine.LookupRequest) (engine.LookupResult, error) {
	if err := ctx.Err(); err != nil {
		return engine.LookupResult{}, err
	}
	if cl.addrs(r.Tool) == "" {
		return engine.LookupResult{}, fmt.Errorf("%s for %s: no server for the tool: %w", r.Tool, r.Tenant, fakes.ErrNoLookup)
	}
	// The lookup names the attempt that makes it, as the world's quirks
	// are decided per attempt (the reconciliation worker's is attempt 0).
	q := url.Values{"tenant": {r.Tenant}, "key": {r.Key}, "exec": {r.Exec},
		"run": {strconv.Itoa(r.Run)}, "step": {strconv.Itoa(r.Step)}, "attempt": {strconv.Itoa(r.Attempt)}}
	x, resp, err := cl.send(ctx, r.Tool, http.MethodGet, pathLookup+"?"+q.Encode(), nil)
	if err != nil {
		return engine.LookupResult{}, err
	}
	defer x.close(resp)
	if resp.StatusCode >= 300 {
		we := x.errorBody(resp)
		if resp.StatusCode == http.StatusNotFound && we.Code == codeNoLookup {
			return engine.LookupResult{}, fmt.Errorf("%s for %s: %w", r.Tool, r.Tenant, fakes.ErrNoLookup)
		}
		return engine.LookupResult{}, x.status(resp, we)
	}
	var wl wireLookup
	if err := x.decode(resp, &wl); err != nil {
		return engine.LookupResult{}, err
	}
	return engine.LookupResult{Found: wl.Found, Refs: wl.Refs, Response: engine.Response{Data: wl.Data, Ref: wl.Ref}}, nil
}

// Deliver implements [engine.Downstream]: POST /deliver on the
// [Downstream] server.
func (cl *Client) Deliver(ctx context.Context, ch engine.Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if cl.addrs(Downstream) == "" {
		return fmt.Errorf("%s: no server: %w", Downstream, outcome.ErrRefused)
	}
	body, err := json.Marshal(wireChunk{AttemptID: ch.AttemptID, Tool: ch.Tool, Token: ch.Token, Index: ch.Index, Text: ch.Text})
	if err != nil {
		return fmt.Errorf("%s: encode the chunk: %w", Downstream, err)
	}
	x, resp, err := cl.send(ctx, Downstream, http.MethodPost, pathDeliver, body)
	if err != nil {
		return err
	}
	defer x.close(resp)
	if resp.StatusCode >= 300 {
		return x.status(resp, x.errorBody(resp))
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody)); err != nil {
		return x.fail(err)
	}
	return nil
}

// send makes one request and returns its response head, or the failure,
// typed. The caller closes the exchange.
func (cl *Client) send(ctx context.Context, name, method, target string, body []byte) (*exchange, *http.Response, error) {
	addr := cl.addrs(name)
	x := newExchange(ctx, name, addr, cl.timeout)
	req, err := newRequest(x.ctx, method, "http://"+addr+target, body)
	if err != nil { // an address no URL can hold: nothing was sent anywhere
		x.end()
		return nil, nil, fmt.Errorf("%s at %q: %w (%v)", name, addr, outcome.ErrRefused, err)
	}
	resp, err := cl.rt.RoundTrip(req)
	if err != nil {
		err = x.fail(err)
		x.end()
		return nil, nil, err
	}
	x.advance(reading)
	return x, resp, nil
}

func newRequest(ctx context.Context, method, target string, body []byte) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", contentJSON)
	}
	req.Header.Set("Accept", contentJSON+", "+contentStream)
	return req, nil
}

func isStream(resp *http.Response) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return mt == contentStream
}

// readBody reads a whole body: a body cut short is a transport failure,
// one past the bound a bad response.
func (x *exchange) readBody(resp *http.Response) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, x.fail(err)
	}
	if len(body) > maxBody {
		return nil, x.bad("the body", fmt.Errorf("longer than %d bytes", maxBody))
	}
	return body, nil
}

// decode reads and decodes a whole JSON body.
func (x *exchange) decode(resp *http.Response, v any) error {
	body, err := x.readBody(resp)
	if err != nil {
		return err
	}
	if err := decodeStrict(body, v); err != nil {
		return x.bad("the body", err)
	}
	return nil
}

// errorBody reads the body of an error status, if it can: the status alone
// is the answer, so a body that is cut or garbled is only less helpful.
func (x *exchange) errorBody(resp *http.Response) wireError {
	var we wireError
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err == nil {
		_ = json.Unmarshal(body, &we)
	}
	return we
}

// stream reads a stream's records, hands each chunk to deliver as it
// arrives, and returns the done record's response.
func (x *exchange) stream(resp *http.Response, deliver func(int, string) error) (engine.Response, error) {
	x.advance(streaming)
	r := newSSEReader(resp.Body)
	n := 0
	for {
		event, data, err := r.next()
		if errors.Is(err, io.EOF) {
			err = errors.New("the stream ended")
		}
		if err != nil {
			return engine.Response{}, x.fail(fmt.Errorf("after %d chunks: %w", n, err))
		}
		switch event {
		case eventChunk:
			var ev wireEvent
			if err := decodeStrict(data, &ev); err != nil || ev.I != n {
				// The stream is no longer usable before its end: cut.
				return engine.Response{}, x.fail(fmt.Errorf("after %d chunks: chunk record %q is malformed or out of order", n, data))
			}
			if deliver != nil {
				if err := deliver(ev.I, ev.Text); err != nil {
					return engine.Response{}, x.undelivered(n, err)
				}
			}
			n++
		case eventDone:
			var wr wireResponse
			if err := decodeStrict(data, &wr); err != nil {
				return engine.Response{}, x.bad(fmt.Sprintf("the done record after %d chunks", n), err)
			}
			return engine.Response{Data: wr.Data, Ref: wr.Ref}, nil
		case eventError:
			var we wireError
			_ = json.Unmarshal(data, &we)
			if we.Code == codeRejected {
				return engine.Response{}, x.rejected(we)
			}
			return engine.Response{}, x.fail(fmt.Errorf("after %d chunks: the tool stopped: %s", n, we.Error))
		}
	}
}

// undelivered types a chunk the consumer did not take. The stream stops
// there. A crash of the engine and the end of the caller's context pass
// through as they are; any other failure is a stream cut — the generation
// was under way, so it is mid-inference whatever the consumer's own failure
// was (a refused downstream must not make the model call look unsent).
func (x *exchange) undelivered(n int, err error) error {
	if errors.Is(err, engine.ErrCrash) || x.parent.Err() != nil {
		return fmt.Errorf("%s: delivering chunk %d: %w", x.name, n, err)
	}
	return fmt.Errorf("%s: %w (chunk %d not delivered downstream: %v)", x.name, outcome.ErrStreamCut, n, err)
}
