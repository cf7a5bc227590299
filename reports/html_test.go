package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestHTMLWellFormed walks the page with encoding/xml in its lenient HTML
// mode (golang.org/x/net/html is not a dependency) and checks that every
// element is closed in order, and that the page holds what it must: the
// matrix, the chart, a timeline for each violating policy, and nothing
// loaded from elsewhere.
func TestHTMLWellFormed(t *testing.T) {
	t.Parallel()
	r := setup(t)
	page := render(t, HTML, r)
	counts := checkNesting(t, page)
	violating, breaches := 0, 0
	for _, p := range r.Policies {
		if cs := p.counterexamples(r.Invariants); len(cs) > 0 {
			violating++
			if cs[0].Failure.Violation.Event >= 0 {
				breaches++
			}
		}
	}
	for _, want := range []struct {
		what string
		n    int
	}{
		{"table#matrix", 1}, {"table.timeline", violating}, {"svg", len(measures)}, {"section.failure", violating},
		{"tr.breach", breaches}, {"script", 0}, {"link", 0}, {"img", 0}, {"iframe", 0},
	} {
		if counts[want.what] != want.n {
			t.Errorf("%d %s, want %d", counts[want.what], want.what, want.n)
		}
	}
	for _, p := range r.Policies {
		for _, c := range p.counterexamples(r.Invariants) {
			if !bytes.Contains(page, []byte(c.Replay)) {
				t.Errorf("the page lacks %q", c.Replay)
			}
		}
	}
	if m := regexp.MustCompile(`(?:src|href)="(?:https?:)?//`).Find(page); m != nil {
		t.Errorf("the page refers to an outside resource: %s", m)
	}
}

// checkNesting fails the test unless every element of the page is closed
// in order; it counts elements by name, name#id and name.class.
func checkNesting(t *testing.T, page []byte) map[string]int {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	counts := map[string]int{}
	var open []string
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := d.InputPos()
			t.Fatalf("line %d: %v", line, err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			open = append(open, el.Name.Local)
			counts[el.Name.Local]++
			for _, a := range el.Attr {
				switch a.Name.Local {
				case "id":
					counts[el.Name.Local+"#"+a.Value]++
				case "class":
					for _, c := range strings.Fields(a.Value) {
						counts[el.Name.Local+"."+c]++
					}
				}
			}
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != el.Name.Local {
				t.Fatalf("</%s> closes %v", el.Name.Local, open)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		t.Fatalf("unclosed elements: %v", open)
	}
	return counts
}

// TestHTMLInChromium opens the page in headless Chromium, which must load
// it without a script error or a console message (a blocked outside asset
// would be one: the page's Content-Security-Policy forbids them), and
// checks that the DOM it built holds the matrix and the timelines. A page
// with a console error and an outside image, opened the same way, shows
// that such problems do get noticed.
func TestHTMLInChromium(t *testing.T) {
	t.Parallel()
	bin := chromium()
	if bin == "" {
		t.Skip("chromium not found; install it to run this test: apt-get install chromium")
	}
	r := setup(t)
	page := render(t, HTML, r)
	t.Run("report", func(t *testing.T) {
		t.Parallel()
		dom, problems := openInChromium(t, bin, page)
		for _, p := range problems {
			t.Errorf("chromium: %s", p)
		}
		for _, want := range []string{`<table id="matrix"`, `<table class="timeline">`, `class="ev-fault`, `<svg role="img"`, `id="verdict"`, "chaosrun replay --policy"} {
			if !strings.Contains(dom, want) {
				t.Errorf("the DOM Chromium built lacks %s", want)
			}
		}
		if n, want := strings.Count(dom, `<table class="timeline">`), bytes.Count(page, []byte(`<table class="timeline">`)); n != want || n == 0 {
			t.Errorf("the DOM has %d timelines, the page %d", n, want)
		}
	})
	t.Run("broken page is noticed", func(t *testing.T) {
		t.Parallel()
		broken := bytes.Replace(page, []byte("</body>"), []byte(`<img src="https://example.invalid/x.png" alt=""></body>`), 1)
		_, problems := openInChromium(t, bin, broken)
		if len(problems) == 0 {
			t.Errorf("an outside image blocked by the page's policy went unnoticed")
		}
	})
}

// openInChromium loads a page in headless Chromium and returns the DOM it
// built and the lines of its log that report a script error, a console
// message or a blocked resource.
func openInChromium(t *testing.T, bin string, page []byte) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, page, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
		"--dump-dom", "file://"+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	var problems []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "Uncaught") || strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Content Security Policy") {
			problems = append(problems, line)
		}
	}
	return stdout.String(), problems
}

// chromium finds a Chromium or Chrome binary: $CHROMIUM, then the usual names.
func chromium() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}
