package fakehttp_test

import (
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
)

// BenchmarkInvoke is one invoke round trip on loopback: a fresh connection,
// the request, the world's answer, the JSON decoded.
func BenchmarkInvoke(b *testing.B) {
	e := setup(b, nil, nil)
	c := call(fakes.VectorSearch)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.client.Invoke(e.ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvokeStream is one llm_complete round trip: a stream of chunk
// records, each handed to Deliver, then the done record.
func BenchmarkInvokeStream(b *testing.B) {
	e := setup(b, nil, nil)
	c := call(fakes.LLMComplete)
	c.Deliver = func(int, string) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.client.Invoke(e.ctx, c); err != nil {
			b.Fatal(err)
		}
	}
}
