// Package cli is the linux-librust command line: it parses arguments, sets up the
// root file system and the logger, runs one command and maps the outcome to an exit
// status (0 done or nothing to do, 1 refused or problems found, 2 usage error).
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/toolchain"
)

// Exit statuses; they are a stable interface.
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitUsage    = 2
)

// App holds what a command run needs from the outside world.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Journal enables journald entries (off in tests).
	Journal bool
	// LockWait bounds the wait for another instance.
	LockWait time.Duration

	opts globals
	root string // the resolved root directory
	fs   rootfs.FS
	log  *logger.Logger
	// installed is the root's rustc, asked at most once per run.
	installed *toolchain.Rustc
}

type globals struct {
	root    string
	dryRun  bool
	quiet   bool
	verbose bool
	force   bool
	json    bool
}

// Run runs linux-librust with args (args[0] is the program name).
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 1 && args[1] == toolchain.HelperArg {
		return toolchain.Helper(args[2:], stderr)
	}
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Journal: true, LockWait: 60 * time.Second}
	return a.Run(args)
}

// commands holds the constructors of the subcommands; each command's file adds its own.
var commands []func(*App) *cobra.Command

// Command returns the root command (also used to generate the man page and completion).
func (a *App) Command() *cobra.Command {
	root := &cobra.Command{
		Use:   "linux-librust",
		Short: "link and check the Rust artifacts of Debian kernels",
		Long: `linux-librust makes out-of-tree Rust kernel modules buildable against a
distribution kernel. The package linux-librust-ABI installs the Rust artifacts of
a kernel build (crate metadata, proc macros, the target specification) under
/usr/lib/linux-librust-ABI; linux-librust links them into the kernel's headers
tree /usr/src/linux-headers-ABI, checks that they are intact and that they match
the kernel configuration and the installed rustc, reports and repairs.

Exit status: 0 done or nothing to do, 1 refused or problems found, 2 usage error.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return a.setup() },
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.opts.root, "root", "", "operate on the system under `DIR` (default: $DPKG_ROOT when set, else /)")
	pf.BoolVar(&a.opts.dryRun, "dry-run", false, "print what would be done, change nothing")
	pf.BoolVarP(&a.opts.quiet, "quiet", "q", false, "report only warnings and errors")
	pf.BoolVarP(&a.opts.verbose, "verbose", "v", false, "report each step")
	pf.BoolVar(&a.opts.force, "force", false, "go ahead despite conflicts or failed checks (where the command says so)")
	pf.BoolVar(&a.opts.json, "json", false, "print data as JSON (status, verify)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(err) })
	for _, mk := range commands {
		root.AddCommand(mk(a))
	}
	sort.Slice(root.Commands(), func(i, j int) bool { return root.Commands()[i].Name() < root.Commands()[j].Name() })
	return root
}

// Run runs the command line args and returns the exit status.
func (a *App) Run(args []string) int {
	root := a.Command()
	root.SetArgs(args[1:])
	root.SetIn(a.Stdin)
	root.SetOut(a.Stdout)
	root.SetErr(a.Stderr)
	err := root.Execute()
	if a.log != nil {
		a.log.Close()
	}
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		if ee.err != nil {
			a.printError(ee.err)
		}
		if ee.code == ExitUsage {
			fmt.Fprintln(a.Stderr, "Try 'linux-librust --help' for more information.")
		}
		return ee.code
	case isCobraUsage(err):
		a.printError(err)
		fmt.Fprintln(a.Stderr, "Try 'linux-librust --help' for more information.")
		return ExitUsage
	default:
		a.printError(err)
		return ExitProblems
	}
}

// printError prints err on stderr, "E: " before each of its lines (errors joined for
// several ABIs have one line each).
func (a *App) printError(err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(a.Stderr, "E: %s\n", line)
	}
}

// isCobraUsage recognises the errors cobra returns for an unknown command or
// misplaced arguments (it has no typed errors for them).
func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.Contains(s, "arg(s)") ||
		strings.HasPrefix(s, "unknown flag") || strings.HasPrefix(s, "unknown shorthand flag")
}

// exitError carries an exit status; err, when not nil, is printed once.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{ExitUsage, err} }

func usageErrorf(format string, a ...any) error { return usageError(fmt.Errorf(format, a...)) }

// errProblems ends a command whose problems were already reported.
var errProblems = &exitError{code: ExitProblems}

// setup resolves the root and opens the file system and the logger.
func (a *App) setup() error {
	if a.opts.quiet && a.opts.verbose {
		return usageErrorf("-q and -v exclude each other")
	}
	root := a.opts.root
	if root == "" {
		root = a.Getenv("DPKG_ROOT")
	}
	if root == "" {
		root = "/"
	}
	fs, err := rootfs.New(root)
	if err != nil {
		return fmt.Errorf("open root %s: %w (give an existing directory with --root or DPKG_ROOT)", root, err)
	}
	a.fs, a.root = fs, root
	logFile := layout.LogFile
	if a.opts.dryRun {
		logFile = ""
	}
	a.log = logger.New(a.Stderr, logger.Options{
		Quiet: a.opts.quiet, Verbose: a.opts.verbose, Journal: a.Journal,
		FS: fs, File: logFile,
	})
	return nil
}

// abis validates ABI arguments: a malformed one is a usage error.
func abis(args []string) ([]string, error) {
	for _, abi := range args {
		if err := layout.ValidateABI(abi); err != nil {
			return nil, usageError(err)
		}
	}
	return args, nil
}
