package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit statuses.
const (
	exitOK           = 0
	exitViolations   = 1
	exitUsage        = 2
	exitInconclusive = 3
)

// usageError is bad usage or bad input: one line naming the problem, and a
// hint naming the fix.
type usageError struct{ msg, hint string }

func (e *usageError) Error() string { return e.msg }

func usagef(hint, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), hint: hint}
}

// errViolations ends a CI gate whose policies broke an invariant.
var errViolations = errors.New("violations found")

// errInconclusive ends a CI gate whose policies broke no invariant on thin
// evidence: a reachable cell of the fault model never received a fault, or
// an invariant could not be decided in some run. Stderr has said which.
var errInconclusive = errors.New("inconclusive")

// env is what a command runs against: its streams and environment.
type env struct {
	stdout, stderr io.Writer
	// tty reports whether stderr is a terminal (for the progress bar).
	tty    bool
	getenv func(string) string
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first signal asks for a clean stop (no report, no temporary file
	// left); a second one ends the process at once.
	context.AfterFunc(ctx, stop)
	e := &env{stdout: stdout, stderr: stderr, tty: isTerminal(stderr), getenv: os.Getenv}
	return e.exit(e.dispatch(ctx, args))
}

func (e *env) dispatch(ctx context.Context, args []string) error {
	cmd, rest := "compare", args
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || isHelp(args[0])) {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "compare":
		return e.compare(ctx, rest, false)
	case "run":
		return e.compare(ctx, rest, true)
	case "replay":
		return e.replay(ctx, rest)
	case "lint":
		return e.lint(rest)
	case "list":
		return e.list(rest)
	case "merge":
		return e.merge(ctx, rest)
	case "world":
		return e.world(rest)
	case "help", "-h", "-help", "--help":
		switch {
		case len(rest) > 1:
			return usagef("e.g. chaosrun help run", "help takes one command")
		case len(rest) == 1:
			return e.help(rest[0])
		}
		printHelp(e.stdout)
		return nil
	case engineCommand:
		return e.engine(ctx)
	case "version", "--version":
		fmt.Fprintln(e.stdout, version())
		return nil
	}
	return usagef("run 'chaosrun help' for the commands", "unknown command %q", cmd)
}

// exit prints an error as one line with its hint, and maps it to a status.
func (e *env) exit(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errViolations):
		return exitViolations
	case errors.Is(err, errInconclusive):
		return exitInconclusive
	case errors.As(err, new(errHelp)):
		var h errHelp
		errors.As(err, &h)
		return e.exit(e.help(h.cmd))
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "chaosrun: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(e.stderr, "hint: %s\n", ue.hint)
		}
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(e.stderr, "chaosrun: interrupted; no report written")
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "chaosrun: %v\n", err)
	return exitUsage
}

// isHelp reports whether a command's first argument asks for its help.
func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// helpOnly returns errHelp when a command without flags is asked for help.
func helpOnly(cmd string, args []string) error {
	if len(args) > 0 && isHelp(args[0]) {
		return errHelp{cmd}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
