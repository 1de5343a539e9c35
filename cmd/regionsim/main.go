package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/scenarios"
	"github.com/regionsim/regionsim/scenarios/report"
)

// version is the regionsim release; overridden at link time with
// -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// command is one subcommand: its one-line summary, usage text and body.
type command struct {
	summary string
	usage   string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is filled in init: the command bodies refer back to it for their
// usage lines.
var commands map[string]command

func init() {
	commands = map[string]command{
		"run": {
			summary: "simulate a scenario: latency per table, op and client region",
			usage:   "regionsim run [SCENARIO|FILE] [flags]",
			run:     runRun,
		},
		"compare": {
			summary: "simulate a scenario under ZONE and REGION survival, side by side",
			usage:   "regionsim compare [SCENARIO|FILE] [flags]",
			run:     runCompare,
		},
		"sweep": {
			summary: "every single AZ and region outage under ZONE and REGION survival: availability per fault",
			usage:   "regionsim sweep [SCENARIO|FILE] [flags]",
			run:     runSweep,
		},
		"scenarios": {
			summary: "list the built-in scenarios",
			usage:   "regionsim scenarios",
			run:     runScenarios,
		},
		"presets": {
			summary: "list the built-in RTT presets with their regions and sources",
			usage:   "regionsim presets",
			run:     runPresets,
		},
		"topology": {
			summary: "print the resolved cluster layout and RTT matrix",
			usage:   "regionsim topology [SCENARIO|FILE] [flags]",
			run:     runTopology,
		},
		"version": {
			summary: "print the regionsim version",
			usage:   "regionsim version",
			run:     runVersion,
		},
	}
}

// inputError marks bad user input: it exits with status 2.
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

func badInput(err error) error {
	if err == nil {
		return nil
	}
	return inputError{err}
}

func badInputf(format string, args ...any) error { return inputError{fmt.Errorf(format, args...)} }

// run executes the command line and returns the process exit status: 0 on
// success, 2 on bad input, 1 on internal failure (a bug: a panic anywhere is
// caught here and reported with the command line that reproduces it), 3
// when an assertion fails.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(stderr, "regionsim: internal error (a bug, please report it): %v\nreproduce with: regionsim %s\n%s",
				v, strings.Join(args, " "), debug.Stack())
			code = 1
		}
	}()
	if len(args) == 0 {
		writeUsage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "--help":
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return exitStatus(c.run([]string{"--help"}, stdout, stderr), stderr, args[1])
			}
			fmt.Fprintf(stderr, "regionsim: help: unknown command %q (see 'regionsim help')\n", args[1])
			return 2
		}
		writeUsage(stdout)
		return 0
	case "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "regionsim: unknown command %q (see 'regionsim help')\n", name)
		return 2
	}
	return exitStatus(c.run(args[1:], stdout, stderr), stderr, name)
}

func exitStatus(err error, stderr io.Writer, name string) int {
	var ie inputError
	var bug *scenarios.InternalError
	var failed assertFailed
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ie):
		fmt.Fprintf(stderr, "regionsim %s: %v\n", name, err)
		return 2
	case errors.As(err, &failed):
		fmt.Fprintf(stderr, "regionsim %s: %v\n", name, err)
		return 3
	case errors.As(err, &bug):
		fmt.Fprintf(stderr, "regionsim %s: %v\nplease report it with the scenario; reproduce with --seed %d\n%s",
			name, bug, bug.Seed, bug.Stack)
		return 1
	default:
		fmt.Fprintf(stderr, "regionsim %s: internal error: %v\n", name, err)
		return 1
	}
}

func writeUsage(w io.Writer) {
	fmt.Fprint(w, `regionsim predicts read/write latency and availability of a CockroachDB-style
multi-region cluster for each table locality and survival goal.

Usage:
  regionsim <command> [arguments] [flags]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprint(w, `
Run 'regionsim <command> --help' for a command's flags.
Exit status: 0 success, 2 bad input (the message names the problem), 1 internal
failure (a bug: the message says how to reproduce it), 3 an assertion failed.
`)
}

// newFlags returns a flag set for a command whose --help prints the usage
// line, the description and the flags to stdout.
func newFlags(name string, stdout io.Writer, description string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		c := commands[name]
		fmt.Fprintf(stdout, "Usage: %s\n\n%s\n", c.usage, strings.TrimSpace(description))
		if fs.HasFlags() {
			fmt.Fprintf(stdout, "\nFlags:\n%s", fs.FlagUsages())
		}
	}
	return fs
}

// parse parses args (pflag prints the help itself on --help) and turns flag
// errors into input errors that name the offending flag.
func parse(fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, pflag.ErrHelp) {
		return err
	}
	return badInput(err)
}

func noArgs(fs *pflag.FlagSet) error {
	if fs.NArg() > 0 {
		return badInputf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func runVersion(args []string, stdout, _ io.Writer) error {
	fs := newFlags("version", stdout, `Print the regionsim version, the tool_version its JSON documents carry
(the module version Go stamped into the build, or "devel"), and the Go
toolchain it was built with.`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "regionsim %s (tool_version %s, %s %s/%s)\n", version, report.ToolVersion(),
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
