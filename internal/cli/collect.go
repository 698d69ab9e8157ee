package cli

import (
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/collector"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

func init() { commands = append(commands, (*App).collectCmd) }

func (a *App) collectCmd() *cobra.Command {
	var buildDir, dest, abi string
	var list, strip bool
	c := &cobra.Command{
		Use:   "collect --build-dir KBUILD (--dest DIR | --list) [--abi ABI]",
		Short: "copy a kernel build's Rust artifacts and write their manifest (for packagers)",
		Long: `collect walks the whole kernel build tree KBUILD and takes every .rmeta file,
every .so file whose ELF dynamic symbols mark it as a Rust proc macro, and
scripts/target.json when present. It copies them to DIR at their paths relative to
KBUILD and writes DIR/linux-librust.manifest and DIR/SHA256SUMS (accepted by
'sha256sum -c' inside DIR). DIR must be new or empty. The same input gives a
byte-identical manifest. With --list it copies nothing and prints the relative
paths, one per line, for 'cpio -pd'. With --strip the copied proc macros are
stripped ('$STRIP --strip-unneeded', STRIP defaulting to strip) before they are
hashed: they keep the proc-macro marker and the .rustc section, modules build
identically, and the package is much smaller. Exclude the artifacts tree from
dh_strip, which would change them after the checksums were taken.

A tree without crate metadata or without a proc macro is refused: every
Rust-enabled kernel build has both. DIR, when inside KBUILD, is not searched, nor
is any directory holding a linux-librust.manifest (an earlier collected set): a
warning names it.

Paths are taken as given, not inside --root: collect works on a build tree.`,
		Example: `Collect a kernel build's artifacts into the tree of its linux-librust-ABI package:

  linux-librust collect --build-dir debian/build/build_amd64_none_amd64 --strip \
      --dest debian/linux-librust-7.2.13+deb14-amd64/usr/lib/linux-librust-7.2.13+deb14-amd64

Copy them elsewhere with cpio:

  cd KBUILD && linux-librust collect --build-dir . --list | cpio -pd DIR`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if buildDir == "" {
				return usageErrorf("collect needs --build-dir")
			}
			if (dest == "") == !list {
				return usageErrorf("collect needs either --dest DIR or --list")
			}
			if abi != "" {
				if _, err := abis([]string{abi}); err != nil {
					return err
				}
			}
			fsys, err := rootfs.New("/")
			if err != nil {
				return err
			}
			build, err := absPath(buildDir)
			if err != nil {
				return err
			}
			var destAbs string
			if dest != "" {
				if destAbs, err = absPath(dest); err != nil {
					return err
				}
			}
			tree, err := collector.Open(fsys, build, destAbs)
			if err != nil {
				return err
			}
			for _, d := range tree.Skipped {
				a.log.Warnf("%s holds an earlier collected set (%s): not collected again; remove it, or collect into a directory outside the build tree", d, layout.ManifestName)
			}
			if list {
				for _, p := range tree.Paths() {
					fmt.Fprintln(cmd.OutOrStdout(), p)
				}
				return nil
			}
			if a.opts.dryRun {
				for _, p := range tree.Paths() {
					a.log.Planf("", "would copy %s to %s", p, path.Join(destAbs, p))
				}
				return nil
			}
			var stripFn func(string) error
			if strip {
				stripFn = a.strip
			}
			m, err := tree.Copy(fsys, destAbs, abi, stripFn)
			if err != nil {
				return err
			}
			for _, art := range m.Artifacts {
				a.log.Debugf("%s: %s, %d bytes", art.Path, art.Kind, art.Size)
			}
			a.log.Log(logger.Event{Level: logger.Info, Kind: logger.KindCollect, ABI: m.ABI, Path: destAbs,
				Message: fmt.Sprintf("collected %d Rust artifacts of %s (%s) into %s", len(m.Artifacts), m.ABI, m.RustcVersion, destAbs)})
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&buildDir, "build-dir", "", "the kernel build tree `KBUILD`")
	f.StringVar(&dest, "dest", "", "copy the artifacts into `DIR`")
	f.StringVar(&abi, "abi", "", "the kernel release `ABI` (default: KBUILD/include/config/kernel.release)")
	f.BoolVar(&list, "list", false, "print the artifacts' relative paths instead of copying")
	f.BoolVar(&strip, "strip", false, "strip the copied proc macros with $STRIP (default strip) --strip-unneeded")
	return c
}

// strip runs $STRIP --strip-unneeded on p.
func (a *App) strip(p string) error {
	prog := a.Getenv("STRIP")
	if prog == "" {
		prog = "strip"
	}
	out, err := exec.Command(prog, "--strip-unneeded", p).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s --strip-unneeded: %v: %s (install binutils, or set STRIP)", prog, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// absPath makes p absolute against the working directory and resolves the links in
// the part that exists, so that a build tree given through a link is searched and
// a destination inside it is recognised.
func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	rest := ""
	for dir := abs; ; dir = filepath.Dir(dir) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.ToSlash(filepath.Join(real, rest)), nil
		}
		if dir == filepath.Dir(dir) {
			return filepath.ToSlash(abs), nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}
