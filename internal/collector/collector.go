// Package collector finds the Rust artifacts in a kernel build tree and copies them,
// with their manifest, into an artifacts tree.
//
// Nothing here lists today's files: the whole build tree is walked and an artifact is
// recognised by its content. Every .rmeta file is crate metadata; a .so file counts only
// when its ELF dynamic symbols mark it as a Rust proc macro; the target specification
// is taken from TargetSpecPath when present.
package collector

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rmeta"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TargetSpecPath is the build-tree path of the custom target specification (amd64).
// A package variable so that a packager can follow a kernel that moves it.
var TargetSpecPath = "scripts/target.json"

var (
	// ErrNoRust: the build tree's .config does not have CONFIG_RUST=y.
	ErrNoRust = errors.New("kernel not built with Rust")
	// ErrNoArtifacts: the build tree lacks the crate metadata or the proc macros that
	// every Rust-enabled kernel build has.
	ErrNoArtifacts = errors.New("no Rust artifacts")
	// ErrMixed: the artifacts were not all built by the rustc of the .config.
	ErrMixed = errors.New("artifacts of another rustc")
)

// Tree describes a kernel build tree.
type Tree struct {
	Dir          string
	ABI          string // include/config/kernel.release
	Arch         string // from the .config header
	RustcVersion string // CONFIG_RUSTC_VERSION_TEXT
	ConfigSHA256 string
	// ProcMacroArch is the Debian architecture the proc macros run on when it is not the
	// kernel's own: a cross build's set (manifest field Proc-Macro-Architecture).
	ProcMacroArch string
	Artifacts     []manifest.Artifact // without SHA256 until copied
	// Skipped are the directories in the tree left out because they hold an earlier
	// collected set (a linux-librust.manifest): copies, not part of the build.
	Skipped []string
	srcDir  string         // the kernel source tree (support files)
	kernel  debarch.Kernel // what the .config says of the kernel's architecture
}

// Open reads the build tree dir: its configuration and the artifacts in it. skip, when
// not empty, is a directory inside dir that is not searched (the destination).
func Open(fsys afero.Fs, dir, skip string) (*Tree, error) {
	t := &Tree{Dir: path.Clean(dir)}
	if err := t.readConfig(fsys); err != nil {
		return nil, err
	}
	release := path.Join(t.Dir, "include/config/kernel.release")
	b, err := rootfs.ReadFile(fsys, release, 4096)
	switch {
	case err == nil:
		t.ABI = strings.TrimSpace(string(b))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read %s: %w", release, err)
	}
	if err := t.discover(fsys, path.Clean(skip)); err != nil {
		return nil, err
	}
	if err := t.discoverSupport(fsys); err != nil {
		return nil, err
	}
	sort.Slice(t.Artifacts, func(i, j int) bool { return t.Artifacts[i].Path < t.Artifacts[j].Path })
	if t.ProcMacroArch, err = procMacroArch(t.Artifacts, t.kernel); err != nil {
		return nil, fmt.Errorf("%s: %w", t.Dir, err)
	}
	return t, nil
}

func (t *Tree) readConfig(fsys afero.Fs) error {
	name := path.Join(t.Dir, ".config")
	data, err := rootfs.ReadFile(fsys, name, kconfig.MaxSize)
	if err != nil {
		return fmt.Errorf("read kernel configuration %s: %w; give the kernel build tree with --build-dir", name, err)
	}
	cfg, err := kconfig.Parse(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	sum := sha256.Sum256(data)
	t.ConfigSHA256 = hex.EncodeToString(sum[:])
	t.Arch, t.kernel = cfg.Arch(), debarch.KernelOf(cfg)
	if t.Arch == "" {
		return fmt.Errorf("%s has no header line \"# Linux/<arch> <version> Kernel Configuration\": cannot tell the architecture; use the .config that the kernel build wrote", name)
	}
	rust, err := cfg.Bool("CONFIG_RUST")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if rust != kconfig.Yes {
		return fmt.Errorf("%s: %w: CONFIG_RUST is %s, not y; there are no Rust artifacts to collect", name, ErrNoRust, rust)
	}
	v, ok, err := cfg.String("CONFIG_RUSTC_VERSION_TEXT")
	if err != nil || !ok || v == "" {
		return fmt.Errorf("%s: CONFIG_RUSTC_VERSION_TEXT missing or malformed (%v); run the kernel's make olddefconfig with the rustc that builds it", name, err)
	}
	t.RustcVersion = v
	return nil
}

// discover walks the whole tree without following links.
func (t *Tree) discover(fsys afero.Fs, skip string) error {
	var mixed []string
	err := afero.Walk(fsys, t.Dir, func(p string, fi fs.FileInfo, err error) error {
		if err != nil {
			return fmt.Errorf("search %s: %w", p, err)
		}
		if fi.IsDir() {
			switch {
			case p == t.Dir:
			case p == skip:
				return fs.SkipDir
			case holdsManifest(fsys, p):
				t.Skipped = append(t.Skipped, p)
				return fs.SkipDir
			}
			return nil
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		rel := strings.TrimPrefix(p, t.Dir+"/")
		a, err := identify(fsys, p, rel, fi.Size())
		if err != nil || a == nil {
			return err
		}
		if a.Kind != manifest.KindTargetSpec && a.RustcVersion != t.RustcVersion {
			mixed = append(mixed, fmt.Sprintf("%s (%s)", rel, a.RustcVersion))
		}
		t.Artifacts = append(t.Artifacts, *a)
		return nil
	})
	if err != nil {
		return err
	}
	if missing := t.missingKinds(); missing != "" {
		return fmt.Errorf("%s: %w: %s, which every Rust-enabled kernel build has; build the kernel's Rust parts first (make prepare)", t.Dir, ErrNoArtifacts, missing)
	}
	if len(mixed) > 0 {
		return fmt.Errorf("%s: %w: CONFIG_RUSTC_VERSION_TEXT is %q but %s; rebuild the tree with one rustc (make clean, then make prepare)", t.Dir, ErrMixed, t.RustcVersion, strings.Join(mixed, ", "))
	}
	sort.Slice(t.Artifacts, func(i, j int) bool { return t.Artifacts[i].Path < t.Artifacts[j].Path })
	return nil
}

// holdsManifest tells whether the directory dir holds a linux-librust.manifest.
func holdsManifest(fsys afero.Fs, dir string) bool {
	p := path.Join(dir, layout.ManifestName)
	if l, ok := fsys.(afero.Lstater); ok {
		_, _, err := l.LstatIfPossible(p)
		return err == nil
	}
	_, err := fsys.Stat(p)
	return err == nil
}

// missingKinds names the kinds of artifact that every Rust build has and the tree
// lacks, "" when none: crate metadata, and the proc macros the kernel crate uses.
func (t *Tree) missingKinds() string {
	have := map[manifest.Kind]bool{}
	for _, a := range t.Artifacts {
		have[a.Kind] = true
	}
	var missing []string
	if !have[manifest.KindRmeta] {
		missing = append(missing, "no crate metadata (.rmeta)")
	}
	if !have[manifest.KindProcMacro] {
		missing = append(missing, "no proc macro (.so)")
	}
	return strings.Join(missing, " and ")
}

// identify returns the artifact at p, or nil when p is not one.
func identify(fsys afero.Fs, p, rel string, size int64) (*manifest.Artifact, error) {
	isRmeta, isSO := strings.HasSuffix(p, ".rmeta"), strings.HasSuffix(p, ".so")
	if rel != TargetSpecPath && !isRmeta && !isSO {
		return nil, nil
	}
	a := &manifest.Artifact{Path: rel, Size: size}
	if rel == TargetSpecPath {
		a.Kind = manifest.KindTargetSpec
		return a, nil
	}
	f, err := openRegular(fsys, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	if isRmeta {
		info, err := rmeta.Read(f, size)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; rebuild it (remove it and run make prepare)", p, err)
		}
		a.Kind, a.RustcVersion = manifest.KindRmeta, info.RustcVersion
		return a, nil
	}
	info, err := dylib.Read(f, size)
	if err != nil {
		// Not ELF at all: not ours to judge. An ELF file that cannot be read may be a
		// damaged proc macro, which must not silently go missing from the set.
		var magic [4]byte
		if n, _ := f.ReadAt(magic[:], 0); n == 4 && string(magic[:]) == elf.ELFMAG {
			return nil, fmt.Errorf("%s: damaged ELF file: %v; rebuild it (remove it and run make prepare), or remove it if it is not a Rust proc macro", p, err)
		}
		return nil, nil
	}
	if !info.IsProcMacro() {
		return nil, nil // a shared object, but not a proc macro
	}
	if info.Metadata == nil {
		return nil, fmt.Errorf("%s: proc macro without readable metadata: %v; rebuild it", p, info.MetadataErr)
	}
	a.Kind, a.RustcVersion = manifest.KindProcMacro, info.Metadata.RustcVersion
	a.Machine, a.Class = info.Arch.Machine.String(), info.Arch.Class.String()
	return a, nil
}

// openRegular opens the file p (of the build tree, or a stripped copy) for reading,
// refusing at once anything that is not a regular file (it may have been replaced since
// it was seen).
func openRegular(fsys afero.Fs, p string) (afero.File, error) {
	return rootfs.OpenRegular(fsys, p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
}

// Paths returns the artifacts' relative paths.
func (t *Tree) Paths() []string {
	ps := make([]string, len(t.Artifacts))
	for i, a := range t.Artifacts {
		ps[i] = a.Path
	}
	return ps
}

// Copy copies the artifacts into dest, which must be missing or empty, and writes the
// manifest last, so an interrupted copy leaves no manifest. abi overrides the tree's.
// strip, when not nil, is run on each copied proc macro before it is hashed (packages
// ship them stripped: a sixth of the size, and modules build identically).
func (t *Tree) Copy(fsys rootfs.FS, dest, abi string, strip func(path string) error) (*manifest.Manifest, error) {
	if abi == "" {
		abi = t.ABI
	}
	if abi == "" {
		return nil, fmt.Errorf("%s has no include/config/kernel.release: give the kernel release with --abi", t.Dir)
	}
	if err := layout.ValidateABI(abi); err != nil {
		return nil, err
	}
	if err := emptyDir(fsys, dest); err != nil {
		return nil, err
	}
	m := &manifest.Manifest{Format: manifest.Format, ABI: abi, Arch: t.Arch, RustcVersion: t.RustcVersion, ConfigSHA256: t.ConfigSHA256, ProcMacroArch: t.ProcMacroArch}
	for _, a := range t.Artifacts {
		to, from := path.Join(dest, a.Path), path.Join(t.Dir, a.Path)
		if a.Kind == manifest.KindSupport {
			from = path.Join(t.srcDir, a.Path)
		}
		if err := copyFile(fsys, from, to, a.Kind == manifest.KindSupport, &a); err != nil {
			return nil, err
		}
		if strip != nil && a.Kind == manifest.KindProcMacro {
			if err := stripped(fsys, to, &a, strip); err != nil {
				return nil, err
			}
		}
		m.Artifacts = append(m.Artifacts, a)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("manifest for %s: %w", dest, err)
	}
	if err := manifest.Write(fsys, dest, m); err != nil {
		return nil, err
	}
	return m, nil
}

// stripped strips the proc macro p, checks that it is still the same proc macro a, and
// records its new digests and size in a.
func stripped(fsys afero.Fs, p string, a *manifest.Artifact, strip func(string) error) error {
	if err := strip(p); err != nil {
		return fmt.Errorf("strip %s: %w", p, err)
	}
	f, err := openRegular(fsys, p)
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	info, err := dylib.Read(f, fi.Size())
	if err != nil || !info.IsProcMacro() || info.Metadata == nil || info.Metadata.RustcVersion != a.RustcVersion {
		return fmt.Errorf("%s: stripping removed the proc-macro marker or the .rustc section; strip with --strip-unneeded, or collect without --strip", p)
	}
	d := manifest.NewDigests()
	if _, err := io.Copy(d, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	d.Set(a)
	a.Size = fi.Size()
	return nil
}

func emptyDir(fsys afero.Fs, dir string) error {
	f, err := fsys.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open destination %s: %w", dir, err)
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if err != nil && err != io.EOF {
		return fmt.Errorf("destination %s: %w; give a new or empty directory", dir, err)
	}
	if len(names) > 0 {
		return fmt.Errorf("destination %s is not empty; give a new or empty directory (nothing was copied)", dir)
	}
	return nil
}

// copyFile copies src to dst (mode 0644: artifacts are read by whoever builds modules,
// whatever the umask of the packager; 0755 when keepExec and src is executable: the
// scripts of the kernel's Rust availability check run each other), recording in a its
// digests, computed in the one read of the copy, and its size.
func copyFile(fsys rootfs.FS, src, dst string, keepExec bool, a *manifest.Artifact) error {
	mode := os.FileMode(0o644)
	if keepExec {
		fi, err := fsys.Stat(src)
		if err != nil {
			return fmt.Errorf("read %s: %w", src, err)
		}
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
	}
	if err := rootfs.MkdirAll(fsys, path.Dir(dst), 0o755); err != nil {
		return err
	}
	d := manifest.NewDigests()
	n, err := rootfs.CopyFile(fsys, src, dst, mode, d)
	if err != nil {
		return err
	}
	d.Set(a)
	a.Size = n
	return nil
}
