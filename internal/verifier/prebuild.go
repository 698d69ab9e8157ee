package verifier

import (
	"errors"
	"fmt"
	"io/fs"
	"path"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/toolchain"
)

// Readiness says whether an out-of-tree Rust module can be built for a kernel now.
type Readiness int

const (
	// Ready: build. Warnings may remain (another rustc is installed): the build goes on
	// and the compiler has the last word.
	Ready Readiness = iota
	// NotYet: do not build for this kernel now: it has no headers, no Rust support, or
	// its Rust artifacts (linux-librust-<ABI>) are not installed. Installing them makes
	// DKMS build by itself.
	NotYet
	// Broken: the artifacts are installed but a module build would fail or use a wrong
	// file; the findings say what to fix.
	Broken
)

// BuildCheck is the outcome of CheckBuild: the readiness and what to tell the person
// reading the build log, one finding per line, and then, when the installed rustc
// cannot read the set, Rustc (whose Message is the rustc trigger's warning).
type BuildCheck struct {
	Readiness Readiness
	Findings  []Finding
	Rustc     *RustcMatch
}

// CheckBuild decides whether a Rust module can be built against the headers of abi
// now, before a module build starts (linux-librust dkms-prebuild); installed is what
// the installed rustc prints (Options.RustcVersion). The quick checks of Verify with
// the links decide Broken; a rustc that cannot read the set (as MatchRustc) is a warning
// only, since a build may name another compiler (RUSTC=): rustc has the last word.
func CheckBuild(fsys rootfs.FS, abi string, installed func() (string, error)) BuildCheck {
	headers, artifacts := layout.Headers(abi), layout.Artifacts(abi)
	notYet := func(code, p, fix, format string, args ...any) BuildCheck {
		return BuildCheck{Readiness: NotYet, Findings: []Finding{{
			Code: code, Severity: Error, Path: p, Message: fmt.Sprintf(format, args...), Fix: fix}}}
	}
	cfg := path.Join(headers, configName)
	c := readConfig(fsys, cfg)
	switch {
	case errors.Is(c.readErr, fs.ErrNotExist):
		return notYet("headers-missing", headers, "install linux-headers-"+abi,
			"%s: the kernel's headers are not installed: no module can be built for it", abi)
	case c.readErr != nil:
		// There, but not readable: a real fault, not a kernel to skip.
		return BuildCheck{Readiness: Broken, Findings: []Finding{configUnreadable(cfg, abi, c.readErr)}}
	}
	if c.parseErr != nil {
		return BuildCheck{Readiness: Broken, Findings: []Finding{{Code: "config-invalid", Severity: Error, Path: cfg,
			Message: c.parseErr.Error(), Fix: "reinstall linux-headers-" + abi}}}
	} else if c.rust != kconfig.Yes {
		return notYet("config-no-rust", cfg, "build Rust modules only for kernels with CONFIG_RUST=y (BUILD_EXCLUSIVE_CONFIG=\"CONFIG_RUST\")",
			"%s: the kernel is built without Rust support (CONFIG_RUST): no Rust module can be built for it", abi)
	}
	if _, err := fsys.Stat(artifacts); err != nil {
		// The set for this machine: the native one, or one cross-built for it.
		pkg := debarch.SetPackage(abi, "")
		if h, ok := debarch.Host(); ok && c.kernel.SrcArch != "" {
			pkg = h.Package(abi, c.kernel)
		}
		return notYet("artifacts-missing", artifacts, "apt install "+pkg+" (DKMS then builds its modules by itself)",
			"%s: Rust modules need the kernel's Rust artifacts, and %s is not installed", abi, pkg)
	}
	rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Links: true})
	out := BuildCheck{Readiness: Ready}
	for _, f := range rep.Findings {
		if f.Severity == Note {
			continue
		}
		if f.Severity == Error {
			out.Readiness = Broken
		}
		out.Findings = append(out.Findings, f)
	}
	// rep.RustcVersion is the version text MatchRustc would read again.
	if m := judgeRustc(abi, rep.RustcVersion, installed); m.Verdict != toolchain.Matches && m.Verdict != toolchain.Unknown {
		out.Rustc = &m
	}
	return out
}
