package feasibility_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// rig is the fake world on an in-memory network, inside the bubble, with
// a client whose requests are recorded.
type rig struct {
	world *fakes.World
	srv   *wire.Server
	ep    *wire.Endpoints
	tr    *http.Transport
	rec   *recorder
	http  *http.Client
}

func setup(t *testing.T, faults wire.Faults) *rig {
	t.Helper()
	w := fakes.NewWorld(nil)
	srv := wire.New(w, &wire.Opts{Faults: faults})
	n := memnet.New()
	ep, err := srv.Serve(n)
	if err != nil {
		t.Fatal(err)
	}
	tr := n.Transport()
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	})
	rec := &recorder{next: tr}
	return &rig{world: w, srv: srv, ep: ep, tr: tr, rec: rec, http: &http.Client{Transport: rec}}
}

// applied counts the world's applied effects of a tool once the bubble is quiet.
func (r *rig) applied(tool string) int {
	synctest.Wait()
	n := 0
	for _, e := range r.world.Ledger().Effects() {
		if e.Kind == fakes.Applied && e.Tool == tool {
			n++
		}
	}
	return n
}

// recorder keeps the headers of every request a client sends.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, req.Header.Clone())
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.reqs...)
}

// at returns faults that hit one tool's calls on the given attempts.
func at(tool string, f wire.Fault, attempts ...int) wire.Faults {
	return wire.FaultsFunc(func(s wire.Site) wire.Fault {
		if s.Phase != wire.Call || s.Tool != tool {
			return wire.Fault{}
		}
		for _, a := range attempts {
			if s.Attempt == a {
				return f
			}
		}
		return wire.Fault{}
	})
}

// always returns faults that hit every call of one tool.
func always(tool string, f wire.Fault) wire.Faults {
	return wire.FaultsFunc(func(s wire.Site) wire.Fault {
		if s.Phase == wire.Call && s.Tool == tool {
			return f
		}
		return wire.Fault{}
	})
}

const opID = "acme/x1/0"
