package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/dkms"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() { commands = append(commands, (*App).prebuildCmd) }

func (a *App) prebuildCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "dkms-prebuild ABI",
		Short: "before a DKMS build: say whether Rust modules can be built for ABI",
		Long: `dkms-prebuild is for the dkms.conf of Rust modules, as PRE_BUILD (DKMS runs it
relative to its build directory and writes its output into the build's make.log):

  PRE_BUILD="../../../../../../../../usr/sbin/linux-librust dkms-prebuild ${kernelver}"

It checks that the headers of ABI are installed with CONFIG_RUST=y, that its Rust
artifacts (linux-librust-ABI) are installed and reachable from the headers tree,
and that the installed rustc is the one they were built by, and prints one line
per problem with its fix. Exit status: 0 build (a rustc of another version is a
warning: the build goes on and rustc reports E0514 after the diagnosis); 77 do not
build for this kernel now, which DKMS takes as "skipped", as for
BUILD_EXCLUSIVE_CONFIG: the kernel has no Rust support, or linux-librust-ABI is
not installed yet (its installation makes DKMS build the module); 1 the
artifacts are installed but unusable (see linux-librust verify ABI), or the
headers' .config is there but cannot be read; 2 usage error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := abis(args)
			if err != nil {
				return err
			}
			abi := list[0]
			c := verifier.CheckBuild(a.fs, abi, a.rustc().Version)
			for _, f := range c.Findings {
				lv, msg := logger.Error, fmt.Sprintf("%s: %s", abi, f)
				if c.Readiness == verifier.NotYet {
					lv, msg = logger.Warn, f.Message+"; fix: "+f.Fix // one line for the person, not a finding
				}
				if f.Severity == verifier.Warning {
					lv = logger.Warn
				}
				a.log.Log(logger.Event{Level: lv, Kind: logger.KindVerify, ABI: abi, Path: f.Path, Message: msg})
			}
			if c.Rustc != nil {
				// The same words as the rustc trigger's warning; rustc's E0514 follows.
				a.log.Log(logger.Event{Level: logger.Warn, Kind: logger.KindRustc, ABI: abi, Message: c.Rustc.Message()})
			}
			switch c.Readiness {
			case verifier.NotYet:
				a.log.Infof("%s: not building Rust modules for this kernel now (exit %d: skipped)", abi, dkms.ExitSkipped)
				return &exitError{code: dkms.ExitSkipped}
			case verifier.Broken:
				a.log.Errorf("%s: Rust modules cannot be built: fix the above (linux-librust verify %s, linux-librust status %s)", abi, abi, abi)
				return errProblems
			}
			a.log.Infof("%s: the kernel's Rust artifacts are in place for a module build", abi)
			return nil
		},
	}
}
