// Package cli is the linux-librust command line: it parses arguments, sets up the
// root file system and the logger, runs one command and maps the outcome to an exit
// status (0 done or nothing to do, 1 refused or problems found, 2 usage error).
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/toolchain"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

// Exit statuses; they are a stable interface.
const (
	ExitOK       = 0
	ExitProblems = 1
	ExitUsage    = 2
)

// Version is the version --version prints. Packagers set it at link time:
//
//	go build -ldflags "-X github.com/linux-librust/linux-librust/internal/cli.Version=0.1.0" ./cmd/linux-librust
//
// When it is empty the module version recorded by the Go toolchain is used.
var Version string

// version returns Version, else the main module's version from the build info.
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// App holds what a command run needs from the outside world.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// Journal enables journald entries (off in tests).
	Journal bool
	// LockWait bounds the wait for another instance.
	LockWait time.Duration
	// CheckCache lets the quick checks reuse their findings across runs while no file
	// they read changed (verifier.Cache; off in tests, which assert whole trees).
	CheckCache bool

	opts globals
	root string // the resolved root directory
	fs   rootfs.FS
	log  *logger.Logger
	// installed is the root's rustc, asked at most once per run.
	installed *toolchain.Rustc
	// cache is the check cache of the root, written once at the end of the run.
	cache *verifier.Cache
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
	a := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr, Getenv: os.Getenv, Journal: true, LockWait: 60 * time.Second, CheckCache: true}
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
		Version:           version(),
		SilenceUsage:      true,
		SilenceErrors:     true,
		DisableAutoGenTag: true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if cmd == cmd.Root() {
				return nil // no command: nothing to set up
			}
			return a.setup()
		},
		// Any argument left for the root is an unknown command.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unknown command %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var names []string
			for _, c := range cmd.Commands() {
				if c.IsAvailableCommand() && c.Name() != "help" {
					names = append(names, c.Name())
				}
			}
			fmt.Fprintf(a.Stderr, "Usage: linux-librust [GLOBAL FLAGS] COMMAND [ARG...]\nCommands: %s\n", strings.Join(names, ", "))
			return usageErrorf("no command given")
		},
	}
	root.Flags().Bool("version", false, "print the version and exit")
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&a.opts.root, "root", "", "operate on the system under `DIR` (default: $DPKG_ROOT when set, else /)")
	pf.BoolVar(&a.opts.dryRun, "dry-run", false, "print what would be done, change nothing")
	pf.BoolVarP(&a.opts.quiet, "quiet", "q", false, "report only warnings and errors, and the plan of a dry run")
	pf.BoolVarP(&a.opts.verbose, "verbose", "v", false, "report each step")
	pf.BoolVar(&a.opts.force, "force", false, "go ahead despite conflicts or failed checks (where the command says so)")
	pf.BoolVar(&a.opts.json, "json", false, "print data as JSON (status, verify)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageError(err) })
	for _, mk := range commands {
		c := mk(a)
		if check := c.Args; check != nil {
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return usageError(err)
				}
				return nil
			}
		}
		root.AddCommand(c)
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
	if a.cache != nil {
		_ = a.cache.Flush() // a cache not written is only read again
	}
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
	if err := a.openRoot(); err != nil {
		return err
	}
	if a.CheckCache && !a.opts.dryRun {
		a.cache = &verifier.Cache{FS: a.fs}
	}
	logFile := layout.LogFile
	if a.opts.dryRun {
		logFile = ""
	}
	a.log = logger.New(a.Stderr, logger.Options{
		Quiet: a.opts.quiet, Verbose: a.opts.verbose, Journal: a.Journal,
		FS: a.fs, File: logFile,
	})
	return nil
}

// openRoot resolves the root (--root, else $DPKG_ROOT when set and not empty, else /)
// and opens its file system.
func (a *App) openRoot() error {
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
	// Each ABI's artifacts: the set built for this machine when installed, else the
	// native one (layout.Choose).
	if h, ok := debarch.Host(); ok {
		layout.UseBuildSets(fs, h.Tuple)
	}
	return nil
}

// completeABIs completes an ABI argument with the kernels under the root that have
// Rust artifacts or a state record of the tool (shell completion).
func (a *App) completeABIs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if a.openRoot() != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	list, err := a.rustABIs()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	given := map[string]bool{}
	for _, g := range args {
		given[g] = true
	}
	var out []cobra.Completion
	for _, abi := range list {
		if strings.HasPrefix(abi, toComplete) && !given[abi] {
			out = append(out, abi)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
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
