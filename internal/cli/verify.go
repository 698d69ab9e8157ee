package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os/exec"
	"path"
	"strings"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

func init() { commands = append(commands, (*App).verifyCmd) }

func (a *App) verifyCmd() *cobra.Command {
	var full, all bool
	c := &cobra.Command{
		Use:   "verify [--full] (--all | ABI...)",
		Short: "check that kernels' Rust artifacts are intact and usable",
		Long: `verify checks each ABI's artifact set (--all: every ABI with Rust artifacts
or links of the tool under the root): the manifest and every file it lists (size;
with --full also the SHA-256), the .rmeta headers and footers, the proc macros'
ELF headers, marker symbol and .rustc section, that one rustc version text built
every artifact and equals CONFIG_RUSTC_VERSION_TEXT of the headers' .config and
the manifest, that the .config is the one the set was built from, that the
installed rustc prints exactly that version, and the links from the headers tree.

Each finding prints as one line on standard output:

  ABI: SEVERITY: CODE: PATH: MESSAGE; fix: FIX

CODE is stable. With --json the output is {"format":1,"kernels":[...]}; later
versions only add fields. Exit status: 0 clean (notes only), 1 findings.`,
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
			for _, abi := range list {
				r := a.verify(abi, verifier.Options{Full: full, Links: true, RustcVersion: a.installedRustc})
				r.ABI = abi // also when the manifest is unreadable, or names another kernel
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
	c.Flags().BoolVar(&full, "full", false, "also check every artifact's SHA-256")
	c.Flags().BoolVar(&all, "all", false, "verify every kernel found under the root")
	return c
}

// rustABIs returns the ABIs under the root that have Rust artifacts or a state record
// of the tool: the ones verify --all checks. Headers trees alone (kernels without Rust
// artifacts, linux-headers-<ver>-common) are not.
func (a *App) rustABIs() ([]string, error) {
	all, err := a.engine().ABIs()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, abi := range all {
		for _, p := range []string{layout.Artifacts(abi), path.Join(layout.StateDir, abi)} {
			if _, err := a.fs.Stat(p); err == nil {
				out = append(out, abi)
				break
			}
		}
	}
	return out, nil
}

// verify runs the checks of opts on abi's trees.
func (a *App) verify(abi string, opts verifier.Options) verifier.Report {
	opts.Headers, opts.Artifacts = layout.Headers(abi), layout.Artifacts(abi)
	return verifier.Verify(a.fs, opts)
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

// installedRustc runs the root's rustc --version: from PATH on the running system,
// else the root's /usr/bin/rustc under chroot. A missing rustc wraps fs.ErrNotExist.
func (a *App) installedRustc() (string, error) {
	var cmd *exec.Cmd
	root := a.root
	if root == "/" {
		p, err := exec.LookPath("rustc")
		if err != nil {
			return "", fmt.Errorf("rustc not in PATH: %w", fs.ErrNotExist)
		}
		cmd = exec.Command(p, "--version")
	} else {
		const rustc = "/usr/bin/rustc"
		if _, err := a.fs.Stat(rustc); err != nil {
			return "", fmt.Errorf("%s: %w", path.Join(root, rustc), fs.ErrNotExist)
		}
		cmd = exec.Command("chroot", root, rustc, "--version")
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(stderr.String()))
		}
		return "", fmt.Errorf("%s: %w", strings.Join(cmd.Args, " "), err)
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}
