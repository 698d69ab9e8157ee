package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/linker"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() {
	commands = append(commands, (*App).linkCmd, (*App).unlinkCmd, (*App).repairCmd)
}

// engine returns the link engine on the root, reporting through the logger. Its
// Check is verify's quick check, so that every path that links (link, repair, the
// hooks) refuses a broken set the same way.
func (a *App) engine() *linker.Engine {
	return &linker.Engine{
		FS:       a.fs,
		DryRun:   a.opts.dryRun,
		Force:    a.opts.force,
		Verbose:  a.opts.verbose,
		Log:      a.log.Log,
		LockWait: a.LockWait,
		Check:    a.check,
	}
}

// check runs the quick checks of verify on abi. Errors are problems that refuse the
// link; warnings are reported and do not; notes are not reported.
func (a *App) check(abi string) []linker.Problem {
	r := a.verify(abi, verifier.Options{})
	a.log.Debugf("%s: quick checks of %d artifact(s), built by %q", abi, len(r.Paths), r.RustcVersion)
	var probs []linker.Problem
	for _, f := range r.Findings {
		switch f.Severity {
		case verifier.Note:
			a.log.Debugf("%s: %s", abi, f)
		case verifier.Warning:
			a.log.Log(logger.Event{Level: logger.Warn, Kind: logger.KindVerify, ABI: abi, Path: f.Path, Message: f.String()})
		default:
			probs = append(probs, linker.Problem{Kind: linker.ProblemCheck, Path: f.Path, Message: f.String()})
		}
	}
	a.log.Debugf("%s: quick checks: %d finding(s), %d refusing the link", abi, len(r.Findings), len(probs))
	return probs
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
		Use:               "link ABI...",
		ValidArgsFunction: a.completeABIs,
		Short:             "link the Rust artifacts of kernels into their headers trees",
		Long: `link makes, for every artifact P in the manifest of /usr/lib/linux-librust-ABI,
/usr/src/linux-headers-ABI/P a relative symbolic link to the artifact, so that
'make -C /lib/modules/ABI/build M=...' finds it. Links are created atomically;
a second run changes nothing. When either tree is missing (no Makefile in the
headers tree, no manifest in the artifacts tree) there is nothing to do.

It first runs the quick checks of verify: an error refuses the kernel (exit 1),
a warning is reported and does not; with --force the errors are warnings and the
links are made. A foreign file, directory or link in the way is reported as a
conflict and left alone; with --force it is moved aside to
PATH.linux-librust-backup, and unlink puts it back. A kernel with any problem
gets no new link at all (the links already in place stay): a partly linked set
makes module builds fail in confusing ways. repair and the hooks check and refuse
the same way.

--dry-run prints the plan on standard error, one "I: would ..." line per action,
also with -q, and changes nothing.`,
		Example: `See what link would do, then do it:

  linux-librust --dry-run link 7.2.13+deb14-amd64
  linux-librust link 7.2.13+deb14-amd64`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.eachABI(args, (*linker.Engine).Link)
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

func (a *App) unlinkCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "unlink ABI...",
		ValidArgsFunction: a.completeABIs,
		Short:             "remove what link made, restoring anything it moved aside",
		Long: `unlink removes exactly what link made for each ABI: its links, the directories it
created once they are empty, and puts back what --force moved aside. Nothing else
is touched: the headers tree is then as it was before link.`,
		Example: `Take the links away, putting back what --force moved aside:

  linux-librust unlink 7.2.13+deb14-amd64`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// One command for all: a shared link never moves to an ABI it unlinks.
			list, err := abis(args)
			if err != nil {
				return err
			}
			return finish(a.engine().UnlinkAll(list))
		},
	}
}

func (a *App) repairCmd() *cobra.Command {
	var all bool
	c := &cobra.Command{
		Use:               "repair (--all | ABI...)",
		ValidArgsFunction: a.completeABIs,
		Short:             "converge every kernel: link where both trees exist, clean up elsewhere",
		Long: `repair links each ABI whose headers and artifacts trees both exist, and elsewhere
removes the tool's links that dangle or whose other tree is gone, with the
directories that remained only because of them (such as a headers directory that
dpkg could not remove). --all repairs every ABI found under the root.`,
		Example: `Converge every kernel of this system, or of a system image made with dpkg --root:

  linux-librust repair --all
  linux-librust --root /srv/image repair --all`,
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
