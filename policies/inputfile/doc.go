// Package inputfile reads the files a user names to chaosrun: policy files
// today, world files next. A path given by mistake must neither hang the
// command nor exhaust its memory, so [Read] accepts a regular file of
// bounded size and nothing else:
//
//   - the file is opened without blocking (O_NONBLOCK), so a named pipe with
//     no writer cannot hold the command in open(2), where no signal reaches it;
//   - what was opened is checked with fstat before a byte is read: a
//     directory, a named pipe, a device (/dev/zero, a terminal) or a socket
//     is refused with [ErrNotRegular];
//   - a file larger than the limit is refused with [ErrTooLarge], also when
//     it grows while it is read.
//
// The package sits apart from the formats it serves so that each loader
// (policies, worlds) can use it without importing the other.
package inputfile
