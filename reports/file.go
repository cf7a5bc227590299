package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Output is one report to write: where it goes and how it renders.
type Output struct {
	// Path is a file, "-" for standard output, or a device or named pipe
	// (see [Resolve]).
	Path   string
	Render func(w io.Writer, r *Report) error
}

// Sink is how a report reaches its destination.
type Sink int

const (
	// ToFile replaces a regular file (or creates it) atomically: the report
	// is written beside it, then renamed over it.
	ToFile Sink = iota
	// ToStdout writes to the standard output given to [WriteAll]: the path
	// "-", /dev/stdout or the process's file descriptor 1.
	ToStdout
	// ToStream writes through a device or a named pipe, opened for writing
	// and never replaced.
	ToStream
)

// Destination is where a report path leads.
type Destination struct {
	Sink Sink
	// Path is the file replaced or the stream opened, symbolic links
	// followed; empty for ToStdout.
	Path string
}

// ErrNotWritable is returned by [Resolve] for a path no report can be
// written to: a directory, a socket, a loop of symbolic links.
var ErrNotWritable = errors.New("not a file, a device or a named pipe")

// fdPath matches the names of a process's own file descriptors, which are
// written through: following them (/dev/stdout is a link to
// /proc/self/fd/1, itself a link to whatever fd 1 is) and replacing the
// target would detach the descriptor from the file its owner writes.
var fdPath = regexp.MustCompile(`^/(?:dev/(?:fd/(\d+)|(stdout|stderr))|proc/(?:self|thread-self|\d+)/fd/(\d+))$`)

// Resolve says where a report written to path goes. "-" and names of file
// descriptor 1 are standard output; a symbolic link is followed to its
// target, which is what gets replaced (the link stays a link); a device or a
// named pipe is a stream; a regular file, or a name not taken yet, is a file.
func Resolve(path string) (Destination, error) {
	if path == "-" {
		return Destination{Sink: ToStdout}, nil
	}
	p, err := filepath.Abs(path)
	if err != nil {
		return Destination{}, err
	}
	for range 40 { // as many links as Linux follows
		if fd, ok := descriptor(p); ok {
			if fd == 1 && (!strings.HasPrefix(p, "/proc/") || ownProc(p)) {
				return Destination{Sink: ToStdout}, nil
			}
			return Destination{Sink: ToStream, Path: p}, nil
		}
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return Destination{Sink: ToFile, Path: p}, nil
		case err != nil:
			return Destination{}, err
		case st.Mode()&fs.ModeSymlink != 0:
			to, err := os.Readlink(p)
			if err != nil {
				return Destination{}, err
			}
			if !filepath.IsAbs(to) {
				to = filepath.Join(filepath.Dir(p), to)
			}
			p = filepath.Clean(to)
		case st.Mode().IsRegular():
			return Destination{Sink: ToFile, Path: p}, nil
		case st.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
			return Destination{Sink: ToStream, Path: p}, nil
		case st.IsDir():
			return Destination{}, fmt.Errorf("%s is a directory: %w", path, ErrNotWritable)
		default:
			return Destination{}, fmt.Errorf("%s: %w", path, ErrNotWritable)
		}
	}
	return Destination{}, fmt.Errorf("%s: too many levels of symbolic links: %w", path, ErrNotWritable)
}

// descriptor returns the file descriptor a path of fdPath names.
func descriptor(p string) (int, bool) {
	m := fdPath.FindStringSubmatch(p)
	if m == nil {
		return 0, false
	}
	switch {
	case m[2] == "stdout":
		return 1, true
	case m[2] == "stderr":
		return 2, true
	}
	n, err := strconv.Atoi(m[1] + m[3])
	return n, err == nil
}

// ownProc reports whether a /proc path names this process's descriptors.
func ownProc(p string) bool {
	for _, dir := range []string{"self", "thread-self", strconv.Itoa(os.Getpid())} {
		if strings.HasPrefix(p, "/proc/"+dir+"/") {
			return true
		}
	}
	return false
}

// WriteFile writes one report. See [WriteAll].
func WriteFile(path string, r *Report, render func(w io.Writer, r *Report) error) error {
	return WriteAll(context.Background(), r, os.Stdout, Output{Path: path, Render: render})
}

// WriteAll renders the report for every output, then writes them all, or
// none of the files: every file's report is written beside it first, the
// streams (stdout, devices, named pipes) are written next, and only then
// are the files renamed into place. A render that fails, a stream that
// cannot be written, or ctx cancelled before the renames (an interrupt)
// leaves no file written and no temporary file behind. A named pipe with no
// reader holds WriteAll until one comes or ctx is cancelled.
func WriteAll(ctx context.Context, r *Report, stdout io.Writer, outs ...Output) (err error) {
	type pending struct {
		dest Destination
		data []byte
		tmp  string
	}
	ps := make([]pending, len(outs))
	for i, o := range outs {
		var buf bytes.Buffer
		if err := o.Render(&buf, r); err != nil {
			return fmt.Errorf("render %s: %w", o.Path, err)
		}
		dest, err := Resolve(o.Path)
		if err != nil {
			return err
		}
		ps[i] = pending{dest: dest, data: buf.Bytes()}
	}
	defer func() {
		for _, p := range ps {
			if p.tmp != "" && err != nil {
				os.Remove(p.tmp)
			}
		}
	}()
	for i, p := range ps {
		if p.dest.Sink == ToFile {
			if ps[i].tmp, err = writeBeside(p.dest.Path, p.data); err != nil {
				return err
			}
		}
	}
	for _, p := range ps {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case p.dest.Sink == ToStdout:
			if _, err := stdout.Write(p.data); err != nil {
				return fmt.Errorf("write standard output: %w", err)
			}
		case p.dest.Sink == ToStream:
			if err := writeStream(ctx, p.dest.Path, p.data); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, p := range ps {
		if p.tmp != "" {
			if err := os.Rename(p.tmp, p.dest.Path); err != nil {
				return fmt.Errorf("write %s: %w", p.dest.Path, err)
			}
		}
	}
	return nil
}

// writeBeside writes data to a temporary file in path's directory, with the
// permissions of the file it will replace (0644 for a new one), and returns
// its name.
func writeBeside(path string, data []byte) (string, error) {
	perm := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return tmp.Name(), nil
}

// writeStream writes data through a device or a named pipe. Opening a pipe
// blocks until a reader comes, and writing to one blocks while its reader
// does not read: both give way to ctx.
func writeStream(ctx context.Context, path string, data []byte) error {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		ch <- opened{f, err}
	}()
	var f *os.File
	select {
	case o := <-ch:
		if o.err != nil {
			return fmt.Errorf("write %s: %w", path, o.err)
		}
		f = o.f
	case <-ctx.Done():
		go func() { // a reader may still come: let it find the pipe closed
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return ctx.Err()
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	_, err := f.Write(data)
	if !stop() {
		return ctx.Err()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
