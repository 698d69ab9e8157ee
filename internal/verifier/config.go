package verifier

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/toolchain"
)

// configName is the kernel configuration in a headers tree.
const configName = ".config"

// checkConfig compares the headers' .config with the manifest and returns its unquoted
// CONFIG_RUSTC_VERSION_TEXT ("" when unavailable).
func (r *run) checkConfig() string {
	p := path.Join(r.opts.Headers, configName)
	c := readConfig(r.fsys, p)
	if err := c.readErr; err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			r.add("config-missing", Error, p, "reinstall linux-headers-"+r.manifest.ABI, "the kernel configuration is missing")
		} else {
			r.report.Findings = append(r.report.Findings, configUnreadable(p, r.manifest.ABI, err))
		}
		return ""
	}
	if c.sha256 != r.manifest.ConfigSHA256 {
		r.add("config-mismatch", Error, p, "install the linux-librust and linux-headers packages of one kernel build",
			"SHA-256 %s, but the artifacts were built from a .config with SHA-256 %s", c.sha256, r.manifest.ConfigSHA256)
	}
	if c.parseErr != nil {
		r.add("config-invalid", Error, p, "reinstall linux-headers-"+r.manifest.ABI, "%v", c.parseErr)
		return ""
	}
	if c.rustErr != nil || c.rust != kconfig.Yes {
		msg := fmt.Sprintf("CONFIG_RUST is %s, not y: this kernel has no Rust support", c.rust)
		if c.rustErr != nil {
			msg = c.rustErr.Error()
		}
		r.add("config-no-rust", Error, p, "use a kernel built with CONFIG_RUST=y", "%s", msg)
	}
	switch {
	case c.verErr != nil:
		r.add("config-invalid", Error, p, "reinstall linux-headers-"+r.manifest.ABI, "%v", c.verErr)
	case !c.hasVer || c.version == "":
		r.add("config-no-rustc-version", Error, p, "use a kernel built with CONFIG_RUST=y",
			"no CONFIG_RUSTC_VERSION_TEXT: cannot tell which rustc the kernel was built with")
	default:
		return c.version
	}
	return ""
}

// configUnreadable is the finding of the .config p of abi that is there but cannot be
// read: not a regular file, or an error reading it.
func configUnreadable(p, abi string, err error) Finding {
	fix := "reinstall linux-headers-" + abi
	if errors.Is(err, fs.ErrPermission) {
		fix = permissionFix(p) + "; reinstalling linux-headers-" + abi + " restores its mode"
	}
	return Finding{Code: "config-unreadable", Severity: Error, Path: p, Message: err.Error(), Fix: fix}
}

// checkInstalledRustc compares the installed rustc's version text with the set's.
func (r *run) checkInstalledRustc() {
	want := r.report.RustcVersion
	if want == "" {
		return
	}
	got, err := "", error(toolchain.ErrNotInstalled)
	if r.opts.RustcVersion != nil {
		got, err = r.opts.RustcVersion()
		got = strings.TrimSuffix(got, "\n")
	}
	fix := fmt.Sprintf("install the rustc that prints %q", want)
	switch toolchain.Judge(want, got, err) {
	case toolchain.NotInstalled:
		r.add("rustc-not-installed", Note, "", fix+" to build Rust modules", "no rustc installed: the version check was skipped")
	case toolchain.Unusable:
		r.add("rustc-unusable", Warning, "", fix, "cannot run rustc --version: %v", err)
	case toolchain.Differs:
		r.add("rustc-installed-mismatch", Error, "", fix,
			"the installed rustc prints %q, but the kernel's Rust artifacts were built by %q: rustc refuses crates of any other version text, byte for byte (error E0514)",
			got, want)
	}
}
