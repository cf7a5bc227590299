package fakehttp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
)

// StreamLayout is the byte layout of a streamed answer on the wire, for a
// proxy that cuts a stream after a number of bytes (Toxiproxy's
// limit_data): the response head, then one HTTP chunk per chunk record,
// every one the same size.
type StreamLayout struct {
	// HeaderBytes is the response head: status line, headers, blank line.
	HeaderBytes int
	// ChunkBytes is one chunk record as an HTTP chunk: size line, record, CRLF.
	ChunkBytes int
}

// Cut returns where to cut a stream so that exactly k chunks reach the
// client: halfway through record k+1. Any cut from HeaderBytes+k*ChunkBytes
// up to the blank line that ends record k+1 delivers exactly k chunks and is
// a stream cut; a cut inside the head is a reset, with no chunk.
func (l StreamLayout) Cut(k int) int { return l.HeaderBytes + k*l.ChunkBytes + l.ChunkBytes/2 }

// calibrationChunks is how many records a calibration stream carries.
const calibrationChunks = 3

// Calibrate measures the stream layout of the server at addr — a streaming
// tool's server, or a proxy in front of one — by recording the bytes of a
// calibration stream (framed as a generation is, without touching the
// world) as the client's own transport receives them.
func Calibrate(ctx context.Context, addr string) (StreamLayout, error) {
	tape := &tape{}
	rt := newTransport()
	dial := rt.DialContext
	rt.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tapedConn{Conn: conn, tape: tape}, nil
	}
	target := "http://" + addr + pathCalibrate + "?chunks=" + strconv.Itoa(calibrationChunks)
	req, err := newRequest(ctx, http.MethodPost, target, []byte("{}"))
	if err != nil {
		return StreamLayout{}, err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return StreamLayout{}, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return StreamLayout{}, err
	}
	if resp.StatusCode != http.StatusOK || !isStream(resp) {
		return StreamLayout{}, fmt.Errorf("%s answered %s, not a stream", addr, resp.Status)
	}
	return measure(tape.bytes(), calibrationChunks)
}

// measure reads the layout off a recorded response: the head ends at the
// first blank line, then come HTTP chunks, one per record.
func measure(raw []byte, chunks int) (StreamLayout, error) {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return StreamLayout{}, errors.New("no response head")
	}
	l := StreamLayout{HeaderBytes: end + 4}
	var sizes []int
	for rest := raw[l.HeaderBytes:]; ; {
		line, _, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return StreamLayout{}, errors.New("the chunked body ends mid-chunk")
		}
		n, err := strconv.ParseUint(string(line), 16, 31)
		if err != nil {
			return StreamLayout{}, fmt.Errorf("HTTP chunk size %q: %w", line, err)
		}
		if n == 0 {
			break
		}
		frame := len(line) + 2 + int(n) + 2
		if frame > len(rest) {
			return StreamLayout{}, errors.New("the chunked body ends mid-chunk")
		}
		if bytes.HasPrefix(rest[len(line)+2:], []byte("event: "+eventChunk+"\n")) {
			sizes = append(sizes, frame)
		}
		rest = rest[frame:]
	}
	if len(sizes) != chunks {
		return StreamLayout{}, fmt.Errorf("%d chunk records arrived in %d HTTP chunks of their own; want one each", chunks, len(sizes))
	}
	for _, s := range sizes {
		if s != sizes[0] {
			return StreamLayout{}, fmt.Errorf("chunk records of %v bytes; want one size", sizes)
		}
	}
	l.ChunkBytes = sizes[0]
	return l, nil
}

// tape records the bytes a connection reads.
type tape struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (t *tape) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf.Bytes())
}

type tapedConn struct {
	net.Conn
	tape *tape
}

func (c *tapedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.tape.mu.Lock()
	c.tape.buf.Write(p[:n])
	c.tape.mu.Unlock()
	return n, err
}
