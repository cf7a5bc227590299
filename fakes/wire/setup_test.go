package wire_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"testing/synctest"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/fakes/memnet"
	"github.com/chaosrun/chaosrun/fakes/wire"
)

// rig is the world served on an in-memory network, inside a bubble.
type rig struct {
	world  *fakes.World
	srv    *wire.Server
	ep     *wire.Endpoints
	client *http.Client
	net    *memnet.Network
}

// setup serves a fresh world with the given faults. Call it inside the
// bubble; the cleanup shuts the servers down inside it too.
func setup(t *testing.T, faults wire.Faults) *rig {
	t.Helper()
	return setupWith(t, &wire.Opts{Faults: faults})
}

// setupWith is setup with the server's options.
func setupWith(t *testing.T, opts *wire.Opts) *rig {
	t.Helper()
	world := fakes.NewWorld(nil)
	srv := wire.New(world, opts)
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
	return &rig{world: world, srv: srv, ep: ep, client: &http.Client{Transport: tr}, net: n}
}

// reply is what a client saw of one request.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	err    error
}

func (r *rig) call(tool, op, key string, args map[string]any) reply {
	b, _ := json.Marshal(map[string]any{"op": op, "args": args})
	req, _ := http.NewRequest(http.MethodPost, r.ep.Tools[tool], bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(wire.HeaderIdempotencyKey, key)
	}
	return r.do(req)
}

func (r *rig) lookup(tool, tenant, key string) reply {
	u := r.ep.Tools[tool] + "/lookup?" + url.Values{"tenant": {tenant}, "key": {key}}.Encode()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return r.do(req)
}

func (r *rig) do(req *http.Request) reply {
	resp, err := r.client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	out := reply{status: resp.StatusCode, header: resp.Header, err: err}
	json.Unmarshal(b, &out.body)
	return out
}

// applied counts the ledger's applied effects of a tool, once every
// goroutine of the bubble is blocked: the world is quiet then, and Wait
// orders their writes before this read.
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

// only returns faults that hit the given phase and attempt of any tool.
func only(phase wire.Phase, attempt int, f wire.Fault) wire.Faults {
	return wire.FaultsFunc(func(s wire.Site) wire.Fault {
		if s.Phase == phase && s.Attempt == attempt {
			return f
		}
		return wire.Fault{}
	})
}

const op1 = "acme/x1/0"
