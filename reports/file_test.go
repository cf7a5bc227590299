package reports_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chaosrun/chaosrun/reports"
)

// text renders a report as a fixed text, so that what lands where is plain.
func text(s string) func(io.Writer, *reports.Report) error {
	return func(w io.Writer, _ *reports.Report) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func failing(io.Writer, *reports.Report) error { return errors.New("no") }

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// leftovers lists the files of dir other than those named.
func leftovers(t *testing.T, dir string, known ...string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if !strings.Contains(strings.Join(known, "\x00")+"\x00", e.Name()+"\x00") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestResolve(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("r.json", link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("sub/../new.json", dangling); err != nil {
		t.Fatal(err)
	}
	loop := filepath.Join(dir, "loop.json")
	if err := os.Symlink("loop.json", loop); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want reports.Destination
	}{
		{"-", reports.Destination{Sink: reports.ToStdout}},
		{"/dev/stdout", reports.Destination{Sink: reports.ToStdout}},
		{"/dev/fd/1", reports.Destination{Sink: reports.ToStdout}},
		{"/proc/self/fd/1", reports.Destination{Sink: reports.ToStdout}},
		{"/dev/stderr", reports.Destination{Sink: reports.ToStream, Path: "/dev/stderr"}},
		{"/dev/null", reports.Destination{Sink: reports.ToStream, Path: "/dev/null"}},
		{fifo, reports.Destination{Sink: reports.ToStream, Path: fifo}},
		{file, reports.Destination{Sink: reports.ToFile, Path: file}},
		{link, reports.Destination{Sink: reports.ToFile, Path: file}},
		{dangling, reports.Destination{Sink: reports.ToFile, Path: filepath.Join(dir, "new.json")}},
		{filepath.Join(dir, "absent.json"), reports.Destination{Sink: reports.ToFile, Path: filepath.Join(dir, "absent.json")}},
	}
	for _, c := range cases {
		if got, err := reports.Resolve(c.path); err != nil || got != c.want {
			t.Errorf("Resolve(%s) = %+v, %v; want %+v", c.path, got, err, c.want)
		}
	}
	for _, bad := range []string{dir, loop} {
		if got, err := reports.Resolve(bad); !errors.Is(err, reports.ErrNotWritable) {
			t.Errorf("Resolve(%s) = %+v, %v; want ErrNotWritable", bad, got, err)
		}
	}
}

func TestWriteAllReplacesFilesAndFollowsLinks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "target.json")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("target.json", link); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(dir, "r.md")
	var stdout bytes.Buffer
	err := reports.WriteAll(context.Background(), &reports.Report{}, &stdout,
		reports.Output{Path: link, Render: text("json")},
		reports.Output{Path: md, Render: text("markdown")},
		reports.Output{Path: "-", Render: text("junit")})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is no longer a link: %v %v", st.Mode(), err)
	}
	if got := read(t, target); got != "json" {
		t.Errorf("the link's target holds %q, want the report", got)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("the replaced file's mode is %v, want its own 0640", st.Mode().Perm())
	}
	if got := read(t, md); got != "markdown" {
		t.Errorf("%s holds %q", md, got)
	}
	if stdout.String() != "junit" {
		t.Errorf("stdout got %q for -", stdout.String())
	}
	if extra := leftovers(t, dir, "target.json", "link.json", "r.md"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}

// TestWriteAllWritesAllOrNoFile: one report that cannot be written means no
// file is written, and no temporary file stays.
func TestWriteAllWritesAllOrNoFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.md")
	if err := os.WriteFile(a, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]reports.Output{
		"a render fails": {{Path: a, Render: text("new")}, {Path: b, Render: failing}},
		// /dev/full refuses every write.
		"a stream fails": {{Path: a, Render: text("new")}, {Path: b, Render: text("new")}, {Path: "/dev/full", Render: text("x")}},
	}
	for name, outs := range cases {
		err := reports.WriteAll(context.Background(), &reports.Report{}, io.Discard, outs...)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		if got := read(t, a); got != "old" {
			t.Errorf("%s: %s was replaced (%q) though another report failed", name, a, got)
		}
		if extra := leftovers(t, dir, "a.json"); len(extra) > 0 {
			t.Errorf("%s: left behind %v", name, extra)
		}
	}
}

func TestWriteAllWritesThroughANamedPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := reports.WriteAll(context.Background(), &reports.Report{}, io.Discard, reports.Output{Path: fifo, Render: text("report")}); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "report" {
		t.Errorf("the pipe's reader got %q", s)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", st.Mode(), err)
	}
}

// TestWriteAllGivesWayToCancel: a pipe nobody reads holds the writing until
// ctx is cancelled; then no file is written and no temporary file stays.
func TestWriteAllGivesWayToCancel(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- reports.WriteAll(ctx, &reports.Report{}, io.Discard,
			reports.Output{Path: filepath.Join(dir, "r.md"), Render: text("markdown")},
			reports.Output{Path: fifo, Render: text("json")})
	}()
	for len(leftovers(t, dir, "fifo")) == 0 { // r.md's temporary file, written before the pipe is opened
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteAll = %v, want context.Canceled", err)
	}
	if extra := leftovers(t, dir, "fifo"); len(extra) > 0 {
		t.Errorf("left behind: %v", extra)
	}
}
