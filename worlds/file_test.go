package worlds_test

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/policies/inputfile"
	"github.com/chaosrun/chaosrun/reference/policy"
	"github.com/chaosrun/chaosrun/reference/registry"
	"github.com/chaosrun/chaosrun/worlds"
)

// want reads the "# want: ..." line at the top of a testdata file.
func want(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	w, ok := strings.CutPrefix(sc.Text(), "# want:")
	if !ok || strings.TrimSpace(w) == "" {
		t.Fatalf("%s: the first line is no '# want: LINE: KEY: message'", path)
	}
	return strings.TrimSpace(w)
}

// TestLoadRefuses loads each file of testdata/bad, whose first line says
// what the refusal must say after "file:": "# want: LINE: KEY: message".
func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("testdata", "bad", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".yaml"), func(t *testing.T) {
			t.Parallel()
			ws := want(t, path)
			w, err := worlds.Load(path)
			if err == nil {
				t.Fatalf("loaded %+v, want the refusal %q", w, ws)
			}
			var we *worlds.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %T %v, want a *worlds.Error", err, err)
			}
			if w != nil {
				t.Errorf("a refused file returned a world %+v", w)
			}
			if got := err.Error(); !strings.HasPrefix(got, path+":"+ws) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s:%s", got, path, ws)
			}
		})
	}
}

func TestErrorRendersFileLineKey(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		err  worlds.Error
		want string
	}{
		{worlds.Error{File: "ours.yaml", Line: 3, Key: "tools.refund.tier", Msg: "4 is not within 1..3"}, "ours.yaml:3: tools.refund.tier: 4 is not within 1..3"},
		{worlds.Error{File: "ours.yaml", Line: 4, Msg: "invalid YAML: x"}, "ours.yaml:4: invalid YAML: x"},
		{worlds.Error{File: "ours.yaml", Msg: "invalid YAML: x"}, "ours.yaml: invalid YAML: x"},
		{worlds.Error{Key: "tools.refund.tier", Msg: "4 is not within 1..3"}, "tools.refund.tier: 4 is not within 1..3"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	if _, err := worlds.Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want an error wrapping os.ErrNotExist", err)
	}
}

// TestParseEveryKey holds each key of the format to the Go field it sets.
func TestParseEveryKey(t *testing.T) {
	t.Parallel()
	got, err := worlds.Load(filepath.Join("testdata", "every-key.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &worlds.World{
		Name: "every-key", Description: "Every key, once.",
		Tools: []worlds.Tool{
			{Name: "search", Behaviour: worlds.Read, Description: "Searches.", Class: registry.Unknown, Keys: worlds.Off, Lookup: worlds.Off, Money: worlds.Off, Stream: worlds.Off},
			{Name: "draft", Behaviour: worlds.Model, Stream: worlds.On, Keys: worlds.On, Lookup: worlds.On, Lag: 500 * time.Millisecond,
				Tokens: worlds.Tokens{Prompt: 200, Chunk: 10, Chunks: worlds.Range{Min: 2, Max: 9}}},
			{Name: "summarise", Behaviour: worlds.Model, Tokens: worlds.Tokens{Chunks: worlds.Fixed(4)}},
			{Name: "plan", Behaviour: worlds.Planner, Tokens: worlds.Tokens{Prompt: 90}},
			{Name: "refund", Behaviour: worlds.KeyedWrite, Tier: 3, Keys: worlds.On, Lookup: worlds.On, Lag: 2 * time.Second,
				Compensator: "reverse_refund", Cost: worlds.Range{Min: 100, Max: 900}, Money: worlds.On},
			{Name: "sync_crm", Behaviour: worlds.Upsert, Class: registry.NonIdempotent, Keys: worlds.Off},
			{Name: "log_event", Behaviour: worlds.Write, Keys: worlds.On, Lookup: worlds.On, Compensator: "unlog", Cost: worlds.Fixed(1)},
			{Name: "notify", Behaviour: worlds.Notification, Tier: 2},
			{Name: "audit", Behaviour: worlds.PaidWebhook, Cost: worlds.Fixed(50), Money: worlds.Off},
			{Name: "trigger_etl", Behaviour: worlds.Trigger, Tier: 3},
			{Name: "enrich", Behaviour: worlds.ThirdParty, Class: registry.NonIdempotent, Cost: worlds.Fixed(2),
				RateLimit: worlds.RateLimit{Calls: 10, Window: time.Minute, RetryAfter: 30 * time.Second}},
		},
		Tenants: []worlds.Tenant{
			{Name: "acme"},
			{Name: "globex", Description: "Pays per CRM sync.",
				Overrides: []worlds.Tool{
					{Name: "sync_crm", Behaviour: worlds.PaidWebhook, Tier: 3, Cost: worlds.Fixed(50)},
					{Name: "refund", Tier: 2, Lookup: worlds.Off, Description: "No lookups here."},
				},
				Contracts: map[string]policy.Contract{"sync_crm": {NeverRetry: true}, "refund": {AtMostOnce: true, KeyRequired: true}}},
			{Name: "initech", Contracts: map[string]policy.Contract{"log_event": {KeyRequired: true}}},
		},
		Workflows: []worlds.Workflow{
			{Name: "refund-request", Steps: []string{"search", "draft", "refund", "notify"}, Weight: 3, Description: "A customer asks for a refund."},
			{Name: "triage", Steps: []string{"plan", "sync_crm", "trigger_etl"}},
		},
		Generated: worlds.Generated{Tools: []string{"search", "refund", "enrich"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n  %+v\nwant\n  %+v", got, want)
	}
}

// TestExamplesLoad: the example worlds shipped with chaosrun load, and so
// does every world file README.md shows.
func TestExamplesLoad(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"../examples/supportdesk/world.yaml"} {
		if _, err := worlds.Load(path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, block := range strings.Split(string(readme), "```yaml\n")[1:] {
		file, _, _ := strings.Cut(block, "```")
		if !strings.HasPrefix(file, "world: v1") {
			continue
		}
		n++
		if _, err := worlds.Parse("README.md", []byte(file)); err != nil {
			t.Errorf("README.md's world file %d: %v", n, err)
		}
	}
	if n == 0 {
		t.Error("README.md shows no world file")
	}
}

// TestLoadRefusesWhatIsNotAFile: a directory or a device is refused before
// anything is read.
func TestLoadRefusesWhatIsNotAFile(t *testing.T) {
	t.Parallel()
	for _, path := range []string{t.TempDir(), "/dev/zero"} {
		if _, err := worlds.Load(path); !errors.Is(err, inputfile.ErrNotRegular) {
			t.Errorf("Load(%s) = %v, want an error wrapping inputfile.ErrNotRegular", path, err)
		}
	}
}
