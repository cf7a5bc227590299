package fakehttp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// eventBytes is the size of every chunk record on the wire, event line and
// blank line included. A record is padded up to it, so that a proxy that
// cuts a stream after a number of bytes cuts it after a known number of
// chunks (see [StreamLayout]). A chunk whose text does not fit — more than
// 64 bytes once JSON-escaped, which no chunk of the fake world comes near —
// is sent unpadded, and the layout no longer holds for its stream.
const eventBytes = 128

// Event names of a stream.
const (
	eventChunk = "chunk"
	eventDone  = "done"
	eventError = "error"
)

// appendChunkEvent appends chunk record i, padded to eventBytes.
func appendChunkEvent(b []byte, i int, text string) []byte {
	quoted, _ := json.Marshal(text) // a string always marshals
	start := len(b)
	b = append(b, "event: chunk\ndata: {\"i\":"...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ",\"text\":"...)
	b = append(b, quoted...)
	const tail = "\"}\n\n"
	pad := eventBytes - (len(b) - start) - len(",\"pad\":\"") - len(tail)
	if pad < 0 {
		return append(b, "}\n\n"...)
	}
	b = append(b, ",\"pad\":\""...)
	for range pad {
		b = append(b, ' ')
	}
	return append(b, tail...)
}

// appendEvent appends a record whose data is v as JSON. A garbled record is
// complete as a record — it ends with its blank line — but its data is cut
// in half, so it cannot be decoded.
func appendEvent(b []byte, event string, v any, garble bool) []byte {
	data, _ := json.Marshal(v) // the wire types always marshal
	if garble {
		data = data[:len(data)/2]
	}
	b = append(b, "event: "...)
	b = append(b, event...)
	b = append(b, "\ndata: "...)
	b = append(b, data...)
	return append(b, "\n\n"...)
}

// sseWriter writes a stream. The response head goes out with the first
// record, so that a tool failing before its first chunk can still answer
// with a status.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	buf     []byte
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w), buf: make([]byte, 0, 2*eventBytes)}
}

// start writes the response head. Every header is fixed: the head is the
// same number of bytes on every stream.
func (s *sseWriter) start() {
	if s.started {
		return
	}
	s.started = true
	h := s.w.Header()
	h.Set("Content-Type", contentStream)
	h.Set("Cache-Control", "no-cache")
	h["Date"] = nil
	s.w.WriteHeader(http.StatusOK)
}

// send writes one record and flushes it: one record is one HTTP chunk.
func (s *sseWriter) send(record []byte) error {
	s.start()
	if _, err := s.w.Write(record); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseWriter) chunk(i int, text string) error {
	s.buf = appendChunkEvent(s.buf[:0], i, text)
	return s.send(s.buf)
}

func (s *sseWriter) event(event string, v any, garble bool) error {
	s.buf = appendEvent(s.buf[:0], event, v, garble)
	return s.send(s.buf)
}

// sseReader reads the records of a stream, as the SSE specification
// dispatches them: a record counts only once its blank line has arrived.
type sseReader struct {
	sc *bufio.Scanner
}

func newSSEReader(r io.Reader) *sseReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 512), maxBody)
	return &sseReader{sc: sc}
}

// next returns the next complete record. At the end of the stream it
// returns the read error, or io.EOF for a clean end; a record cut short is
// never returned.
func (r *sseReader) next() (event string, data []byte, err error) {
	var seen bool
	for r.sc.Scan() {
		line := r.sc.Bytes()
		if len(line) == 0 {
			if !seen {
				continue
			}
			if event == "" {
				event = "message"
			}
			return event, bytes.TrimSuffix(data, []byte("\n")), nil
		}
		if line[0] == ':' {
			continue // a comment
		}
		field, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(field) {
		case "event":
			event, seen = string(value), true
		case "data":
			data = append(append(data, value...), '\n')
			seen = true
		}
	}
	if err := r.sc.Err(); err != nil {
		return "", nil, err
	}
	return "", nil, io.EOF
}
