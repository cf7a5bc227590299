package fakehttp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/outcome"
)

// chunksOf returns how many chunks the world streams for a call.
func chunksOf(t *testing.T, c engine.Call) int {
	t.Helper()
	var d deliveries
	c.Deliver = d.deliver
	if _, err := fakes.NewWorld(nil).Invoke(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return d.n()
}

func TestStreamDeliversEveryChunkThenTheResponse(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	c := call(fakes.LLMComplete)
	want, err := fakes.NewWorld(nil).Invoke(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var d deliveries
	c.Deliver = d.deliver
	got, err := e.client.Invoke(e.ctx, c)
	if err != nil || got != want {
		t.Fatalf("Invoke = %+v, %v; want %+v", got, err, want)
	}
	n := chunksOf(t, c)
	if !slices.Equal(d.indexes, seq(n)) {
		t.Errorf("delivered chunks %v, want %v", d.indexes, seq(n))
	}
	if e.count(fakes.Usage) != 1 {
		t.Errorf("%d usage records, want 1", e.count(fakes.Usage))
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func TestLayoutIsMeasuredAndHoldsThroughAProxy(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	l := e.srv.Layout()
	if l.HeaderBytes <= 0 || l.ChunkBytes != 128+len("80\r\n")+len("\r\n") {
		t.Fatalf("layout %+v: want a head and 134-byte chunks", l)
	}
	got, err := fakehttp.Calibrate(e.ctx, cutProxy(t, e.srv.Addr(fakes.LLMComplete), -1))
	if err != nil || got != l {
		t.Errorf("Calibrate through a proxy = %+v, %v; want %+v", got, err, l)
	}
	if _, err := fakehttp.Calibrate(e.ctx, e.srv.Addr(fakes.InsertRecord)); err == nil {
		t.Error("Calibrate against a tool that does not stream succeeded")
	}
}

// A proxy that cuts the answer after a number of bytes, as Toxiproxy's
// limit_data does, cuts a real generation after the number of chunks the
// layout predicts.
func TestCutAfterLayoutBytesDeliversExactlyKChunks(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	l := e.srv.Layout()
	c := call(fakes.LLMComplete)
	n := chunksOf(t, c)
	cases := []struct {
		name   string
		cut    int
		want   string
		chunks int
	}{
		{"inside the head", l.HeaderBytes / 2, "reset", 0},
		{"right after the head", l.HeaderBytes, "stream-cut", 0},
		{"inside the done record", l.HeaderBytes + n*l.ChunkBytes + 10, "stream-cut", n},
	}
	for k := range n {
		cases = append(cases,
			struct {
				name   string
				cut    int
				want   string
				chunks int
			}{fmt.Sprintf("Cut(%d)", k), l.Cut(k), "stream-cut", k},
			struct {
				name   string
				cut    int
				want   string
				chunks int
			}{fmt.Sprintf("at the end of chunk %d", k), l.HeaderBytes + k*l.ChunkBytes, "stream-cut", k})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cl := e.via(fakes.LLMComplete, cutProxy(t, e.srv.Addr(fakes.LLMComplete), tc.cut), nil)
			var d deliveries
			c := c
			c.Deliver = d.deliver
			_, err := cl.Invoke(e.ctx, c)
			if got := kindOf(err); got != tc.want {
				t.Fatalf("cut after %d bytes: %v\ntyped %s, want %s", tc.cut, err, got, tc.want)
			}
			if !slices.Equal(d.indexes, seq(tc.chunks)) {
				t.Errorf("cut after %d bytes: delivered %v, want %v", tc.cut, d.indexes, seq(tc.chunks))
			}
		})
	}
}

func TestStreamTimesOutMidGeneration(t *testing.T) {
	t.Parallel()
	// The head and the first chunk go out at once, the second long after the
	// client's timeout.
	e := setup(t, &fakehttp.ServerOpts{ChunkInterval: 4 * timeout}, &fakehttp.ClientOpts{Timeout: 2 * timeout})
	c := call(fakes.LLMComplete)
	n := chunksOf(t, c)
	var d deliveries
	c.Deliver = d.deliver
	_, err := e.client.Invoke(e.ctx, c)
	if kindOf(err) != "stream-cut" {
		t.Fatalf("Invoke: %v, want a stream cut", err)
	}
	if d.n() != 1 {
		t.Errorf("%d of %d chunks delivered before a timeout mid-generation, want 1", d.n(), n)
	}
}

func TestGarbledAnswerIsABadResponseAfterTheToolActed(t *testing.T) {
	t.Parallel()
	e := setup(t, &fakehttp.ServerOpts{Garble: fakehttp.GarbleFunc(func(engine.Call) bool { return true })}, nil)
	c := call(fakes.LLMComplete)
	n := chunksOf(t, c)
	var d deliveries
	c.Deliver = d.deliver
	if _, err := e.client.Invoke(e.ctx, c); kindOf(err) != "bad-response" {
		t.Fatalf("garbled done record: %v, want a bad response", err)
	}
	if d.n() != n {
		t.Errorf("%d of %d chunks delivered: the done record is garbled after the whole generation", d.n(), n)
	}
	if _, err := e.client.Invoke(e.ctx, call(fakes.InsertRecord)); kindOf(err) != "bad-response" {
		t.Fatalf("garbled body: %v, want a bad response", err)
	}
	if e.count(fakes.Applied) != 1 || e.count(fakes.Usage) != 1 {
		t.Errorf("ledger %+v: the tools acted before their answers were garbled", e.world.Ledger().Effects())
	}
}

func TestDeliverFailureStopsTheStream(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"the engine crashed", fmt.Errorf("fault: %w", engine.ErrCrash), "crash"},
		{"the downstream refused", fmt.Errorf("downstream: %w", outcome.ErrRefused), "stream-cut"},
		{"the consumer cut the stream", outcome.ErrStreamCut, "stream-cut"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := deliveries{fail: func(i int) error {
				if i == 1 {
					return tc.err
				}
				return nil
			}}
			c := call(fakes.LLMComplete)
			c.Deliver = d.deliver
			_, err := e.client.Invoke(e.ctx, c)
			if got := kindOf(err); got != tc.want {
				t.Fatalf("Invoke: %v\ntyped %s, want %s", err, got, tc.want)
			}
			if d.n() != 1 {
				t.Errorf("%d chunks delivered, want 1: the stream stops at the failure", d.n())
			}
		})
	}
	t.Run("the caller's context ended", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(e.ctx)
		defer cancel()
		c := call(fakes.LLMComplete)
		c.Deliver = func(int, string) error {
			cancel()
			return ctx.Err()
		}
		if _, err := e.client.Invoke(ctx, c); !errors.Is(err, context.Canceled) || kindOf(err) != "context" {
			t.Fatalf("Invoke: %v, want the context's error", err)
		}
	})
}

func TestStreamWithoutDeliverStillAnswers(t *testing.T) {
	t.Parallel()
	e := setup(t, nil, nil)
	resp, err := e.client.Invoke(e.ctx, call(fakes.LLMComplete))
	if err != nil || resp.Data == "" {
		t.Fatalf("Invoke without Deliver = %+v, %v", resp, err)
	}
}
