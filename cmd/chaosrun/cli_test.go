package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reference/store/pgstore/pgstoretest"
)

var binary string

// TestMain builds the chaosrun binary once; the tests run it as a user does.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "chaosrun-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "chaosrun")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func chaosrun(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func (r result) want(t *testing.T, code int, stdout ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	for _, s := range stdout {
		if !strings.Contains(r.stdout+r.stderr, s) {
			t.Fatalf("output lacks %q\nstdout:\n%s\nstderr:\n%s", s, r.stdout, r.stderr)
		}
	}
}

// compare reports and exits 0, even where a policy is inconclusive: at
// 150 runs the reference violates nothing, but some cells of the fault
// model get no fault (at the default 500 they all do: TestRunIsACIGate).
func TestCompareIsTheDefault(t *testing.T) {
	t.Parallel()
	r := chaosrun(t, "--runs", "150")
	r.want(t, 0, "reference", "naive-backoff", "retry-only", "inconclusive", "caught", "replay with: chaosrun replay --policy naive-backoff --seed",
		"reference violated nothing, but the evidence is thin")
	if strings.Contains(r.stdout, "NOT caught") || strings.Contains(r.stdout, "UNSAFE") {
		t.Fatalf("the catalog should be reference inconclusive at most, every mistake caught:\n%s", r.stdout)
	}
	if strings.Contains(r.stderr, "inconclusive") {
		t.Errorf("compare's table says it; stderr should not:\n%s", r.stderr)
	}
}

// The gate: 0 when every reachable cell of the fault model received a
// fault and nothing was violated, 3 (inconclusive) when no invariant was
// violated but a cell never received a fault — stderr names the cells and
// the JSON report lists them — and 1 on a violation, whatever the cells.
func TestRunIsACIGate(t *testing.T) {
	t.Parallel()
	chaosrun(t, "run", "--policy", "reference").want(t, 0, "clean", "reference 447/447")
	report := filepath.Join(t.TempDir(), "r.json")
	r := chaosrun(t, "run", "--policy", "reference", "--runs", "20", "--json", report)
	r.want(t, 3, "inconclusive")
	if !strings.Contains(r.stderr, "chaosrun: inconclusive: reference violated nothing, but the evidence is thin") ||
		!strings.Contains(r.stderr, "never received a fault: acme/") {
		t.Errorf("stderr does not say which cells:\n%s", r.stderr)
	}
	_, v := readJSON(t, report)
	cov := v["policies"].([]any)[0].(map[string]any)["coverage"].(map[string]any)
	if n := len(cov["missing"].([]any)); n == 0 || cov["hit"].(float64)+float64(n) != cov["reachable"].(float64) || cov["targeted_runs"] != 10.0 {
		t.Errorf("coverage of 20 runs: %v", cov)
	}
	chaosrun(t, "run", "--policy", "naive-backoff", "--runs", "20").want(t, 1, "naive-backoff breaks no-duplicate-side-effects")
	chaosrun(t, "run", "--runs", "10").want(t, 2, "run needs at least one --policy")
}

// A counterexample found by a run aimed at cells the swarm runs missed
// (retry-only's reconciliation-complete, here) has a replay line that
// names those cells, and the line replays it; a cell that cannot be hit is
// refused.
func TestATargetedCounterexampleReplays(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "r.json")
	chaosrun(t, "run", "--policy", "retry-only", "--runs", "200", "--json", report, "--quiet").want(t, 1)
	_, v := readJSON(t, report)
	var line, id string
	for _, f := range v["policies"].([]any)[0].(map[string]any)["failures"].([]any) {
		if c := f.(map[string]any); strings.Contains(c["replay"].(string), " --target ") {
			line, id = c["replay"].(string), c["invariant"].(string)
		}
	}
	if line == "" {
		t.Fatal("no counterexample of retry-only came from a targeted run")
	}
	args := append(strings.Fields(strings.TrimPrefix(line, "chaosrun ")), "--invariant", id)
	chaosrun(t, args...).want(t, 1, line, id+" ", "violated", "minimised for "+id)
	chaosrun(t, "replay", "--policy", "retry-only", "--seed", "3", "--target", "initech/vector_search/mid/zombie").
		want(t, 2, "no zombie fault can land on initech's calls of vector_search")
	chaosrun(t, "replay", "--policy", "retry-only", "--seed", "3", "--target", "initech/send_email/pre/rejected").
		want(t, 2, "rejected faults land in phase post, not pre")
}

func TestBadUsageExits2WithOneLineAndAHint(t *testing.T) {
	t.Parallel()
	ref, err := filepath.Abs("../../policies/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad, err := filepath.Abs("../../policies/testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		says string
		hint string // the start of the hint, where the case has its own
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`, ""},
		{[]string{"compare", "--runs", "0"}, "--runs must be positive", ""},
		{[]string{"compare", "--runs", "x"}, `--runs takes a whole number of runs, such as 500, not "x"`, ""},
		{[]string{"run", "--policy", "no-such-policy"}, `unknown policy "no-such-policy" (built in: reference, naive-backoff, status-code-llm-retry, `, ""},
		{[]string{"compare", "--shard", "3/2"}, `bad --shard "3/2"`, ""},
		{[]string{"compare", "--mode", "net", "--store", "mysql://x"}, "--store mysql://x is neither memory nor a Postgres URL", ""},
		{[]string{"compare", "--store", "postgres://db"}, "sim mode always runs on the in-memory store", ""},
		{[]string{"compare", "--mode", "carrier-pigeon"}, `unknown mode "carrier-pigeon"`, ""},
		{[]string{"compare", "--json", "/no/such/dir/r.json"}, "directory /no/such/dir does not exist", ""},
		{[]string{"compare", "--runs", "5", "--duration", "1s"}, "--runs and --duration both", ""},
		{[]string{"run", "--policy", "reference", "--runs", "3", "--shard", "5/8"}, "--shard 5/8 gets none of --runs 3", ""},
		{[]string{"run", "--policy", "reference", "--duration", "1ns"}, "no run of reference finished within 1ns", ""},
		{[]string{"run", "--policy", "reference", "--runs", "2", "--json", "/proc/r.json"}, "--json /proc/r.json: cannot write in /proc", ""},
		{[]string{"run", "--mode", "net", "--store", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", "--policy", "reference", "--runs", "2"},
			"cannot connect to Postgres at 127.0.0.1:1", "start Postgres"},
		{[]string{"replay", "--policy", "reference"}, "replay needs --seed", ""},
		{[]string{"replay", "--seed", "3"}, "replay needs --policy", ""},
		{[]string{"replay", "--policy", "reference", "--seed", "3", "--invariant", "nope"}, `unknown invariant "nope"`, ""},
		{[]string{"list", "everything"}, `unknown section "everything"`, ""},
		{[]string{"run", "--policy", "no/such.yaml"}, "policy file no/such.yaml does not exist", "check the path"},
		{[]string{"lint", "no/such.yaml"}, "policy file no/such.yaml does not exist", "check the path"},
		{[]string{"run", "--policy", "/dev/zero"}, "/dev/zero: not a regular file: it is a character device", "give a regular file"},
		{[]string{"lint", bad + "/alias.yaml"}, "alias.yaml:7: rules[1].when: YAML aliases", "fix the line named above"},
		{[]string{"lint", bad + "/too-many-rules.yaml"}, "1001 rules: a policy file holds at most 1000", "a policy file holds at most 1 MiB and 1000 rules"},
		{[]string{"run", "--policy", "reference", "--policy", "reference"}, "--policy reference is given twice", "name each policy once"},
		{[]string{"compare", "--policy", "reference"}, "the catalog's reference is already in the comparison", "drop --policy reference"},
		{[]string{"run", "--policy", ref, "--policy", ref}, "two policies are named reference: " + ref + " and " + ref, "give each policy file its own name"},
		{[]string{"compare", "--policy", ref}, ref + " names its policy reference, as the catalog does", "rename the policy in " + ref},
		{[]string{"run", "--policy", "reference", "--json", "/tmp"}, "--json /tmp is a directory", "name a file, not a directory"},
		{[]string{"help", "frobnicate"}, `no help for "frobnicate"`, "run 'chaosrun help'"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := chaosrun(t, c.args...)
			r.want(t, 2, c.says)
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if len(lines) > 2 || !strings.HasPrefix(lines[0], "chaosrun: ") || (len(lines) == 2 && !strings.HasPrefix(lines[1], "hint: ")) {
				t.Fatalf("want one line and a hint on stderr, got:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Fatalf("nothing belongs on stdout after a usage error, got:\n%s", r.stdout)
			}
			if c.hint != "" && !strings.Contains(r.stderr, "\nhint: "+c.hint) {
				t.Fatalf("the hint should start %q, got:\n%s", c.hint, r.stderr)
			}
		})
	}
}

var elapsed = regexp.MustCompile(`"elapsed_ms": \d+`)

func readJSON(t *testing.T, path string) (string, map[string]any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s is not JSON: %v", path, err)
	}
	return elapsed.ReplaceAllString(string(b), `"elapsed_ms": 0`), v
}

func TestJSONReportIsReproducible(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	chaosrun(t, "compare", "--runs", "80", "--seed", "42", "--json", a, "--quiet").want(t, 0)
	chaosrun(t, "compare", "--runs", "80", "--seed", "42", "--json", b, "--quiet").want(t, 0)
	ja, v := readJSON(t, a)
	jb, _ := readJSON(t, b)
	if ja != jb {
		t.Fatal("the JSON report of one seed differs between two runs beyond elapsed_ms")
	}
	if v["schema"] != "chaosrun.report/v1" || v["seed"] != float64(42) || v["runs_per_policy"] != float64(80) || len(v["policies"].([]any)) != 8 {
		t.Fatalf("report header: %v %v %v", v["schema"], v["seed"], v["runs_per_policy"])
	}
}

func TestShardsCoverTheUnshardedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.json")
	chaosrun(t, "run", "--policy", "naive-backoff", "--runs", "50", "--json", whole, "--quiet").want(t, 1)
	_, w := readJSON(t, whole)
	total := map[string]float64{}
	runs := 0.0
	for i := 1; i <= 2; i++ {
		p := filepath.Join(dir, "shard.json")
		chaosrun(t, "run", "--policy", "naive-backoff", "--runs", "50", "--shard", []string{"", "1/2", "2/2"}[i], "--json", p, "--quiet")
		_, s := readJSON(t, p)
		pol := s["policies"].([]any)[0].(map[string]any)
		runs += pol["runs"].(float64)
		for k, n := range pol["executions"].(map[string]any) {
			total[k] += n.(float64)
		}
	}
	pol := w["policies"].([]any)[0].(map[string]any)
	if runs != pol["runs"].(float64) {
		t.Fatalf("shards ran %v scenarios, the whole run %v", runs, pol["runs"])
	}
	for k, n := range pol["executions"].(map[string]any) {
		if total[k] != n.(float64) {
			t.Fatalf("executions.%s: shards sum to %v, whole run %v", k, total[k], n)
		}
	}
}

func TestReplayPrintsTheTimelineAndTheMinimisedCase(t *testing.T) {
	t.Parallel()
	r := chaosrun(t, "replay", "--policy", "naive-backoff", "--seed", "4")
	r.want(t, 1, "timeline:", "no-duplicate-side-effects  violated", "minimised for no-duplicate-side-effects", "applied twice")
	again := chaosrun(t, "replay", "--policy", "naive-backoff", "--seed", "4")
	if again.stdout != r.stdout {
		t.Fatal("replaying one seed twice printed two different things")
	}
	chaosrun(t, "replay", "--policy", "reference", "--seed", "4").want(t, 0, "terminal-state             ok")
}

func TestListAndHelp(t *testing.T) {
	t.Parallel()
	chaosrun(t, "list").want(t, 0, "policies:", "static-system-policy", "invariants:", "tenant-contract-honored", "faults:", "lost-write", "scenarios:", "invoice-billing", "tenants:", "globex")
	chaosrun(t, "list", "invariants").want(t, 0, "reconciliation-complete")
	if r := chaosrun(t, "list", "tools"); !strings.Contains(r.stdout, "send_email") || strings.Contains(r.stdout, `""`) {
		t.Errorf("list tools should say 'none' for a tool without compensator:\n%s", r.stdout)
	}
	chaosrun(t, "help").want(t, 0, "chaosrun replay --policy P --seed S", "--shard i/n")
	chaosrun(t, "help", "replay").want(t, 0, "--invariant ID", "minimise this invariant's counterexample", "--no-shrink", "--mode sim|net", "(default sim)")
	chaosrun(t, "help", "list").want(t, 0, "policies", "scenarios", "invariants", "faults", "tools ", "tenants ")
}

// TestHelpOnEveryCommand: -h and --help print the command's help on stdout
// and exit 0, as 'chaosrun help COMMAND' does; a command's help lists its
// flags with their meaning and defaults.
func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		says []string
	}{
		{[]string{"--help"}, []string{"Usage:", "chaosrun run --policy P", "Flags of compare and run:"}},
		{[]string{"-h"}, []string{"Usage:", "chaosrun lint [--world FILE] FILE.yaml"}},
		{[]string{"help"}, []string{"Usage:", "chaosrun list [--world FILE] [SECTION]", "chaosrun world import-mcp"}},
		{[]string{"help", "run"}, []string{"Usage: chaosrun run", "--runs N", "scenarios per policy (default 500)", "--seed S", "(default 1)", "--json FILE", "--quiet", "--shard i/n"}},
		{[]string{"run", "--help"}, []string{"Usage: chaosrun run", "--runs N", "(default 500)"}},
		{[]string{"run", "-h"}, []string{"Usage: chaosrun run"}},
		{[]string{"run", "--policy", "reference", "--help"}, []string{"Usage: chaosrun run"}},
		{[]string{"compare", "--help"}, []string{"Usage: chaosrun compare", "--policy NAME|FILE"}},
		{[]string{"replay", "--help"}, []string{"Usage: chaosrun replay", "--no-shrink", "--invariant ID"}},
		{[]string{"lint", "--help"}, []string{"Usage: chaosrun lint [--world FILE] FILE.yaml", "1 MiB and 1000 rules", "--world FILE"}},
		{[]string{"list", "-h"}, []string{"Usage: chaosrun list", "tenants", "--world FILE"}},
		{[]string{"world", "--help"}, []string{"Usage: chaosrun world import-mcp TOOLS.json", "--out FILE"}},
		{[]string{"help", "world"}, []string{"Usage: chaosrun world import-mcp TOOLS.json", "readOnlyHint"}},
		{[]string{"help", "help"}, []string{"Usage: chaosrun help [COMMAND]"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := chaosrun(t, c.args...)
			r.want(t, 0, c.says...)
			if r.stderr != "" {
				t.Errorf("help belongs on stdout; stderr:\n%s", r.stderr)
			}
		})
	}
}

func TestPolicyFiles(t *testing.T) {
	t.Parallel()
	ref, err := filepath.Abs("../../policies/reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	chaosrun(t, "run", "--policy", ref, "--runs", "1000", "--quiet").want(t, 0)
	bad := filepath.Join(t.TempDir(), "ours.yaml")
	if err := os.WriteFile(bad, []byte("name: ours\nrules:\n  - when: {phase: during}\n    do: retry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	r := chaosrun(t, "run", "--policy", bad, "--json", out)
	r.want(t, 2, bad+":3: rules[0].when.phase", `unknown phase "during"`)
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a refused policy file must leave no report behind")
	}
}

func TestLint(t *testing.T) {
	t.Parallel()
	ref, _ := filepath.Abs("../../policies/reference.yaml")
	naive, _ := filepath.Abs("../../policies/naive-backoff.yaml")
	chaosrun(t, "lint", ref).want(t, 0, "no errors")
	chaosrun(t, "lint", naive).want(t, 2, "naive-backoff.yaml: warning: architecture.idempotency_keys: none",
		"naive-backoff.yaml:37: error: rules[1]: retries tier-3 create_charge, send_email", "1 lint error(s)")
	chaosrun(t, "lint").want(t, 2, "lint takes exactly one policy file")
}

// A team's own world, from a world file: every command that runs or reads
// policies takes it, and the verdict, the counterexample and its replay
// line speak of the team's tools.
func TestYourOwnWorld(t *testing.T) {
	t.Parallel()
	world, _ := filepath.Abs("../../examples/supportdesk/world.yaml")
	ours, _ := filepath.Abs("../../examples/supportdesk/policy.yaml")
	chaosrun(t, "run", "--world", world, "--policy", "reference", "--quiet").want(t, 0)
	report := filepath.Join(t.TempDir(), "r.json")
	r := chaosrun(t, "run", "--world", world, "--policy", ours, "--runs", "300", "--json", report)
	r.want(t, 1, "support-desk-middleware breaks no-duplicate-side-effects", "replay with: chaosrun replay --world "+world+" --policy "+ours)
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		World    string `json:"world"`
		Policies []struct {
			FirstFailure struct{ Replay string } `json:"first_failure"`
		} `json:"policies"`
	}
	if err := json.Unmarshal(data, &rep); err != nil || rep.World != "support-desk" || len(rep.Policies) != 1 {
		t.Fatalf("report world %q, %d policies, %v", rep.World, len(rep.Policies), err)
	}
	line := rep.Policies[0].FirstFailure.Replay
	seed := regexp.MustCompile(`--seed (\d+)`).FindStringSubmatch(line)
	if seed == nil {
		t.Fatalf("replay line %q", line)
	}
	rp := chaosrun(t, "replay", "--world", world, "--policy", ours, "--seed", seed[1], "--no-shrink")
	rp.want(t, 1, "no-duplicate-side-effects")
	if !regexp.MustCompile(`\((draft_reply|trigger_etl|create_ticket|refund|sync_crm|notify_slack|enrich)\)`).MatchString(rp.stdout) {
		t.Errorf("the replayed counterexample names none of the world's tools:\n%s", rp.stdout)
	}
	chaosrun(t, "lint", "--world", world, ours).want(t, 0, "no errors")
	chaosrun(t, "list", "--world", world, "tools").want(t, 0, "create_ticket", "reverse_refund")
	chaosrun(t, "list", "--world", world, "tenants").want(t, 0, "paid compliance webhook")
	// A policy naming a tool the world does not have is refused against it.
	naming := filepath.Join(t.TempDir(), "naming.yaml")
	if err := os.WriteFile(naming, []byte("name: n\nrules:\n  - when: {tool: create_charge}\n    do: dead-letter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chaosrun(t, "lint", naming).want(t, 0)
	chaosrun(t, "lint", "--world", world, naming).want(t, 2, naming+":3: rules[0].when.tool", `unknown tool "create_charge"`)
	bad := filepath.Join(t.TempDir(), "world.yaml")
	if err := os.WriteFile(bad, []byte("world: v1\nname: w\ntools:\n  a: {behaviour: teleport}\ntenants:\n  acme: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chaosrun(t, "run", "--world", bad, "--policy", "reference").want(t, 2, bad+":4: tools.a.behaviour", "hint: fix the line named above")
	chaosrun(t, "run", "--world", "missing.yaml", "--policy", "reference").want(t, 2, "world file missing.yaml does not exist", "hint: check the path")
	chaosrun(t, "run", "--world", world, "--policy", "reference", "--mode", "net").want(t, 2, "net mode runs the built-in world only")
}

func TestWorldImportMCP(t *testing.T) {
	t.Parallel()
	tools, _ := filepath.Abs("../../worlds/testdata/mcp/partly-annotated.json")
	want, err := os.ReadFile("../../worlds/testdata/mcp/partly-annotated.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := chaosrun(t, "world", "import-mcp", tools)
	r.want(t, 0)
	if r.stdout != string(want) {
		t.Errorf("import-mcp wrote\n%s\nwant the importer's\n%s", r.stdout, want)
	}
	out := filepath.Join(t.TempDir(), "world.yaml")
	chaosrun(t, "world", "import-mcp", "--out", out, tools).want(t, 0)
	// What it writes runs as it is.
	chaosrun(t, "run", "--world", out, "--policy", "reference", "--runs", "100", "--quiet").want(t, 0)
	gomod, _ := filepath.Abs("../../go.mod")
	chaosrun(t, "world", "import-mcp", gomod).want(t, 2, "hint: give the JSON of a tools/list answer")
	chaosrun(t, "world").want(t, 2, "world needs a subcommand")
}

// TestWorldImportMCPOutThatCannotBeWritten: an --out in a missing
// directory, or naming a directory, is refused as the report flags refuse
// it, naming --out's path and no temporary file, and nothing is written.
func TestWorldImportMCPOutThatCannotBeWritten(t *testing.T) {
	t.Parallel()
	tools, _ := filepath.Abs("../../worlds/testdata/mcp/partly-annotated.json")
	dir := t.TempDir()
	for out, want := range map[string][2]string{
		"/nonexistent/x.yaml": {"--out /nonexistent/x.yaml: directory /nonexistent does not exist", "create the directory first"},
		dir:                   {"--out " + dir + " is a directory", "name a file, not a directory"},
	} {
		r := chaosrun(t, "world", "import-mcp", "--out", out, tools)
		r.want(t, 2, "chaosrun: "+want[0]+"\nhint: "+want[1]+"\n")
		if strings.Contains(r.stderr, ".chaosrun-world") || r.stdout != "" {
			t.Errorf("--out %s: want one line and a hint, no temporary file's name; got:\n%s%s", out, r.stdout, r.stderr)
		}
	}
	if left := names(t, dir); len(left) != 0 {
		t.Errorf("left in --out's directory: %v", left)
	}
}

func TestNetMode(t *testing.T) {
	t.Parallel()
	chaosrun(t, "run", "--mode", "net", "--policy", "naive-backoff", "--runs", "40").
		want(t, 1, "naive-backoff breaks no-duplicate-side-effects", "--mode net")
	chaosrun(t, "run", "--mode", "net", "--policy", "reference", "--runs", "20", "--store", "memory").want(t, 0, "clean")
	chaosrun(t, "replay", "--mode", "net", "--store", "memory", "--policy", "reference", "--seed", "3").
		want(t, 0, "net mode, on the memory store: the same scenario and fault schedule over real connections", "terminal-state             ok")
}

func TestNetModeOnPostgres(t *testing.T) {
	t.Parallel()
	dsn := pgstoretest.DSN(t)
	dir := t.TempDir()
	out := map[string]string{}
	args := []string{"run", "--mode", "net", "--store", dsn, "--policy", "reference", "--runs", "20", "--all-faults"}
	for _, f := range []string{"json", "markdown", "junit", "html"} {
		out[f] = filepath.Join(dir, "r."+f)
		args = append(args, "--"+f, out[f])
	}
	chaosrun(t, args...).want(t, 0, "clean")
	_, v := readJSON(t, out["json"])
	if v["store"] != "postgres" || v["mode"] != "net" {
		t.Errorf("store %v, mode %v; want postgres, net", v["store"], v["mode"])
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{dsn, u.Host}
	if pw, ok := u.User.Password(); ok {
		secrets = append(secrets, pw)
	}
	for f, path := range out {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("the %s report holds %q of the store's address", f, s)
			}
		}
	}
	r := chaosrun(t, "replay", "--mode", "net", "--store", dsn, "--policy", "reference", "--seed", "3")
	r.want(t, 0, "net mode, on Postgres: the same scenario")
	for _, s := range secrets {
		if strings.Contains(r.stdout, s) {
			t.Errorf("replay's output holds %q of the store's address", s)
		}
	}
}

// TestPostgresHints: a server that answers but refuses the role, or has no
// such database, is not told to start Postgres.
func TestPostgresHints(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgstoretest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	role, db := *u, *u
	role.User = url.User("no_such_role")
	db.Path = "/no_such_database"
	for dsn, want := range map[string][2]string{
		role.String(): {`role "no_such_role" does not exist`, "the server refused the role"},
		db.String():   {`database "no_such_database" does not exist`, "the DSN names a database that does not exist"},
	} {
		r := chaosrun(t, "run", "--mode", "net", "--store", dsn, "--policy", "reference", "--runs", "2")
		r.want(t, 2, want[0], "hint: "+want[1])
		if strings.Contains(r.stderr, "start Postgres") {
			t.Errorf("a server that answers is not to be started:\n%s", r.stderr)
		}
	}
}

func TestDurationAndTheSilenceOfANonTerminal(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "r.json")
	r := chaosrun(t, "run", "--policy", "reference", "--duration", "1500ms", "--json", out)
	r.want(t, 0, "clean")
	if r.stderr != "" {
		t.Fatalf("stderr is not a terminal: no progress bar, nothing at all; got %q", r.stderr)
	}
	_, v := readJSON(t, out)
	runs := v["policies"].([]any)[0].(map[string]any)["runs"].(float64)
	if runs < 10 {
		t.Fatalf("a 1.5s run explored only %v scenarios", runs)
	}
	if per := v["runs_per_policy"].(float64); per != 0 {
		t.Errorf("runs_per_policy %v under --duration, want 0 (each policy's runs are its own)", per)
	}
	if want := fmt.Sprintf("1 policy, %d runs each", int(runs)); !strings.Contains(r.stdout, want) {
		t.Errorf("the summary should say %q:\n%s", want, r.stdout)
	}
}

// TestInterruptWritesNothing stops a --duration run with SIGINT: an
// exploration cut short proves nothing, so it exits 2 with no report.
func TestInterruptWritesNothing(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "r.json")
	cmd := exec.Command(binary, "run", "--policy", "reference", "--duration", "1m", "--json", out)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 {
		t.Fatalf("exit %v, want status 2; stderr:\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "interrupted; no report written") {
		t.Errorf("stderr %q should say the run was interrupted", errb.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a report was written after an interrupt: %v", err)
	}
}
