package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func mkfifo(t *testing.T, path string) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
}

func isJSONReport(t *testing.T, what string, b []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil || v["schema"] != "chaosrun.report/v1" {
		t.Fatalf("%s is not a JSON report (%v):\n%s", what, err, b)
	}
}

// TestReportOnStdout: "-" and /dev/stdout write the report on stdout, which
// then carries it alone (the summary goes to stderr), and /dev/stdout stays
// what it was.
func TestReportOnStdout(t *testing.T) {
	t.Parallel()
	before, err := os.Lstat("/dev/stdout")
	if err != nil {
		t.Skip("no /dev/stdout here")
	}
	for _, path := range []string{"-", "/dev/stdout"} {
		r := chaosrun(t, "run", "--policy", "reference", "--runs", "5", "--json", path)
		r.want(t, 3) // inconclusive in so few runs: the report is written all the same
		isJSONReport(t, "stdout of --json "+path, []byte(r.stdout))
		if !strings.Contains(r.stderr, "1 policy, 5 runs each") {
			t.Errorf("--json %s: the summary belongs on stderr, got %q", path, r.stderr)
		}
	}
	after, err := os.Lstat("/dev/stdout")
	if err != nil || after.Mode() != before.Mode() {
		t.Fatalf("/dev/stdout was %v, is now %v (%v)", before.Mode(), after.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(t.TempDir(), "-")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a file named - was written")
	}
}

func TestReportThroughANamedPipe(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	mkfifo(t, fifo)
	got := make(chan []byte, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	chaosrun(t, "run", "--policy", "reference", "--runs", "5", "--json", fifo, "--quiet").want(t, 3) // inconclusive, reported
	isJSONReport(t, "what the pipe's reader got", <-got)
}

// TestReportThroughASymlink: the link's target is replaced, the link stays
// a link, and a second flag that leads to the same target is refused.
func TestReportThroughASymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target, link := filepath.Join(dir, "target.json"), filepath.Join(dir, "latest.json")
	if err := os.Symlink("target.json", link); err != nil {
		t.Fatal(err)
	}
	chaosrun(t, "run", "--policy", "reference", "--runs", "5", "--json", link, "--quiet").want(t, 3) // inconclusive, reported
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a link (%v)", link, err)
	}
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	isJSONReport(t, target, b)
	chaosrun(t, "run", "--policy", "reference", "--runs", "5", "--json", link, "--html", target).
		want(t, 2, "--json and --html both write "+target)
	chaosrun(t, "run", "--policy", "reference", "--runs", "5", "--json", "-", "--markdown", "/dev/stdout").
		want(t, 2, "--json and --markdown both write standard output")
}

// TestKilledWriteLeavesNothing interrupts the writing of the reports: the
// Markdown report is written beside its file, then the JSON report waits for
// its pipe's reader, which never comes. SIGINT or SIGTERM then ends the run
// with status 2, no report and no temporary file.
func TestKilledWriteLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			fifo := filepath.Join(dir, "r.fifo")
			mkfifo(t, fifo)
			cmd := exec.Command(binary, "run", "--policy", "reference", "--runs", "5",
				"--markdown", filepath.Join(dir, "r.md"), "--json", fifo)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for !strings.Contains(strings.Join(names(t, dir), " "), ".r.md.") { // the Markdown report's temporary file
				time.Sleep(5 * time.Millisecond)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(errb.String(), "interrupted; no report written") {
				t.Fatalf("exit %v, want status 2 and a word; stderr:\n%s", err, errb.String())
			}
			if left := names(t, dir); len(left) != 1 || left[0] != "r.fifo" {
				t.Fatalf("left behind: %v", left)
			}
		})
	}
}

func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ns []string
	for _, e := range es {
		ns = append(ns, e.Name())
	}
	return ns
}

// TestPolicyFileThatIsNoFile: a named pipe (with no writer, or with one
// that writes nothing), a directory and /dev/zero are refused at once with
// status 2, by run and by lint. The guard kills a command still blocked
// after a minute: without it such a test would hang.
func TestPolicyFileThatIsNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo, held := filepath.Join(dir, "fifo.yaml"), filepath.Join(dir, "held.yaml")
	mkfifo(t, fifo)
	mkfifo(t, held)
	r, err := os.OpenFile(held, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w, err := os.OpenFile(held, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for path, says := range map[string]string{
		fifo: "it is a named pipe", held: "it is a named pipe", dir: "it is a directory", "/dev/zero": "it is a character device",
	} {
		for _, args := range [][]string{{"lint", path}, {"run", "--policy", path}} {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			cmd := exec.CommandContext(ctx, binary, args...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			start := time.Now()
			err := cmd.Run()
			took := time.Since(start)
			cancel()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("%s: %v after %s, want exit status 2; stderr:\n%s", strings.Join(args, " "), err, took, errb.String())
			}
			if !strings.Contains(errb.String(), says) || !strings.Contains(errb.String(), "hint: give a regular file") {
				t.Errorf("%s: stderr should say %q and give its hint:\n%s", strings.Join(args, " "), says, errb.String())
			}
			t.Logf("%s: refused in %s", strings.Join(args, " "), took.Round(time.Millisecond))
		}
	}
}
