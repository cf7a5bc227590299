package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// MaxSize is the default limit of [Read]: 1 MiB, some thousand times a
// policy file of the catalog.
const MaxSize = 1 << 20

var (
	// ErrNotRegular is returned for a path that names a directory, a named
	// pipe, a device or a socket.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is returned for a file over the limit.
	ErrTooLarge = errors.New("file too large")
)

// Read returns the contents of the regular file at path, refusing anything
// else and any file of more than limit bytes (MaxSize when limit <= 0).
// Errors name the path; they wrap [ErrNotRegular], [ErrTooLarge] or the
// error of open(2) (fs.ErrNotExist, fs.ErrPermission, ...).
func Read(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = MaxSize
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %w: it is %s", path, ErrNotRegular, kind(st.Mode()))
	}
	if st.Size() > limit {
		return nil, tooLarge(path, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, int64(len(data)), limit)
	}
	return data, nil
}

func tooLarge(path string, size, limit int64) error {
	return fmt.Errorf("%s: %w: %s, over the limit of %s", path, ErrTooLarge, bytes(size), bytes(limit))
}

// kind names what a non-regular file is, for the error.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

func bytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
