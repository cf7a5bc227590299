package fakehttp

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfterRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d          time.Duration
		secs, ms   string
		readBackAs time.Duration
	}{
		{1500 * time.Millisecond, "2", "1500", 1500 * time.Millisecond},
		{2 * time.Second, "2", "2000", 2 * time.Second},
		{time.Nanosecond, "1", "1", time.Millisecond},
		{999*time.Millisecond + time.Microsecond, "1", "1000", time.Second},
		{0, "", "", 0},
		{-time.Second, "", "", 0},
	} {
		h := http.Header{}
		setRetryAfter(h, tc.d)
		if h.Get("Retry-After") != tc.secs || h.Get(HeaderRetryAfterMs) != tc.ms {
			t.Errorf("setRetryAfter(%s): Retry-After %q, Retry-After-Ms %q; want %q, %q", tc.d, h.Get("Retry-After"), h.Get(HeaderRetryAfterMs), tc.secs, tc.ms)
		}
		if got := retryAfter(h, time.Now()); got != tc.readBackAs {
			t.Errorf("retryAfter(setRetryAfter(%s)) = %s, want %s (never earlier than sent)", tc.d, got, tc.readBackAs)
		}
	}
}

func TestRetryAfterReadsWhatOthersSend(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ra, ms string
		want   time.Duration
	}{
		{"3", "", 3 * time.Second},
		{"", "250.5", 250500 * time.Microsecond},
		{"3", "120", 120 * time.Millisecond},
		{"3", "soon", 3 * time.Second},
		{now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), "", 0},
		{"-4", "", 0},
		{"later", "", 0},
		{"99999999999999999", "", 0},
		{"", "-5", 0},
	} {
		h := http.Header{}
		if tc.ra != "" {
			h.Set("Retry-After", tc.ra)
		}
		if tc.ms != "" {
			h.Set(HeaderRetryAfterMs, tc.ms)
		}
		if got := retryAfter(h, now); got != tc.want {
			t.Errorf("Retry-After %q, Retry-After-Ms %q: %s, want %s", tc.ra, tc.ms, got, tc.want)
		}
	}
}

func TestChunkRecordsAreAllOneSize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		i    int
		text string
	}{
		{0, ""}, {7, "acme:chunk-7"}, {123456, "initech:chunk-123456"},
		{1, `quotes " and \ and <html> and ünïcode`}, {999999, strings.Repeat("x", 64)},
	} {
		rec := appendChunkEvent(nil, tc.i, tc.text)
		if len(rec) != eventBytes {
			t.Errorf("record of chunk %d %q is %d bytes, want %d", tc.i, tc.text, len(rec), eventBytes)
		}
		event, data, err := newSSEReader(strings.NewReader(string(rec))).next()
		var ev wireEvent
		if err != nil || event != eventChunk || decodeStrict(data, &ev) != nil || ev.I != tc.i || ev.Text != tc.text {
			t.Errorf("record %q reads back as %q %+v, %v", rec, event, ev, err)
		}
	}
	long := strings.Repeat("y", 200)
	rec := appendChunkEvent(nil, 1, long)
	_, data, _ := newSSEReader(strings.NewReader(string(rec))).next()
	var ev wireEvent
	if err := decodeStrict(data, &ev); err != nil || ev.Text != long {
		t.Errorf("an oversized chunk is not sent whole: %v", err)
	}
}

func TestSSEReaderDispatchesOnlyCompleteRecords(t *testing.T) {
	t.Parallel()
	in := ": a comment\nevent: chunk\nid: 1\ndata: {\"a\":\ndata: 1}\n\nevent: done\ndata: {}"
	r := newSSEReader(strings.NewReader(in))
	event, data, err := r.next()
	if err != nil || event != "chunk" || string(data) != "{\"a\":\n1}" {
		t.Fatalf("first record: %q %q %v", event, data, err)
	}
	if event, data, err := r.next(); err != io.EOF {
		t.Errorf("a record without its blank line was dispatched: %q %q %v", event, data, err)
	}
}

func TestGarbledRecordIsCompleteAndUndecodable(t *testing.T) {
	t.Parallel()
	rec := appendEvent(nil, eventDone, wireResponse{Data: "acme:llm:1234", Ref: ""}, true)
	event, data, err := newSSEReader(strings.NewReader(string(rec))).next()
	if err != nil || event != eventDone {
		t.Fatalf("garbled record reads as %q, %v: it must be complete", event, err)
	}
	if json.Unmarshal(data, new(wireResponse)) == nil {
		t.Errorf("garbled record %q decodes", data)
	}
}
