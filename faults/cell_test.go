package faults_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/fakes"
	"github.com/chaosrun/chaosrun/faults"
)

func TestCellsParseAsTheyPrint(t *testing.T) {
	t.Parallel()
	cells := faults.Reachable(fakes.Default())
	for _, c := range cells {
		got, err := faults.ParseCell(c.String())
		if err != nil || got != c {
			t.Fatalf("ParseCell(%q) = %v, %v", c, got, err)
		}
	}
	if c, err := faults.ParseCell("initech/send_email/rejected"); err != nil || c != (faults.Cell{Tenant: "initech", Tool: "send_email", Kind: faults.Rejected}) {
		t.Errorf("a cell without its phase: %v, %v", c, err)
	}
	for s, says := range map[string]string{
		"initech/send_email/pre/rejected": "land in phase post, not pre",
		"initech/send_email/post/zap":     `unknown fault kind "zap"`,
		"initech/rejected":                "want tenant/tool/phase/kind",
		"/send_email/post/rejected":       "want tenant/tool/phase/kind",
	} {
		if _, err := faults.ParseCell(s); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("ParseCell(%q): %v, want it to say %q", s, err, says)
		}
	}
}

// The built-in world's reachable cells follow the tools: a stream is cut
// and a generation spoiled only on the streamed model call, a zombie lands
// only where a tool with an effect deduplicates it, answers no lookups or
// has a contract that forbids retrying it, a
// lookup lags only where the tool declares a lag, a write doubles or gets
// lost only where the world keeps it by key, drift only where DriftTools
// says; every kind reaches every step tool's calls otherwise, and no
// compensator is a cell.
func TestReachableFollowsTheWorld(t *testing.T) {
	t.Parallel()
	cat := fakes.Default()
	cells := faults.Reachable(cat)
	if !slices.IsSortedFunc(cells, faults.Cell.Compare) {
		t.Error("the cells are not in order")
	}
	tools := func(tenant string, k faults.Kind) []string {
		var out []string
		for _, c := range cells {
			if c.Tenant == tenant && c.Kind == k {
				out = append(out, c.Tool)
			}
		}
		return out
	}
	all := slices.Sorted(slices.Values(fakes.StepTools))
	for _, c := range []struct {
		tenant string
		kind   faults.Kind
		want   []string
	}{
		{"acme", faults.Refused, all},
		{"acme", faults.Crash, all},
		{"globex", faults.Rejected, all},
		{"acme", faults.StreamCut, []string{"llm_complete"}},
		{"initech", faults.BadResponse, []string{"llm_complete"}},
		{"acme", faults.LookupLag, []string{"insert_record"}},
		{"acme", faults.LookupMiss, []string{"create_charge", "insert_record", "publish_report"}},
		{"initech", faults.LookupMiss, []string{"create_charge", "insert_record"}}, // its publish_report is a trigger
		{"acme", faults.DoubleDelivery, []string{"create_charge", "insert_record", "publish_report"}},
		{"initech", faults.LostWrite, []string{"create_charge", "insert_record", "publish_report"}}, // a trigger that keeps keys
		{"globex", faults.LostWrite, []string{"create_charge", "insert_record"}},                    // a paid webhook keeps none
		{"acme", faults.Zombie, []string{"create_charge", "enrich_contact", "insert_record", "publish_report", "send_email", "signal_downstream"}},
		// initech's publish_report answers lookups and deduplicates nothing,
		// but its contract forbids the retry a zombie punishes.
		{"initech", faults.Zombie, []string{"create_charge", "enrich_contact", "insert_record", "publish_report", "send_email", "signal_downstream"}},
	} {
		if got := tools(c.tenant, c.kind); !slices.Equal(got, c.want) {
			t.Errorf("%s %s: %v, want %v", c.tenant, c.kind, got, c.want)
		}
	}
	for _, tenant := range cat.Tenants() {
		if got, want := tools(tenant, faults.Drift), slices.Sorted(slices.Values(cat.DriftTools(tenant))); !slices.Equal(got, want) {
			t.Errorf("%s drifts on %v, want %v", tenant, got, want)
		}
		for _, comp := range []string{fakes.DeleteRecord, fakes.RefundCharge} {
			if faults.Reaches(cat, tenant, comp, faults.Refused) {
				t.Errorf("the compensator %s is a cell", comp)
			}
		}
	}
	if faults.Reaches(cat, "umbrella", "vector_search", faults.Refused) {
		t.Error("a tenant the world does not have is a cell")
	}
}
