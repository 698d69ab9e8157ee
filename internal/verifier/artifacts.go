package verifier

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rmeta"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// maxTargetSpec bounds the target spec read into memory (the real one is 545 bytes).
const maxTargetSpec = 1 << 20

// MaxArtifactSize bounds an artifact that is checked at all: the largest real one,
// libcore.rmeta, has 64 MB.
const MaxArtifactSize = 1 << 30

// checkFiles checks every listed artifact's presence, size and content headers, and
// returns the artifacts that are regular files.
func (r *run) checkFiles() []manifest.Artifact {
	var present []manifest.Artifact
	for _, a := range r.manifest.Artifacts {
		p := r.art(a.Path)
		fi, err := r.fsys.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			r.add("artifact-missing", Error, p, r.reinstall(), "listed in the manifest but missing")
			continue
		case err != nil:
			r.unreadable(p, err)
			continue
		case !fi.Mode().IsRegular():
			r.add("artifact-not-file", Error, p, r.reinstall(), "a %s, not a regular file", fileType(fi))
			continue
		}
		if fi.Size() > MaxArtifactSize {
			r.add("artifact-too-large", Error, p, r.reinstall(),
				"%d bytes, more than the %d an artifact may have: not read", fi.Size(), int64(MaxArtifactSize))
			continue
		}
		present = append(present, a)
		r.checkReadable(p, fi)
		if fi.Size() != a.Size {
			r.add("size-mismatch", Error, p, r.reinstall(), "%d bytes, the manifest says %d", fi.Size(), a.Size)
		}
		f, err := rootfs.OpenRegular(r.fsys, p, os.O_RDONLY|syscall.O_NOFOLLOW, 0) // as it was at Lstat
		if err != nil {
			r.unreadable(p, err)
			continue
		}
		switch a.Kind {
		case manifest.KindRmeta:
			r.checkRmeta(a, p, f, fi.Size())
		case manifest.KindProcMacro:
			r.checkProcMacro(a, p, f, fi.Size())
		}
		f.Close()
	}
	return present
}

func (r *run) reinstall() string {
	return "reinstall " + r.manifest.Package() + " (or rerun collect from the kernel build tree)"
}

// unreadable reports the artifact p that could not be read. Permission denied is this
// user's lack of access, not damage: its fix is access, not a reinstall.
func (r *run) unreadable(p string, err error) {
	fix := r.reinstall()
	switch {
	case errors.Is(err, fs.ErrPermission):
		fix = permissionFix(p)
	case errors.Is(err, errChanged):
		fix = "check again once nothing changes it (a package being installed): linux-librust verify --full " + r.manifest.ABI
	}
	r.add("artifact-unreadable", Error, p, fix, "%v", err)
}

// permissionFix is the fix for a file p that the user running the tool may not read or
// reach. Root, as dkms runs, reads it anyway.
func permissionFix(p string) string {
	return "let module builds as this user read it (chmod a+r " + p + ", and a+x on each directory above it that lacks it), or run linux-librust as root"
}

// rmetaCodes maps rmeta error kinds to finding codes.
var rmetaCodes = []struct {
	kind error
	code string
}{
	{rmeta.ErrNotMetadata, "not-metadata"},
	{rmeta.ErrUnknownFormat, "unknown-format"},
	{rmeta.ErrTruncated, "truncated"},
	{rmeta.ErrTrailing, "trailing-data"},
	{rmeta.ErrCorrupt, "corrupt"},
}

// metadataFinding turns an rmeta error into a finding with the given code prefix.
func (r *run) metadataFinding(prefix, p string, err error) {
	for _, c := range rmetaCodes {
		if errors.Is(err, c.kind) {
			fix := r.reinstall()
			if c.kind == rmeta.ErrUnknownFormat {
				fix = "upgrade linux-librust, or rebuild the set with the rustc of the kernel's CONFIG_RUSTC_VERSION_TEXT"
			}
			r.add(prefix+c.code, Error, p, fix, "%v", err)
			return
		}
	}
	r.unreadable(p, err)
}

func (r *run) checkRmeta(a manifest.Artifact, p string, f io.ReaderAt, size int64) {
	info, err := rmeta.Read(f, size)
	if err != nil {
		r.metadataFinding("rmeta-", p, err)
		return
	}
	if info.FooterUnknown {
		r.add("rmeta-footer-unknown", Warning, p, "run linux-librust verify --full to compare its checksum",
			"format 9 without the %q footer from %s, which may or may not write one: truncation cannot be ruled out",
			rmeta.Footer, info.RustcVersion)
	}
	r.version(a, p, info.RustcVersion)
	if c := info.Crate; c != nil {
		name := c.Target
		if c.CustomTarget {
			r.customTargets[c.TargetJSON] = append(r.customTargets[c.TargetJSON], p)
			name += ".json"
		}
		r.targetNames[name] = append(r.targetNames[name], p)
		if c.IsProcMacro {
			r.add("rmeta-proc-macro", Warning, p, r.reinstall(),
				"the crate header says proc macro, which rustc loads from a .so, never from a .rmeta")
		}
	}
}

func (r *run) checkProcMacro(a manifest.Artifact, p string, f io.ReaderAt, size int64) {
	info, err := dylib.Read(f, size)
	if err != nil {
		if errors.Is(err, dylib.ErrNotELF) {
			r.add("procmacro-not-elf", Error, p, r.reinstall(), "not a valid ELF shared object: %v", err)
		} else {
			r.unreadable(p, err)
		}
		return
	}
	host := r.host()
	if !info.IsProcMacro() {
		r.add("procmacro-no-marker", Error, p, r.reinstall(),
			"no defined __rustc_proc_macro_decls_<hash>__ dynamic symbol: not a Rust proc macro")
	}
	if host == nil {
		r.add("procmacro-host-unknown", Warning, p, "", "cannot tell whether this machine can load a %s proc macro", info.Arch)
	} else if !host.CanLoad(info.Arch) {
		r.add("procmacro-foreign-machine", Error, p,
			"install "+r.setFor(*host)+", or build modules on a "+archName(info.Arch)+" machine",
			"built for %s, but rustc on this machine (%s) can only load %s proc macros: the set was cross-built",
			archName(info.Arch), archName(*host), archName(*host))
	}
	if a.Machine != "" && (a.Machine != info.Arch.Machine.String() || a.Class != info.Arch.Class.String()) {
		r.add("procmacro-machine-manifest-mismatch", Error, p, r.reinstall(),
			"is %s %s, the manifest says %s %s", info.Arch.Machine, info.Arch.Class, a.Machine, a.Class)
	}
	switch {
	case !info.HasRustc:
		r.add("procmacro-no-rustc-section", Error, p, r.reinstall(),
			"no %s section: rustc cannot read its metadata (a stripped section table, a cdylib or a C library?)", dylib.SectionName)
	case info.MetadataErr != nil:
		if errors.Is(info.MetadataErr, dylib.ErrBadSection) {
			r.add("procmacro-rustc-section-corrupt", Error, p, r.reinstall(), "%v", info.MetadataErr)
		} else {
			r.metadataFinding("procmacro-metadata-", p, info.MetadataErr)
		}
	default:
		r.version(a, p, info.Metadata.RustcVersion)
		if c := info.Metadata.Crate; c != nil && !c.IsProcMacro && info.IsProcMacro() {
			r.add("procmacro-header-mismatch", Warning, p, r.reinstall(),
				"exports the proc-macro symbol but its crate header says it is no proc macro")
		}
	}
}

// setFor names the package of this kernel's artifacts whose proc macros run on host:
// linux-librust-<ABI>-for-<arch> for a set cross-built on another machine than the
// kernel's (README.md, "Cross builds").
func (r *run) setFor(host dylib.Arch) string {
	a, ok := debarch.OfELF(host.Machine.String(), host.Class.String())
	if !ok || r.manifest == nil {
		return "the linux-librust package built on " + archName(host)
	}
	return a.Package(r.manifest.ABI, r.kernel()) + " (the set built on " + a.Name + ")"
}

// kernel is what the headers' .config says of the kernel's architecture, else the
// manifest's SRCARCH alone.
func (r *run) kernel() debarch.Kernel {
	if r.opts.Headers != "" {
		if c := readConfig(r.fsys, path.Join(r.opts.Headers, configName)); c.readErr == nil && c.parseErr == nil && c.kernel.SrcArch == r.manifest.Arch {
			return c.kernel
		}
	}
	return debarch.Kernel{SrcArch: r.manifest.Arch}
}

// archName names an architecture for people: "x86_64 (EM_X86_64, 64-bit, little-endian)".
func archName(a dylib.Arch) string {
	bits := map[string]string{"ELFCLASS32": "32-bit", "ELFCLASS64": "64-bit"}[a.Class.String()]
	if bits == "" {
		bits = a.Class.String()
	}
	order := map[string]string{"ELFDATA2LSB": "little-endian", "ELFDATA2MSB": "big-endian"}[a.Data.String()]
	if order == "" {
		order = a.Data.String()
	}
	return fmt.Sprintf("%s %s %s", a.Machine, bits, order)
}

func (r *run) host() *dylib.Arch {
	if r.opts.Host != nil {
		return r.opts.Host
	}
	if h, ok := dylib.HostMachine(); ok {
		return &h
	}
	return nil
}

// version records an artifact's rustc version and compares it with the manifest's entry.
func (r *run) version(a manifest.Artifact, p, v string) {
	r.versions[v] = append(r.versions[v], p)
	if a.RustcVersion != "" && a.RustcVersion != v {
		r.versionReported[p] = true
		r.add("rustc-version-manifest-mismatch", Error, p, r.reinstall(),
			"built by %q, the manifest says %q", v, a.RustcVersion)
	}
}

// checkUnlisted reports files in the artifacts tree that the manifest does not list.
func (r *run) checkUnlisted() {
	listed := make(map[string]bool, len(r.manifest.Artifacts))
	for _, a := range r.manifest.Artifacts {
		listed[a.Path] = true
	}
	root := r.opts.Artifacts
	_ = rootfs.Walk(r.fsys, root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			r.unreadable(p, err)
			return nil
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, root), "/")
		if fi.IsDir() || rel == layout.ManifestName || rel == layout.SumsName || listed[rel] {
			return nil
		}
		r.add("unlisted-artifact", Warning, p, "remove it, or reinstall "+r.manifest.Package(),
			"a %s in the artifacts tree that the manifest does not list", fileType(fi))
		return nil
	})
}

// checkVersions requires one rustc version across the artifacts, equal to the kernel's
// CONFIG_RUSTC_VERSION_TEXT (configVersion, "" when unknown) and to the manifest's.
func (r *run) checkVersions(configVersion string) {
	want := configVersion
	if want == "" {
		want = r.manifest.RustcVersion
	}
	r.report.RustcVersion = want
	vs := make([]string, 0, len(r.versions))
	for v := range r.versions {
		vs = append(vs, v)
	}
	sort.Strings(vs)
	if len(vs) > 1 {
		parts := make([]string, len(vs))
		for i, v := range vs {
			parts[i] = fmt.Sprintf("%q (%d files, e.g. %s)", v, len(r.versions[v]), r.versions[v][0])
		}
		r.add("rustc-version-mixed", Error, r.opts.Artifacts, r.reinstall(),
			"the artifacts come from %d rustc versions: %s; a set is only valid whole, from one build", len(vs), strings.Join(parts, ", "))
	}
	for _, v := range vs {
		if configVersion != "" && v != configVersion {
			r.add("rustc-version-config-mismatch", Error, r.versions[v][0],
				"install the linux-librust package built together with this kernel's headers",
				"%d artifacts built by %q, but the kernel's CONFIG_RUSTC_VERSION_TEXT is %q", len(r.versions[v]), v, configVersion)
		}
		if v != r.manifest.RustcVersion && !r.allReported(v) {
			r.add("rustc-version-manifest-mismatch", Error, r.versions[v][0], r.reinstall(),
				"%d artifacts built by %q, but the manifest's Rustc-Version is %q", len(r.versions[v]), v, r.manifest.RustcVersion)
		}
	}
	if configVersion != "" && r.manifest.RustcVersion != configVersion {
		r.add("rustc-version-manifest-mismatch", Error, path.Join(r.opts.Artifacts, layout.ManifestName),
			"install the linux-librust package built together with this kernel's headers",
			"the manifest's Rustc-Version %q differs from the kernel's CONFIG_RUSTC_VERSION_TEXT %q", r.manifest.RustcVersion, configVersion)
	}
}

// allReported tells whether every artifact of version v already has a finding that its
// manifest entry names another version.
func (r *run) allReported(v string) bool {
	for _, p := range r.versions[v] {
		if !r.versionReported[p] {
			return false
		}
	}
	return true
}

// checkTargetSpec compares the set's target spec with the custom target the .rmeta files
// were built for; rustc compares a JSON target by name and by contents.
func (r *run) checkTargetSpec(present []manifest.Artifact) {
	var spec *manifest.Artifact
	for i, a := range r.manifest.Artifacts {
		if a.Kind == manifest.KindTargetSpec {
			spec = &r.manifest.Artifacts[i]
			break
		}
	}
	if len(r.customTargets) == 0 {
		return
	}
	if spec == nil {
		for _, ps := range r.customTargets {
			r.add("target-spec-missing", Error, ps[0], r.reinstall(),
				"built for a custom JSON target, but the manifest lists no target-spec artifact")
			break
		}
		return
	}
	p := r.art(spec.Path)
	isPresent := false
	for _, a := range present {
		isPresent = isPresent || a.Path == spec.Path
	}
	if !isPresent {
		return // reported by checkFiles
	}
	data, err := rootfs.ReadFile(r.fsys, p, maxTargetSpec)
	if err != nil {
		r.unreadable(p, err)
		return
	}
	if !json.Valid(data) {
		r.add("target-spec-invalid", Error, p, r.reinstall(), "not valid JSON")
	}
	stem := strings.TrimSuffix(path.Base(spec.Path), ".json")
	for text, ps := range r.customTargets {
		if text != string(data) {
			r.add("target-spec-mismatch", Error, p, r.reinstall(),
				"differs from the target JSON %d .rmeta files were built with (e.g. %s): rustc rejects them (E0461)", len(ps), ps[0])
		}
	}
	for name, ps := range r.targetNames {
		if n, ok := strings.CutSuffix(name, ".json"); ok && n != stem {
			r.add("target-spec-mismatch", Error, p, r.reinstall(),
				"%d .rmeta files (e.g. %s) were built for the JSON target %q, not %q", len(ps), ps[0], n, stem)
		}
	}
}

func fileType(fi os.FileInfo) string {
	switch m := fi.Mode(); {
	case m.IsRegular():
		return "file"
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symbolic link"
	default:
		return "special file"
	}
}
