package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/linker"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() {
	commands = append(commands, (*App).linkCmd, (*App).unlinkCmd, (*App).repairCmd)
}

// engine returns the link engine on the root, reporting through the logger.
func (a *App) engine() *linker.Engine {
	return &linker.Engine{
		FS:       a.fs,
		DryRun:   a.opts.dryRun,
		Force:    a.opts.force,
		Log:      a.log.Log,
		LockWait: a.LockWait,
	}
}

// finish maps reports and an error to the command's outcome.
func finish(reports []*linker.Report, err error) error {
	if err != nil {
		return err
	}
	for _, r := range reports {
		if r != nil && len(r.Problems) > 0 {
			return errProblems
		}
	}
	return nil
}

func (a *App) linkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "link ABI...",
		Short: "link the Rust artifacts of kernels into their headers trees",
		Long: `link makes, for every artifact P in the manifest of /usr/lib/linux-librust-ABI,
/usr/src/linux-headers-ABI/P a relative symbolic link to the artifact, so that
'make -C /lib/modules/ABI/build M=...' finds it. Links are created atomically;
a second run changes nothing. When either tree is missing there is nothing to do.
A foreign file, directory or link in the way is reported as a conflict and left
alone; with --force it is moved aside to PATH.linux-librust-backup, and unlink puts
it back.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			refused := false
			err := a.eachABI(args, func(e *linker.Engine, abi string) (*linker.Report, error) {
				if !a.precheck(abi) {
					refused = true
					return nil, nil
				}
				return e.Link(abi)
			})
			if err == nil && refused {
				return errProblems
			}
			return err
		},
	}
}

// eachABI validates args and runs fn for each ABI, going on after a failure.
func (a *App) eachABI(args []string, fn func(*linker.Engine, string) (*linker.Report, error)) error {
	list, err := abis(args)
	if err != nil {
		return err
	}
	e := a.engine()
	var reports []*linker.Report
	var errs []error
	for _, abi := range list {
		r, err := fn(e, abi)
		reports = append(reports, r)
		errs = append(errs, err)
	}
	return finish(reports, errors.Join(errs...))
}

// precheck runs the quick checks of verify before abi is linked and reports what they
// find. A failed check refuses the link unless --force. When either tree is missing
// there is nothing to check: the engine says there is nothing to do.
func (a *App) precheck(abi string) bool {
	for _, dir := range []string{layout.Headers(abi), layout.Artifacts(abi)} {
		if _, err := a.fs.Stat(dir); err != nil {
			return true
		}
	}
	r := a.verify(abi, verifier.Options{})
	if r.Clean() {
		return true
	}
	level := logger.Error
	if a.opts.force {
		level = logger.Warn
	}
	for _, f := range r.Findings {
		if f.Severity != verifier.Note {
			a.log.Log(logger.Event{Level: level, Kind: "verify", ABI: abi, Path: f.Path, Message: f.String()})
		}
	}
	if a.opts.force {
		a.log.Warnf("%s: linking despite the failed checks above (--force)", abi)
		return true
	}
	a.log.Errorf("%s: not linked: fix the problems above (linux-librust verify %s), or link anyway with --force", abi, abi)
	return false
}

func (a *App) unlinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unlink ABI...",
		Short: "remove what link made, restoring anything it moved aside",
		Long: `unlink removes exactly what link made for each ABI: its links, the directories it
created once they are empty, and puts back what --force moved aside. Nothing else
is touched: the headers tree is then as it was before link.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.eachABI(args, (*linker.Engine).Unlink)
		},
	}
}

func (a *App) repairCmd() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:   "repair (--all | ABI...)",
		Short: "converge every kernel: link where both trees exist, clean up elsewhere",
		Long: `repair links each ABI whose headers and artifacts trees both exist, and elsewhere
removes the tool's links that dangle or whose other tree is gone, with the
directories that remained only because of them (such as a headers directory that
dpkg could not remove). --all repairs every ABI found under the root.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageErrorf("repair needs either --all or ABI arguments")
			}
			e := a.engine()
			if all {
				return finish(e.RepairAll())
			}
			list, err := abis(args)
			if err != nil {
				return err
			}
			return finish(e.Repair(list))
		},
	}
	c.Flags().BoolVar(&all, "all", false, "repair every kernel found under the root")
	return c
}
