package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/chaosrun/chaosrun/harness"
	"github.com/chaosrun/chaosrun/policies/inputfile"
	"github.com/chaosrun/chaosrun/scenarios"
	"github.com/chaosrun/chaosrun/worlds"
)

// worldArg is the --world flag of every command that runs or reads
// policies: the world file, loaded once, and compiled.
type worldArg struct {
	path  string
	world *worlds.World    // nil: the built-in world
	space *scenarios.Space // the world compiled
}

// define adds --world to a flag set.
func (w *worldArg) define(fs *flag.FlagSet) {
	fs.StringVar(&w.path, "world", "", "FILE\tthe world of tools, tenants and workflows to run in (default: the built-in one;\n"+
		"worlds/README.md documents the format)")
}

// flags is the flag set of a command whose one flag is --world: lint (the
// world a policy file is read against) and list (the world it lists).
func (w *worldArg) flags(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	w.define(fs)
	return fs
}

// load reads and compiles the world file, if one was given.
func (w *worldArg) load() error {
	if w.path == "" {
		w.space = scenarios.Default()
		return nil
	}
	world, err := worlds.Load(w.path)
	if err != nil {
		return worldError("world file", w.path, err)
	}
	space, err := harness.Compile(world)
	if err != nil {
		return &usageError{msg: err.Error(), hint: "fix the world file; every key is documented in worlds/README.md"}
	}
	w.world, w.space = world, space
	return nil
}

// name is the world's name in reports.
func (w *worldArg) name() string {
	if w.world == nil {
		return "default"
	}
	return w.world.Name
}

// worldError gives the refusal of a file a world is read from (what says
// which file it is) the hint that fixes it.
func worldError(what, path string, err error) error {
	hint := "fix the line named above; every key is documented in worlds/README.md"
	switch {
	case errors.Is(err, fs.ErrNotExist):
		wd, _ := os.Getwd()
		return usagef(fmt.Sprintf("check the path (relative paths start at %s)", wd), "%s %s does not exist", what, path)
	case errors.Is(err, fs.ErrPermission):
		hint = "make the file readable by this user, or copy it somewhere readable"
	case errors.Is(err, inputfile.ErrNotRegular):
		hint = "give a regular file: a directory, a named pipe or a device is not read"
	case errors.Is(err, inputfile.ErrTooLarge):
		hint = "a world file holds at most 1 MiB"
	}
	return &usageError{msg: err.Error(), hint: hint}
}

// world is `chaosrun world SUBCOMMAND`: the tools that make world files.
func (e *env) world(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			return usagef("run 'chaosrun help world'", "world needs a subcommand: import-mcp")
		}
		return errHelp{"world"}
	}
	switch args[0] {
	case "import-mcp":
		return e.importMCP(args[1:])
	}
	return usagef("run 'chaosrun help world'", "world: unknown subcommand %q (valid: import-mcp)", args[0])
}

// importFlags are world import-mcp's flags.
type importFlags struct{ out string }

func (f *importFlags) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("world import-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.out, "out", "", "FILE\twrite the world file there, whole or not at all (default: standard output)")
	return fs
}

// importMCP turns an MCP server's tools/list answer into a starting world
// file, for the team to complete.
func (e *env) importMCP(args []string) error {
	var f importFlags
	args, err := parseArgs("world", f.flags(), args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return usagef("e.g. chaosrun world import-mcp tools.json > world.yaml (the JSON of a tools/list answer)",
			"world import-mcp takes exactly one file: the server's tools/list answer")
	}
	if err := checkOut(f.out); err != nil {
		return err
	}
	path := args[0]
	data, err := inputfile.Read(path, inputfile.MaxSize)
	if err != nil {
		return worldError("tools/list file", path, err)
	}
	out, err := worlds.ImportMCP(data)
	if err != nil {
		return usagef("give the JSON of a tools/list answer: {\"tools\": [...]}, or the JSON-RPC response around it",
			"%s: %v", path, err)
	}
	if f.out == "" {
		_, err := e.stdout.Write(out)
		return err
	}
	if err := writeAtomic(f.out, out); err != nil {
		return usagef("check the path's directory and permissions", "--out %s: %v", f.out, err)
	}
	return nil
}

// checkOut refuses an --out that cannot be written, before anything is
// read, as the report flags are refused: a directory, or a file in a
// directory that is missing or not writable. writeAtomic writes beside the
// file, so the file's directory is probed.
func checkOut(path string) error {
	if path == "" {
		return nil
	}
	if err := notDirectory("out", path); err != nil {
		return err
	}
	return probe("out", path, filepath.Dir(path))
}

// writeAtomic writes data to path whole or not at all: beside it, then renamed.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".chaosrun-world-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
