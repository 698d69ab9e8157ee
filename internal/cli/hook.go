package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/linux-librust/linux-librust/internal/hook"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/linker"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/toolchain"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() { commands = append(commands, (*App).hookCmd) }

func (a *App) hookCmd() *cobra.Command {
	names := make([]string, len(hook.Contexts))
	for i, c := range hook.Contexts {
		names[i] = string(c)
	}
	c := &cobra.Command{
		Use:   "hook CONTEXT [ARG...]",
		Short: "act for a kernel hook, kernel-install or a maintainer script",
		Long: `hook is what the installed hooks and maintainer scripts run; CONTEXT says which,
the arguments are the caller's own:

  header_postinst.d ABI   headers configured (DEB_MAINT_PARAMS configure, or
                          abort-*: warn only): repair ABI
  postinst.d ABI          kernel image configured: repair ABI
  prerm.d ABI, postrm.d ABI
                          kernel image removed (remove, purge): repair ABI
  install.d add|remove KVER ...
                          kernel-install plugin: repair KVER
  librust-postinst ABI ARGS
                          postinst of linux-librust-ABI: configure links (an
                          upgrade repairs), then runs dkms autoinstall for ABI
                          when DKMS is installed (warn only); abort-* links (warn
                          only), triggered by /usr/src/linux-headers-ABI repairs
  librust-prerm ABI ARGS  remove unlinks; upgrade keeps the links
  librust-postrm ABI ARGS remove, purge: repair ABI
  tool-postinst ARGS      postinst of linux-librust: configure repairs every ABI;
                          triggered by linux-librust-relink repairs every ABI, by
                          /usr/bin/rustc checks every ABI's rustc (warn only)

The global flags (--root DIR, -v, ...) are taken before CONTEXT or anywhere after
it; every other argument, even one that starts with -, is the caller's, and so is
everything after --. The kernel hooks read DEB_MAINT_PARAMS (space-joined,
possibly quoted); run by hand without it they act. hook never reads standard
input nor writes standard output.
Exit status: 0 done or nothing to do, also when conflicts or failed checks leave an
ABI unlinked (they are warnings: see status and verify); 1 only when the system
could not be changed (an I/O error, the lock not obtained), since a failing hook
aborts the kernel package's configuration; 2 usage error.`,
		Example: `What the headers package's hook runs when it is configured, and what the
postinst of linux-librust-ABI runs:

  DEB_MAINT_PARAMS=configure linux-librust hook header_postinst.d 7.2.13+deb14-amd64
  linux-librust hook librust-postinst 7.2.13+deb14-amd64 configure ""`,
		Args:      cobra.MinimumNArgs(1),
		ValidArgs: names,
		// The global flags may follow CONTEXT: setup waits until RunE has taken them.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			callerArgs, err := takeGlobals(cmd.Root().PersistentFlags(), args[1:])
			if err != nil {
				return usageError(err)
			}
			if err := a.setup(); err != nil {
				return err
			}
			ctx := hook.Context(args[0])
			plan, err := hook.Decide(ctx, callerArgs, hook.Env{MaintParams: a.Getenv("DEB_MAINT_PARAMS")})
			if err != nil {
				return usageError(err)
			}
			if len(plan.Steps) == 0 {
				a.log.Debugf("hook %s: %s", ctx, plan.Why)
				return nil
			}
			a.log.Debugf("hook %s: %s: %s", ctx, plan.Why, plan.Steps)
			failed := false
			for _, s := range plan.Steps {
				err := a.hookStep(s)
				switch {
				case err == nil:
				case s.WarnOnly:
					a.log.Warnf("%s: %v (ignored: %s)", s, err, plan.Why)
				default:
					a.log.Errorf("%s: %v", s, err)
					failed = true
				}
			}
			if failed {
				return errProblems
			}
			return nil
		},
	}
	// After CONTEXT only the global flags are the tool's (takeGlobals); everything
	// else belongs to the caller, even what looks like a flag.
	c.Flags().SetInterspersed(false)
	return c
}

// takeGlobals sets the global flags found in args and returns the other arguments,
// in order. "--" ends the flags: what follows is all the caller's.
func takeGlobals(flags *pflag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(rest, args[i+1:]...), nil
		}
		var f *pflag.Flag
		name, value, hasValue := "", "", false
		switch {
		case strings.HasPrefix(arg, "--"):
			name, value, hasValue = strings.Cut(arg[2:], "=")
			f = flags.Lookup(name)
		case len(arg) == 2 && arg[0] == '-':
			f = flags.ShorthandLookup(arg[1:])
		}
		if f == nil {
			rest = append(rest, arg)
			continue
		}
		if !hasValue {
			switch {
			case f.NoOptDefVal != "":
				value = f.NoOptDefVal
			case i+1 < len(args):
				i++
				value = args[i]
			default:
				return nil, fmt.Errorf("--%s needs an argument", f.Name)
			}
		}
		if err := flags.Set(f.Name, value); err != nil {
			return nil, fmt.Errorf("--%s: %w", f.Name, err)
		}
	}
	return rest, nil
}

// hookEngine is the engine with the problems it reports downgraded to warnings:
// in a hook they leave an ABI unlinked but must not abort the caller.
func (a *App) hookEngine() *linker.Engine {
	e := a.engine()
	log := e.Log
	e.Log = func(ev logger.Event) {
		if ev.Level == logger.Error {
			ev.Level = logger.Warn
		}
		log(ev)
	}
	return e
}

// hookStep carries out one step. Problems (conflicts, failed checks) are
// reported as warnings and are not errors; an error is real breakage.
func (a *App) hookStep(s hook.Step) error {
	e := a.hookEngine()
	var reports []*linker.Report
	var err error
	switch s.Action {
	case hook.Link:
		var r *linker.Report
		r, err = e.Link(s.ABI)
		reports = append(reports, r)
	case hook.Unlink:
		var r *linker.Report
		r, err = e.Unlink(s.ABI)
		reports = append(reports, r)
	case hook.Repair:
		reports, err = e.Repair([]string{s.ABI})
	case hook.RepairAll:
		reports, err = e.RepairAll()
	case hook.CheckRustc:
		return a.checkRustc(e)
	case hook.BuildModules:
		return a.buildModules(s.ABI)
	default:
		return fmt.Errorf("unknown hook action %v", s.Action)
	}
	for _, r := range reports {
		if r != nil && len(r.Problems) > 0 {
			a.log.Warnf("%s: %d problem(s) left for the administrator; see 'linux-librust status %s', fix, then run 'linux-librust repair %s'",
				r.ABI, len(r.Problems), r.ABI, r.ABI)
		}
	}
	return err
}

// checkRustc warns, naming each installed kernel whose artifacts the installed rustc
// cannot read and the exact version text it needs. It fails only when the ABIs cannot
// be listed.
func (a *App) checkRustc(e *linker.Engine) error {
	list, err := e.ABIs()
	if err != nil {
		return err
	}
	var affected []string
	for _, m := range verifier.CheckRustc(a.fs, list, a.rustc().Version) {
		ev := logger.Event{Level: logger.Warn, Kind: logger.KindRustc, ABI: m.ABI, Message: m.Message()}
		switch m.Verdict {
		case toolchain.Matches:
			ev.Level = logger.Info
		case toolchain.Unknown:
			ev.Path = layout.Artifacts(m.ABI)
			affected = append(affected, m.ABI)
		default:
			affected = append(affected, m.ABI)
		}
		a.log.Log(ev)
	}
	if len(affected) > 0 {
		a.log.Log(logger.Event{Level: logger.Warn, Kind: logger.KindRustc, Message: fmt.Sprintf("rustc changed: %d kernel(s) affected: %s", len(affected), strings.Join(affected, " "))})
	}
	return nil
}
