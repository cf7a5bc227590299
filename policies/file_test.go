package policies_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/policies"
	"github.com/chaosrun/chaosrun/policies/inputfile"
	"github.com/chaosrun/chaosrun/reference/outcome"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
)

// wants reads the "# want: ..." lines at the top of a testdata file.
func wants(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ws []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w, ok := strings.CutPrefix(sc.Text(), "# want:")
		if !ok {
			break
		}
		if w = strings.TrimSpace(w); w != "" {
			ws = append(ws, w)
		}
	}
	return ws
}

func testdata(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata in %s: %v", dir, err)
	}
	return paths
}

// TestLoadRefuses loads each file of testdata/bad, whose first line says
// what the refusal must say after "file:": "# want: LINE: KEY: message".
func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	for _, path := range testdata(t, "bad") {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			ws := wants(t, path)
			if len(ws) != 1 {
				t.Fatalf("want one '# want:' line, found %d", len(ws))
			}
			r, err := policies.Load(path)
			if err == nil {
				t.Fatalf("loaded %+v, want the refusal %q", r, ws[0])
			}
			var pe *policies.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v, want a *policies.Error", err, err)
			}
			if r != nil {
				t.Errorf("a refused file returned rules %+v", r)
			}
			if got := err.Error(); !strings.HasPrefix(got, path+":"+ws[0]) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s:%s", got, path, ws[0])
			}
		})
	}
}

func TestErrorRendersFileLineKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  policies.Error
		want string
	}{
		{policies.Error{File: "ours.yaml", Line: 3, Key: "rules[0].when.phase", Msg: `unknown phase "during"`}, `ours.yaml:3: rules[0].when.phase: unknown phase "during"`},
		{policies.Error{File: "ours.yaml", Line: 4, Msg: "invalid YAML: x"}, "ours.yaml:4: invalid YAML: x"},
		{policies.Error{File: "ours.yaml", Msg: "invalid YAML: x"}, "ours.yaml: invalid YAML: x"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	if _, err := policies.Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestBuiltinUnknown(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"ours", "../reference", "reference.yaml", ""} {
		if _, err := policies.Builtin(name); !errors.Is(err, policies.ErrNotBuiltin) {
			t.Errorf("Builtin(%q): got %v, want ErrNotBuiltin", name, err)
		}
	}
}

// TestParseOmittedKeysTakeDefaults: a file with only a name and rules runs
// on the reference architecture.
func TestParseOmittedKeysTakeDefaults(t *testing.T) {
	t.Parallel()
	r, err := policies.Parse("ours.yaml", []byte("name: ours\nrules:\n  - do: dead-letter\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := &policy.Rules{PolicyName: "ours", Arch: policy.DefaultArchitecture(), List: []policy.Rule{{Do: policy.DeadLetter, Line: 3}}}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
}

// TestParseEveryKey reads a file that sets every key to a value other than
// its default.
func TestParseEveryKey(t *testing.T) {
	t.Parallel()
	r, err := policies.Load("testdata/every-key.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantArch := policy.Architecture{
		Context: policy.Shared, Resume: policy.Restart, DisableCompensation: true, DisableReconciliation: true,
		TenantContracts: policy.Ignore, Keys: policy.PerOperation,
		ToolKeys: map[string]policy.KeyMode{"send_email": policy.NoKeys, "enrich_contact": policy.PerAttempt},
		Budget:   policy.Budget{Scope: policy.GlobalBudget, MaxRetries: 7, MaxElapsed: 15 * time.Minute},
		Backoff: policy.Backoff{Initial: 250 * time.Millisecond, Multiplier: 1.5, Max: time.Minute, Jitter: policy.FactorJitter,
			Factor: 0.25, IgnoreRetryAfter: true},
	}
	if !reflect.DeepEqual(r.Arch, wantArch) {
		t.Errorf("architecture %+v\nwant %+v", r.Arch, wantArch)
	}
	if r.PolicyName != "every-key" || r.Description != "Sets every key, in one rule or another." {
		t.Errorf("name %q, description %q", r.PolicyName, r.Description)
	}
	yes, no := policy.Bool(true), policy.Bool(false)
	wantRules := []policy.Rule{
		{When: policy.Match{Tools: []string{"llm_complete"}, Tiers: []int{1}, Phases: []outcome.Phase{outcome.PhaseMid},
			LLMPhases: []outcome.LLMPhase{outcome.MidInference}, Classes: []outcome.Class{outcome.Transient, outcome.Timeout},
			Layers: []outcome.Layer{outcome.Agent}, Context: []outcome.ContextState{outcome.ContextClean}, Tenants: []string{"acme", "initech"},
			SideEffects: yes, SignalsSent: yes, Lookup: yes, Compensator: no, Attempt: 2, Statuses: []int{502, 503}, Crashed: no},
			Do: policy.Retry, MaxRetries: 2, DedupToken: true, Line: 25},
		{When: policy.Match{Tools: []string{"publish_report"}, Idempotency: []registry.Class{registry.NonIdempotent, registry.Unknown}},
			Do: policy.Retry, MaxRetries: 1, RequireKey: true, Line: 44},
		{When: policy.Match{Phases: []outcome.Phase{outcome.PhasePost}}, Do: policy.Reconcile, Line: 48},
		{When: policy.Match{Tools: []string{"enrich_contact"}, Crashed: yes}, Do: policy.Retry, MaxRetries: policy.Unlimited, Line: 50},
		{When: policy.Match{Tiers: []int{3}, SideEffects: no, InFlight: yes}, Do: policy.Fail, Line: 53},
		{When: policy.Match{Classes: []outcome.Class{outcome.Deterministic}, Layers: []outcome.Layer{outcome.Orchestrator}}, Do: policy.Fail, Line: 54},
		{Do: policy.DeadLetter, Line: 56},
	}
	if !reflect.DeepEqual(r.List, wantRules) {
		t.Errorf("rules\n%+v\nwant\n%+v", r.List, wantRules)
	}
}

// TestParseSpellings reads every spelling of every architecture choice.
func TestParseSpellings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		yaml string
		want func(*policy.Architecture)
	}{
		{"architecture: {context: versioned}", func(a *policy.Architecture) { a.Context = policy.Versioned }},
		{"architecture: {context: shared}", func(a *policy.Architecture) { a.Context = policy.Shared }},
		{"architecture: {resume: checkpoint}", func(a *policy.Architecture) { a.Resume = policy.Checkpoint }},
		{"architecture: {resume: restart}", func(a *policy.Architecture) { a.Resume = policy.Restart }},
		{"architecture: {compensation: false}", func(a *policy.Architecture) { a.DisableCompensation = true }},
		{"architecture: {reconciliation: false}", func(a *policy.Architecture) { a.DisableReconciliation = true }},
		{"architecture: {tenant_contracts: honor}", func(a *policy.Architecture) { a.TenantContracts = policy.Honor }},
		{"architecture: {tenant_contracts: ignore}", func(a *policy.Architecture) { a.TenantContracts = policy.Ignore }},
		{"architecture: {idempotency_keys: per-operation}", func(a *policy.Architecture) { a.Keys = policy.PerOperation }},
		{"architecture: {idempotency_keys: per-attempt}", func(a *policy.Architecture) { a.Keys = policy.PerAttempt }},
		{"architecture: {idempotency_keys: none}", func(a *policy.Architecture) { a.Keys = policy.NoKeys }},
		{"budget: {scope: step}", func(a *policy.Architecture) { a.Budget.Scope = policy.StepBudget }},
		{"budget: {scope: global}", func(a *policy.Architecture) { a.Budget.Scope = policy.GlobalBudget }},
		{"budget: {max_retries: 0}", func(a *policy.Architecture) { a.Budget.MaxRetries = 0 }},
		{"budget: {max_retries: 100}", func(a *policy.Architecture) { a.Budget.MaxRetries = 100 }},
		{"backoff: {jitter: full}", func(a *policy.Architecture) { a.Backoff.Jitter = policy.FullJitter }},
		{"backoff: {jitter: equal}", func(a *policy.Architecture) { a.Backoff.Jitter = policy.EqualJitter }},
		{"backoff: {jitter: none}", func(a *policy.Architecture) { a.Backoff.Jitter = policy.NoJitter }},
		{"backoff: {initial: 0, max: 0}", func(a *policy.Architecture) { a.Backoff.Initial, a.Backoff.Max = 0, 0 }},
		{"backoff: {multiplier: 3}", func(a *policy.Architecture) { a.Backoff.Multiplier = 3 }},
		{"backoff: {max: 1h30m}", func(a *policy.Architecture) { a.Backoff.Max = 90 * time.Minute }},
	} {
		r, err := policies.Parse("ours.yaml", []byte("name: ours\n"+c.yaml+"\n"))
		if err != nil {
			t.Errorf("%s: %v", c.yaml, err)
			continue
		}
		want := policy.DefaultArchitecture()
		c.want(&want)
		if !reflect.DeepEqual(r.Arch, want) {
			t.Errorf("%s: got %+v, want %+v", c.yaml, r.Arch, want)
		}
	}
}

// TestLoadRefusesWhatIsNotAFile: a directory or a device is refused before
// anything is read (policies/inputfile holds the cases in full).
func TestLoadRefusesTooManyRules(t *testing.T) {
	t.Parallel()
	if _, err := policies.Load("testdata/bad/too-many-rules.yaml"); !errors.Is(err, policies.ErrTooManyRules) {
		t.Errorf("got %v, want an error wrapping ErrTooManyRules", err)
	}
}

func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	for _, path := range []string{t.TempDir(), "/dev/zero"} {
		if _, err := policies.Load(path); !errors.Is(err, inputfile.ErrNotRegular) {
			t.Errorf("Load(%s) = %v, want an error wrapping inputfile.ErrNotRegular", path, err)
		}
	}
}
