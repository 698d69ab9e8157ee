package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/linker"
	"github.com/linux-librust/linux-librust/internal/toolchain"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() { commands = append(commands, (*App).verifyCmd) }

func (a *App) verifyCmd() *cobra.Command {
	var full, all bool
	c := &cobra.Command{
		Use:               "verify [--full] (--all | ABI...)",
		ValidArgsFunction: a.completeABIs,
		Short:             "check that kernels' Rust artifacts are intact and usable",
		Long: `verify checks each ABI's artifact set (--all: every ABI with Rust artifacts
or links of the tool under the root): the manifest and every file it lists (size;
with --full also the digest: BLAKE3, or SHA-256 in a manifest written without
BLAKE3), the .rmeta headers and footers, the proc macros'
ELF headers, marker symbol and .rustc section, that one rustc version text built
every artifact and equals CONFIG_RUSTC_VERSION_TEXT of the headers' .config and
the manifest, that the .config is the one the set was built from, that the
installed rustc prints exactly that version, and the links from the headers tree.

Each finding prints as one line on standard output:

  ABI: SEVERITY: CODE: PATH: MESSAGE; fix: FIX

CODE is stable. With --json the output is {"format":1,"kernels":[...]}; later
versions only add fields. Exit status: 0 clean (notes only), 1 findings.`,
		Example: `Check every kernel's artifacts, with their checksums:

  linux-librust verify --full --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return usageErrorf("verify needs either --all or ABI arguments")
			}
			list, err := abis(args)
			if err != nil {
				return err
			}
			if all {
				if list, err = a.rustABIs(); err != nil {
					return err
				}
			}
			reports := make([]verifier.Report, 0, len(list))
			clean := true
			mode := "quick"
			if full {
				mode = "full"
			}
			for _, abi := range list {
				a.log.Debugf("%s: %s check of %s, linked into %s", abi, mode, layout.Artifacts(abi), layout.Headers(abi))
				r := a.verify(abi, verifier.Options{Full: full, Links: true, RustcVersion: a.rustc().Version})
				r.ABI = abi // also when the manifest is unreadable, or names another kernel
				a.explainReport(r)
				reports = append(reports, r)
				clean = clean && r.Clean()
			}
			out := cmd.OutOrStdout()
			if a.opts.json {
				b, err := json.MarshalIndent(struct {
					Format  int               `json:"format"`
					Kernels []verifier.Report `json:"kernels"`
				}{1, reports}, "", "  ")
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", b)
			} else {
				for i, r := range reports {
					printReport(out, list[i], r, full)
				}
			}
			if !clean {
				return errProblems
			}
			return nil
		},
	}
	c.Flags().BoolVar(&full, "full", false, "also hash every artifact and compare its digest with the manifest's")
	c.Flags().BoolVar(&all, "all", false, "verify every kernel found under the root")
	return c
}

// rustABIs returns the ABIs under the root that verify --all, status and the shell
// completion cover.
func (a *App) rustABIs() ([]string, error) {
	all, err := (&linker.Engine{FS: a.fs}).ABIs()
	if err != nil {
		return nil, err
	}
	return verifier.RustABIs(a.fs, all), nil
}

// verify runs the checks of opts on abi's trees.
func (a *App) verify(abi string, opts verifier.Options) verifier.Report {
	opts.Headers, opts.Artifacts = layout.Headers(abi), layout.Artifacts(abi)
	opts.Cache = a.cache
	return verifier.Verify(a.fs, opts)
}

// explainReport reports, as debug events (-v), what verify looked at for r. Without
// -v it does nothing: it would run rustc for a set that needs none.
func (a *App) explainReport(r verifier.Report) {
	if !a.opts.verbose {
		return
	}
	for _, p := range r.Paths {
		a.log.Debugf("%s: checked %s", r.ABI, p)
	}
	if r.RustcVersion != "" {
		a.log.Debugf("%s: the set was built by %q", r.ABI, r.RustcVersion)
	}
	if v, err := a.rustc().Version(); err == nil {
		a.log.Debugf("%s: the installed rustc prints %q", r.ABI, v)
	} else {
		a.log.Debugf("%s: installed rustc: %v", r.ABI, err)
	}
	a.log.Debugf("%s: %d finding(s)", r.ABI, len(r.Findings))
}

func printReport(w io.Writer, abi string, r verifier.Report, full bool) {
	for _, f := range r.Findings {
		fmt.Fprintf(w, "%s: %s\n", abi, f)
	}
	if r.Clean() {
		mode := "quick"
		if full {
			mode = "full"
		}
		fmt.Fprintf(w, "%s: ok (%d artifacts, %s check)\n", abi, len(r.Paths), mode)
	}
}

// rustc is the root's installed rustc, asked at most once per run.
func (a *App) rustc() *toolchain.Rustc {
	if a.installed == nil {
		a.installed = toolchain.Installed(a.root, a.fs)
	}
	return a.installed
}
