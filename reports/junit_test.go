package reports

import (
	"encoding/xml"
	"strconv"
	"strings"
	"testing"
)

// The common JUnit schema, read back independently of the writer's types.
type parsedSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Time     float64       `xml:"time,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Cases    []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Name      string  `xml:"name,attr"`
	Classname string  `xml:"classname,attr"`
	Time      float64 `xml:"time,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
}

// TestJUnitParses reads the JUnit report back and checks that its counts
// match the report's violations, case by case.
func TestJUnitParses(t *testing.T) {
	t.Parallel()
	r := setup(t)
	var doc parsedSuites
	if err := xml.Unmarshal(render(t, JUnit, r), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != len(r.Policies) {
		t.Fatalf("%d suites, want one per policy (%d)", len(doc.Suites), len(r.Policies))
	}
	tests, failures := 0, 0
	for i, s := range doc.Suites {
		p := r.Policies[i]
		checkSuite(t, r, p, s)
		tests += s.Tests
		failures += s.Failures
	}
	if doc.Tests != tests || doc.Failures != failures || doc.Errors != 0 {
		t.Errorf("testsuites counts %d tests, %d failures, %d errors; its suites %d and %d", doc.Tests, doc.Failures, doc.Errors, tests, failures)
	}
}

func checkSuite(t *testing.T, r *Report, p Policy, s parsedSuite) {
	t.Helper()
	want := len(r.Invariants)
	if p.Coverage != nil {
		want++ // and the coverage case, last
	}
	if s.Name != p.Name || s.Tests != want || len(s.Cases) != want {
		t.Fatalf("suite %q: %d tests, %d cases; want %q with %d", s.Name, s.Tests, len(s.Cases), p.Name, want)
	}
	if want := float64(p.ElapsedMS) / 1000; s.Time != want {
		t.Errorf("%s: time %v, want %v", p.Name, s.Time, want)
	}
	failed, skipped := 0, 0
	if p.Coverage != nil {
		c := s.Cases[len(s.Cases)-1]
		if c.Name != "coverage" || c.Failure != nil || (c.Skipped != nil) != (len(p.Coverage.Missing) > 0) {
			t.Errorf("%s: coverage case %q, skipped %v, with %d cells missing", p.Name, c.Name, c.Skipped != nil, len(p.Coverage.Missing))
		}
		if c.Skipped != nil {
			skipped++
			if !strings.Contains(c.Skipped.Message, p.Coverage.Missing[0]) {
				t.Errorf("%s: the coverage case does not name the missing cell %s: %q", p.Name, p.Coverage.Missing[0], c.Skipped.Message)
			}
		}
	}
	for j, c := range s.Cases[:len(r.Invariants)] {
		id := r.Invariants[j]
		if c.Name != string(id) || c.Classname != p.Name {
			t.Errorf("case %d of %s is %s/%s", j, p.Name, c.Classname, c.Name)
		}
		if (c.Failure != nil) != (p.Violations[id] > 0) {
			t.Errorf("%s/%s: failure %v, but %d violations", p.Name, id, c.Failure != nil, p.Violations[id])
		}
		if c.Failure != nil {
			failed++
			replay := p.Replay(id)
			if c.Failure.Message != p.Failure(id).Message || !strings.Contains(c.Failure.Body, replay) || !strings.Contains(c.Failure.Body, "timeline:") {
				t.Errorf("%s/%s: failure %q lacks the sentence, the timeline or %q:\n%s", p.Name, id, c.Failure.Message, replay, c.Failure.Body)
			}
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if s.Failures != failed || s.Skipped != skipped || s.Errors != 0 {
		t.Errorf("%s: suite says %d failures, %d skipped; its cases %d and %d", p.Name, s.Failures, s.Skipped, failed, skipped)
	}
}

func TestSeconds(t *testing.T) {
	t.Parallel()
	for ms, want := range map[int64]string{0: "0.000", 1: "0.001", 1250: "1.250", 61001: "61.001"} {
		if got := seconds(Policy{ElapsedMS: ms}.Elapsed()); got != want {
			t.Errorf("seconds(%dms) = %s, want %s", ms, got, want)
		}
		if _, err := strconv.ParseFloat(want, 64); err != nil {
			t.Error(err)
		}
	}
}
