package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/invariants"
)

// JUnit's shape is the one CI systems agree on (the Jenkins / Ant schema
// that GitHub, GitLab, Buildkite and CircleCI read): <testsuites> holding a
// <testsuite> per policy, a <testcase> per invariant with classname the
// policy and name the invariant id, <failure> for a violated invariant and
// <skipped> for one no run could decide. Time is in seconds. Every
// invariant is checked on every run, so a policy's exploration time is
// shared equally among its test cases, and they add up to the suite's.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// JUnit renders the report as JUnit XML: a test suite per policy, a test
// case per invariant, and a failure for each violated invariant whose
// message is the violation in one sentence and whose body is the shrunk
// counterexample (scenario and timeline) with the line that replays it.
func JUnit(w io.Writer, r *Report) error {
	doc := junitSuites{Name: "chaosrun"}
	var total time.Duration
	for _, p := range r.Policies {
		s := junitPolicy(r, p)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		total += p.Elapsed()
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitPolicy(r *Report, p Policy) junitSuite {
	name := p.Name
	if !r.Shard.Whole() {
		name += " (shard " + r.Shard.String() + ")"
	}
	s := junitSuite{Name: name, Time: seconds(p.Elapsed()), Properties: []junitProperty{
		{"source", p.Source}, {"mode", r.Mode}, {"seed", strconv.FormatUint(r.Seed, 10)},
		{"runs", strconv.Itoa(p.Runs)}, {"verdict", Verdict(p)},
		{"shard", r.Shard.String()}, {"seeds", SeedsText(r)}, {"store", r.Store}, {"world", r.World}, {"version", r.Version},
	}}
	if p.Mistake > 0 {
		s.Properties = append(s.Properties, junitProperty{"mistake", fmt.Sprintf("#%d %s", p.Mistake, p.Summary)})
	}
	if len(p.CaughtBy) > 0 {
		s.Properties = append(s.Properties, junitProperty{"expected-violations", joinIDs(p.CaughtBy, " ")})
	}
	var each time.Duration
	if n := len(r.Invariants); n > 0 {
		each = p.Elapsed() / time.Duration(n)
	}
	cs := map[invariants.ID]counterexample{}
	for _, c := range p.counterexamples(r.Invariants) {
		cs[c.Invariant] = c
	}
	for _, id := range r.Invariants {
		tc := junitCase{Name: string(id), Classname: name, Time: seconds(each)}
		switch {
		case p.Violations[id] > 0:
			tc.Failure = junitFailed(p, id, cs[id])
			s.Failures++
		case p.Unknown[id] > 0:
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("undecided: the checker could not decide in %s of %d", plural(p.Unknown[id], "run", "runs"), p.Runs)}
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	if c := p.Coverage; c != nil {
		s.Properties = append(s.Properties, junitProperty{"coverage", fmt.Sprintf("%d/%d cells", c.Hit, c.Reachable)})
		tc := junitCase{Name: "coverage", Classname: name}
		if len(c.Missing) > 0 {
			tc.Skipped = &junitSkipped{Message: fmt.Sprintf("inconclusive: %s of %d reachable never received a fault: %s",
				plural(len(c.Missing), "cell", "cells"), c.Reachable, strings.Join(c.Missing, ", "))}
			s.Skipped++
		}
		s.Cases = append(s.Cases, tc)
		s.Tests++
	}
	return s
}

func junitFailed(p Policy, id invariants.ID, c counterexample) *junitFailure {
	f := &junitFailure{Type: string(id), Message: fmt.Sprintf("%s in %s of %d", id, plural(p.Violations[id], "run", "runs"), p.Runs)}
	if c.Invariant == "" {
		return f
	}
	f.Message = c.What()
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s violated %s in %s of %d.\n", p.Name, id, plural(p.Violations[id], "run", "runs"), p.Runs)
	if p.Expected(id) {
		fmt.Fprintf(&b, "Expected: mistake #%d (%s) must break this invariant.\n", p.Mistake, p.Summary)
	}
	fmt.Fprintf(&b, "First counterexample: seed %d, %s", c.Seed, plural(c.Steps, "step", "steps"))
	if c.Shrunk {
		b.WriteString(" (shrunk)")
	}
	b.WriteString(".\n\n")
	if c.Failure != nil {
		b.WriteString(harness.Explain(c.Failure.Run, id))
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "%s\n\n", c.Elsewhere())
	}
	fmt.Fprintf(&b, "Replay it with: %s\n", c.Replay)
	f.Body = b.String()
	return f
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 3, 64) }
