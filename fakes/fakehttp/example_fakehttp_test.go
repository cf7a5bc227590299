package fakehttp_test

import (
	"context"
	"fmt"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/fakehttp"
	"github.com/chaosrun/chaosrun/reference/engine"
	"github.com/chaosrun/chaosrun/reference/store"
)

// Serve a world on loopback, one port per tool, and call insert_record
// through the engine's HTTP client: the effect lands in the world's ledger.
func Example() {
	world := fakes.NewWorld(nil)
	srv, err := fakehttp.Serve(world, nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	client := fakehttp.NewClient(srv.Addr, nil)
	resp, err := client.Invoke(context.Background(), engine.Call{
		AttemptID: store.AttemptID{Tenant: "acme", Exec: "order-7", Step: 0, Attempt: 1},
		Tool:      fakes.InsertRecord,
		Key:       "key:acme/order-7/0",
		Payload:   "request=acme:request:bill order 7\n",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Data, resp.Ref)
	fmt.Println("ledger entries:", world.Ledger().Len())
	// Output:
	// acme:insert_record:ef69e4bc insert_record-1
	// ledger entries: 1
}

// The layout of a streamed answer tells a byte-counting proxy where to cut
// so that exactly k chunks get through.
func ExampleStreamLayout_Cut() {
	srv, err := fakehttp.Serve(fakes.NewWorld(nil), nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	l := srv.Layout()
	fmt.Println("chunk record:", l.ChunkBytes, "bytes")
	fmt.Println("cut for 2 chunks:", l.Cut(2)-l.HeaderBytes, "bytes after the head")
	// Output:
	// chunk record: 134 bytes
	// cut for 2 chunks: 335 bytes after the head
}
