package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/regionsim/regionsim/scenarios"
)

func main() {
	batchGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// batchGCPercent is the collector's GOGC for the command unless the
// environment sets GOGC: a heap may grow to three times what is live
// after a collection, not two. The command is a batch job whose heap is
// mostly state that lives for the whole run (ranges, their placement, the
// closed form, the result), which the collector marks again at each cycle
// without freeing it. Where a command takes --max-memory, it sets the
// memory limit, which still bounds the heap (merge has none). With
// 100,000 ranges per table, default ran in 1.6 s of CPU at 183 MiB with
// GOGC=100 and 1.07 s at 145 MiB with 200 (8 paired runs; 150, 300 and
// 400 gave 1.1-1.3 s); compare default did not change, and a sweep of
// users-by-city (20 seeds, pairs) took the same CPU at 139 MB instead of
// 92 (docs/decisions.md, "The command's collector target"). Go's own
// compiler raises its starting heap for the same reason
// (cmd/compile/internal/base AdjustStartingHeap).
const batchGCPercent = 200

// batchGC sets GOGC to batchGCPercent unless the environment sets GOGC.
func batchGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(batchGCPercent)
	}
}

// commands builds the subcommands, in the order 'regionsim help' lists them,
// each writing to the given stdout and stderr. A test may append one.
var commands = []func(stdout, stderr io.Writer) *cobra.Command{
	newRunCmd, newCompareCmd, newExplainCmd, newSweepCmd, newAdviseCmd, newMergeCmd, newScenariosCmd, newPresetsCmd, newTopologyCmd, newVersionCmd,
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
	root := newRoot(stdout, stderr)
	if len(args) == 0 {
		root.SetOut(stderr)
		_ = root.Help()
		return 2
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	name := ""
	if cmd != nil && cmd != root {
		name = cmd.Name()
	}
	var be bodyError
	switch {
	case errors.As(err, &be):
		err = be.err
	case err != nil:
		// Cobra's own errors: an unknown command (with its suggestions),
		// flag or argument. All are bad input.
		err = badInput(err)
	}
	return exitStatus(err, stderr, name)
}

// bodyError wraps the error a command's body returned, to tell it from
// cobra's own errors (which are all bad input).
type bodyError struct{ err error }

func (e bodyError) Error() string { return e.err.Error() }
func (e bodyError) Unwrap() error { return e.err }

func exitStatus(err error, stderr io.Writer, name string) int {
	var ie inputError
	var bug *scenarios.InternalError
	var failed assertFailed
	prefix := "regionsim"
	if name != "" {
		prefix += " " + name
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ie):
		fmt.Fprintf(stderr, "%s: %v\n", prefix, strings.TrimRight(err.Error(), "\n"))
		if name == "" {
			fmt.Fprintln(stderr, "Run 'regionsim help' for the commands.")
		}
		return 2
	case errors.As(err, &failed):
		fmt.Fprintf(stderr, "%s: %v\n", prefix, err)
		return 3
	case errors.As(err, &bug):
		fmt.Fprintf(stderr, "%s: %v\nplease report it with the scenario; reproduce with --seed %d\n%s",
			prefix, bug, bug.Seed, bug.Stack)
		return 1
	default:
		fmt.Fprintf(stderr, "%s: internal error: %v\n", prefix, err)
		return 1
	}
}

const rootHelp = `regionsim predicts read/write latency and availability of a CockroachDB-style
multi-region cluster for each table locality and survival goal.

Usage:
  regionsim <command> [arguments] [flags]

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name 10}} {{.Short}}{{end}}{{end}}

Example:
{{.Example}}

Flags:
{{.LocalFlags.FlagUsages}}
Run 'regionsim <command> --help' (or 'regionsim help <command>') for a
command's flags and examples.
Exit status: 0 success, 2 bad input (the message names the problem), 1 internal
failure (a bug: the message says how to reproduce it), 3 an assertion failed.
`

// commandHelp is the --help of every subcommand.
const commandHelp = `Usage: {{.UseLine}}
{{with .Long}}
{{trimTrailingWhitespaces .}}
{{end}}{{if .HasAvailableSubCommands}}
Commands:{{range .Commands}}{{if .IsAvailableCommand}}
  {{rpad .Name 10}} {{.Short}}{{end}}{{end}}
{{end}}{{if .HasExample}}
Example:
{{.Example}}
{{end}}{{if .HasAvailableLocalFlags}}
Flags:
{{.LocalFlags.FlagUsages}}{{end}}`

// newRoot builds the command tree writing to stdout and stderr.
func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "regionsim",
		Short: "simulate a CockroachDB multi-region cluster",
		Example: `  regionsim scenarios
  regionsim run default --duration 5s
  regionsim compare default --duration 5s`,
		Version:           versionText(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return badInput(err) })
	for _, build := range commands {
		c := build(stdout, stderr)
		c.Flags().SortFlags = false
		if c.RunE != nil {
			body := c.RunE
			c.RunE = func(c *cobra.Command, args []string) error {
				if err := body(c, args); err != nil {
					return bodyError{err}
				}
				return nil
			}
		}
		root.AddCommand(c)
	}
	help := &cobra.Command{
		Use:   "help [COMMAND]",
		Short: "print the help of regionsim or of a command",
		Long:  "Print the help of regionsim, or of COMMAND: the same as 'regionsim COMMAND --help'.",
		Example: `  regionsim help
  regionsim help run`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return root.Help()
			}
			cmd, rest, err := root.Find(args)
			if err != nil || cmd == root || len(rest) > 0 {
				return badInputf("unknown command %q (see 'regionsim help')", strings.Join(args, " "))
			}
			return cmd.Help()
		},
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []string
			for _, c := range root.Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name())
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
	}
	help.SetHelpTemplate(commandHelp)
	root.SetHelpCommand(help)
	root.InitDefaultHelpCmd()
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()
	root.SetHelpTemplate(rootHelp)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			sub.SetHelpTemplate(commandHelp)
			sub.SetUsageTemplate(commandHelp)
			walk(sub)
		}
	}
	walk(root)
	addCompletionExamples(root)
	return root
}

// addCompletionExamples adds the Example sections of cobra's completion
// commands.
func addCompletionExamples(root *cobra.Command) {
	comp, _, err := root.Find([]string{"completion"})
	if err != nil || comp == root {
		return
	}
	// Runnable, so that an unknown shell is an argument error (exit 2)
	// rather than cobra's help of a command group (exit 0).
	comp.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	comp.Short = "print a shell completion script: bash, zsh, fish or powershell"
	comp.Example = `  regionsim completion bash > /etc/bash_completion.d/regionsim
  regionsim completion zsh > "${fpath[1]}/_regionsim"
  regionsim completion fish > ~/.config/fish/completions/regionsim.fish`
	for _, sh := range comp.Commands() {
		switch sh.Name() {
		case "bash", "zsh", "fish", "powershell":
			sh.Example = "  regionsim completion " + sh.Name()
		}
	}
}

// stdin is what the scenario argument "-" reads; a test may replace it.
var stdin io.Reader = os.Stdin

// loadScenario loads the scenario argument, unvalidated: a built-in name, a
// YAML file, or "-" for a YAML scenario on standard input (named "stdin" in
// errors and, unless it has a name, in the output).
func loadScenario(arg string) (*scenarios.Scenario, error) {
	if arg != "-" {
		return scenarios.LoadUnvalidated(arg)
	}
	data, err := io.ReadAll(stdin)
	if err != nil {
		return nil, fmt.Errorf("reading the scenario from standard input: %w", err)
	}
	return scenarios.ParseUnvalidated(data, "stdin")
}

// noArgs is the cobra.PositionalArgs of a command that takes none.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return badInputf("unexpected argument %q", args[0])
	}
	return nil
}

// scenarioCommand returns a command that takes a scenario argument (a
// built-in name, a YAML file, or - for standard input), with its help and
// examples; the caller binds its flags and sets RunE.
func scenarioCommand(name, short, long, example string) *cobra.Command {
	return &cobra.Command{
		Use:               name + " [SCENARIO|FILE|-]",
		Short:             short,
		Long:              long,
		Example:           example,
		ValidArgsFunction: completeScenario,
	}
}

// completeScenario completes the scenario argument: the built-in names,
// then files.
func completeScenario(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, b := range scenarios.Builtins() {
		names = append(names, cobra.CompletionWithDesc(b.Name, b.Description))
	}
	return names, cobra.ShellCompDirectiveDefault
}
