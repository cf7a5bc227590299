package harness_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/chaosrun/chaosrun"

// The network stack: net mode (harness/netrig, faults/toxics) and the
// Postgres store (reference/store/pgstore) link it; nothing a team imports
// for harness.Check may.
var forbidden = []string{
	"github.com/jackc/pgx",
	"github.com/jackc/puddle",
	"github.com/Shopify/toxiproxy",
	"github.com/prometheus",
	"github.com/rs/zerolog",
	"github.com/testcontainers",
}

// TestCheckLinksNoNetworkStack lists what the packages behind harness.Check
// depend on — harness, policies, scenarios, invariants, fakes, faults and
// the reference except the Postgres store — and fails on pgx, Toxiproxy,
// prometheus, zerolog or testcontainers, naming the chain of imports that
// pulls it in.
func TestCheckLinksNoNetworkStack(t *testing.T) {
	t.Parallel()
	var roots []string
	for _, p := range goList(t, "{{.ImportPath}}", module+"/harness", module+"/policies", module+"/scenarios",
		module+"/invariants", module+"/fakes/...", module+"/faults", module+"/reference/...") {
		if !strings.HasPrefix(p, module+"/reference/store/pgstore") {
			roots = append(roots, p)
		}
	}
	imports := map[string][]string{}
	for _, line := range goList(t, "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", append([]string{"-deps"}, roots...)...) {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
	}
	if _, ok := imports[module+"/harness"]; !ok || len(imports) < 20 {
		t.Fatalf("go list found %d packages, without harness among them", len(imports))
	}
	for _, bad := range forbidden {
		var shortest []string
		for p := range imports {
			if !strings.HasPrefix(p, bad) {
				continue
			}
			if c := chain(imports, roots, p); shortest == nil || len(c) < len(shortest) {
				shortest = c
			}
		}
		if shortest != nil {
			t.Errorf("%s is linked by the packages behind harness.Check: %s", bad, strings.Join(shortest, " -> "))
		}
	}
}

// goList runs go list with a format and returns its lines.
func goList(t *testing.T, format string, args ...string) []string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goTool, append([]string{"list", "-f", format}, args...)...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list %v: %v\n%s", args, err, stderr)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// chain returns a shortest import path from one of the roots to p.
func chain(imports map[string][]string, roots []string, p string) []string {
	from := map[string]string{}
	var queue []string
	for _, r := range roots {
		if _, ok := imports[r]; ok {
			from[r] = ""
			queue = append(queue, r)
		}
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == p {
			var path []string
			for ; cur != ""; cur = from[cur] {
				path = append(path, cur)
			}
			slices.Reverse(path)
			return path
		}
		for _, next := range imports[cur] {
			if _, seen := from[next]; !seen {
				from[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return []string{p}
}
