package harness_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/scenarios"
)

var updateDigests = flag.Bool("update-digests", false, "rewrite testdata/digests.txt from the current simulation")

// digestSeeds are the seeds whose histories are pinned: swarm schedules and,
// with every fault kind on, a few more.
const (
	digestSwarm = 40
	digestAll   = 10
)

// TestDigestsArePinned holds every catalog policy's history and ledger, seed
// by seed, to the digests in testdata/digests.txt: a refactoring that means
// to change nothing must leave them byte-identical. Regenerate them, when a
// change of behaviour is intended, with
//
//	go test ./harness -run TestDigestsArePinned -update-digests
func TestDigestsArePinned(t *testing.T) {
	t.Parallel()
	var got bytes.Buffer
	for _, e := range policies.Catalog() {
		for _, all := range []bool{false, true} {
			n := digestSwarm
			if all {
				n = digestAll
			}
			for seed := uint64(1); seed <= uint64(n); seed++ {
				run, err := harness.Simulate(context.Background(), scenarios.Seeded(seed, all), e.Go(), nil)
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&got, "%s all=%t seed=%d history=%s ledger=%s\n", e.Name, all, seed, run.HistoryDigest()[:16], ledgerDigest(run)[:16])
			}
		}
	}
	path := filepath.Join("testdata", "digests.txt")
	if *updateDigests {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update-digests to create it)", err)
	}
	if bytes.Equal(got.Bytes(), want) {
		return
	}
	wl, gl := lines(want), lines(got.Bytes())
	bad := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			if bad < 5 {
				t.Errorf("line %d:\n  want %s\n  got  %s", i+1, w, g)
			}
			bad++
		}
	}
	t.Errorf("%d of %d pinned runs changed (run with -update-digests if the change is intended)", bad, len(wl))
}

// ledgerDigest hashes the ledger field by field, so that a field added to
// the ledger's entries does not change the digest of what was there before.
func ledgerDigest(run *harness.Run) string {
	h := sha256.New()
	for _, e := range run.Ledger.Effects() {
		fmt.Fprintf(h, "%d|%s|%s|%s/%s/%d/%d|%d|%d|%s|%s|%s|%t|%t|%s|%d|%d|%t|%d\n", e.Seq, e.At.Format("15:04:05.000000000"), e.Kind,
			e.Op.Tenant, e.Op.Exec, e.Op.Step, e.Op.Sub, e.Run, e.Attempt, e.Tool, e.Key, e.Ref, e.Idempotent, e.World, e.Foreign,
			e.CostCents, e.Tokens, e.Invalid, e.Chunks)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func lines(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		out = append(out, strings.TrimSpace(sc.Text()))
	}
	return out
}
