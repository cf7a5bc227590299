package faults_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chaosrun/chaosrun/faults"
)

func TestKinds(t *testing.T) {
	t.Parallel()
	ks := faults.Kinds()
	if len(ks) != int(faults.NumKinds) {
		t.Fatalf("Kinds() has %d kinds, want %d", len(ks), faults.NumKinds)
	}
	want := []string{"refused", "unavailable", "rate-limit", "lost-response", "reset", "stream-cut", "bad-response",
		"begin-fail", "commit-fail", "commit-ambiguous", "partial-write", "crash", "registry-drift", "double-delivery", "lost-write",
		"error-after", "rejected", "outage", "zombie", "lookup-lag", "lookup-miss"}
	docs := map[string]bool{}
	for i, k := range ks {
		if k != faults.Kind(i) {
			t.Errorf("Kinds()[%d] = %d, want them in order", i, k)
		}
		if k.String() != want[i] {
			t.Errorf("kind %d is %q, want %q", i, k, want[i])
		}
		parsed, err := faults.ParseKind(k.String())
		if err != nil || parsed != k {
			t.Errorf("ParseKind(%q) = %v, %v", k, parsed, err)
		}
		if k.Doc() == "" || docs[k.Doc()] {
			t.Errorf("kind %s has an empty or repeated doc %q", k, k.Doc())
		}
		docs[k.Doc()] = true
		semantic := k == faults.Drift || k == faults.DoubleDelivery || k == faults.LostWrite || k == faults.LookupLag || k == faults.LookupMiss
		if k.Semantic() != semantic || strings.HasPrefix(k.Doc(), "semantic:") != semantic {
			t.Errorf("kind %s: Semantic() = %v, doc %q", k, k.Semantic(), k.Doc())
		}
		if r := faults.MaxRate(k); r == 0 || r > 1000 {
			t.Errorf("MaxRate(%s) = %d", k, r)
		}
	}
	if got := faults.NumKinds.String(); got != fmt.Sprintf("invalid(%d)", faults.NumKinds) {
		t.Errorf("String past the last kind = %q", got)
	}
	if got := faults.NumKinds.Doc(); got != "" {
		t.Errorf("Doc past the last kind = %q", got)
	}
}

func TestParseKindListsTheValidNames(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "Crash", "meteor"} {
		_, err := faults.ParseKind(bad)
		if err == nil {
			t.Fatalf("ParseKind(%q): no error", bad)
		}
		msg := err.Error()
		if !strings.Contains(msg, fmt.Sprintf("unknown fault kind %q", bad)) {
			t.Errorf("error %q should name the input", msg)
		}
		for _, k := range faults.Kinds() {
			if !strings.Contains(msg, k.String()) {
				t.Errorf("error %q does not list %s", msg, k)
			}
		}
	}
}

func TestMaxRate(t *testing.T) {
	t.Parallel()
	for k, want := range map[faults.Kind]uint16{faults.Crash: 20, faults.BeginFail: 60, faults.CommitFail: 60,
		faults.CommitAmbiguous: 60, faults.PartialWrite: 60, faults.Refused: 120, faults.LostWrite: 120} {
		if got := faults.MaxRate(k); got != want {
			t.Errorf("MaxRate(%s) = %d, want %d", k, got, want)
		}
	}
}

func TestScheduleActiveAndString(t *testing.T) {
	t.Parallel()
	var s faults.Schedule
	s.Seed = 42
	if got := s.Active(); len(got) != 0 {
		t.Errorf("a zero schedule has active kinds %v", got)
	}
	if got := s.String(); got != "seed=42" {
		t.Errorf("String() = %q", got)
	}
	s.Rates[faults.Crash] = 20
	s.Rates[faults.Refused] = 7
	if got := s.Active(); len(got) != 2 || got[0] != faults.Refused || got[1] != faults.Crash {
		t.Errorf("Active() = %v, want [refused crash]", got)
	}
	if got := s.String(); got != "seed=42 refused=7‰ crash=20‰" {
		t.Errorf("String() = %q", got)
	}
}
