package wire_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// A charge whose reply is lost after it landed, then retried without a
// key: the world's ledger holds two charges for one operation.
func ExampleServer_Serve() {
	world := fakes.NewWorld(nil)
	lost := wire.FaultsFunc(func(s wire.Site) wire.Fault {
		if s.Phase == wire.Call && s.Attempt == 1 {
			return wire.Fault{Kind: wire.Reset}
		}
		return wire.Fault{}
	})
	srv := wire.New(world, &wire.Opts{Faults: lost})
	n := memnet.New()
	ep, _ := srv.Serve(n)
	client := &http.Client{Transport: n.Transport()}
	op := wire.OpID(fakes.Op{Tenant: fakes.Acme, Exec: "refund-7", Step: 2})
	for range 2 {
		resp, err := client.Post(ep.Tools[fakes.CreateCharge], "application/json", strings.NewReader(`{"op":"`+op+`"}`))
		if err != nil {
			fmt.Println("attempt failed:", strings.Contains(err.Error(), "connection reset"))
			continue
		}
		resp.Body.Close()
		fmt.Println("attempt answered", resp.StatusCode)
	}
	srv.Shutdown(context.Background())
	charges := 0
	for _, e := range world.Ledger().Effects() {
		if e.Kind == fakes.Applied {
			charges++
		}
	}
	fmt.Println("charges for", op+":", charges)
	// Output:
	// attempt failed: true
	// attempt answered 200
	// charges for acme/refund-7/2: 2
}
