package verifier

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rmeta"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// samples is the real compiler output of testdata/rustc (see its README.md).
const samples = "../../testdata/rustc"

const (
	abi       = "7.2.13+deb14-amd64"
	headers   = "/usr/src/linux-headers-" + abi
	artifacts = "/usr/lib/linux-librust-" + abi
)

func sample(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join(samples, name))
	require.NoError(t, err)
	return data
}

func version(t testing.TB, suite string) string { return string(sample(t, suite+"/VERSION")) }

// set is a kernel's artifact set: artifact path → content and kind.
type set map[string]setFile

type setFile struct {
	kind manifest.Kind
	data []byte
}

// sidSet is a kernel-like set from Debian sid's rustc: two crates (one for the custom
// target), a proc macro and the target spec.
func sidSet(t *testing.T) set {
	return set{
		"rust/libsample.rmeta":   {manifest.KindRmeta, sample(t, "sid/libsample.rmeta")},
		"rust/libnocore.rmeta":   {manifest.KindRmeta, sample(t, "sid/libnocore.rmeta")},
		"rust/libsamplemacro.so": {manifest.KindProcMacro, sample(t, "sid/libsamplemacro.so")},
		"scripts/target.json":    {manifest.KindTargetSpec, sample(t, "sid/target.json")},
	}
}

func config(rustcVersion string) string {
	return "#\n# Linux/x86 7.2.13 Kernel Configuration\n#\nCONFIG_RUSTC_VERSION_TEXT=" + kconfig.Quote(rustcVersion) +
		"\nCONFIG_RUST_IS_AVAILABLE=y\nCONFIG_RUST=y\n"
}

func sum(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// manifestOf describes s as collect would, built by rustcVersion from configText.
func manifestOf(s set, rustcVersion, configText string) *manifest.Manifest {
	m := &manifest.Manifest{Format: manifest.Format, ABI: abi, Arch: "x86", RustcVersion: rustcVersion,
		ConfigSHA256: sum([]byte(configText))}
	for p, f := range s {
		a := manifest.Artifact{Path: p, Kind: f.kind, Size: int64(len(f.data))}
		d := manifest.NewDigests()
		d.Write(f.data)
		d.Set(&a)
		if f.kind != manifest.KindTargetSpec && f.kind != manifest.KindSupport {
			a.RustcVersion = rustcVersion
		}
		if f.kind == manifest.KindProcMacro {
			a.Machine, a.Class = "EM_X86_64", "ELFCLASS64"
		}
		m.Artifacts = append(m.Artifacts, a)
	}
	return m
}

// install lays out an artifacts tree with manifest, a headers tree with .config and the
// links between them, as collect, the packages and link would.
func install(t testing.TB, fsys rootfs.FS, s set, m *manifest.Manifest, configText string) {
	for p, f := range s {
		a := path.Join(artifacts, p)
		require.NoError(t, fsys.MkdirAll(path.Dir(a), 0o755))
		require.NoError(t, afero.WriteFile(fsys, a, f.data, 0o644))
		h := path.Join(headers, p)
		require.NoError(t, fsys.MkdirAll(path.Dir(h), 0o755))
		rel, err := filepath.Rel(path.Dir(h), a)
		require.NoError(t, err)
		require.NoError(t, fsys.SymlinkIfPossible(rel, h))
	}
	require.NoError(t, manifest.Write(fsys, artifacts, m))
	require.NoError(t, afero.WriteFile(fsys, path.Join(headers, ".config"), []byte(configText), 0o644))
}

func newRoot(t testing.TB) rootfs.FS {
	fsys, err := rootfs.New(t.TempDir())
	require.NoError(t, err)
	return fsys
}

// short names a finding "code path" with the trees abbreviated to A/ and H/.
func short(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		p := strings.Replace(f.Path, artifacts, "A", 1)
		p = strings.Replace(p, headers, "H", 1)
		out[i] = strings.TrimSpace(f.Code + " " + p)
	}
	return out
}

func rustcIs(v string) func() (string, error) {
	return func() (string, error) { return v + "\n", nil }
}

func TestVerify(t *testing.T) {
	sid, trixie := version(t, "sid"), version(t, "trixie")
	x86 := dylib.Arch{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}
	arm64 := dylib.Arch{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}
	replace := func(p string, data []byte) func(t *testing.T, fsys rootfs.FS) {
		return func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, afero.WriteFile(fsys, path.Join(artifacts, p), data, 0o644))
		}
	}
	tests := []struct {
		name   string
		set    func(t *testing.T) set // default sidSet
		config string                 // default config(sid)
		// built is the manifest's rustc version (default sid); edit changes the manifest.
		built  string
		edit   func(m *manifest.Manifest)
		mutate func(t *testing.T, fsys rootfs.FS)
		opts   Options // Headers, Artifacts and Host are filled in; Links is always on
		want   []string
	}{{
		name: "clean",
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{},
	}, {
		name: "clean, full",
		opts: Options{RustcVersion: rustcIs(sid), Full: true},
		want: []string{},
	}, {
		name: "clean, no rustc",
		want: []string{"rustc-not-installed"},
	}, {
		// The linker refuses such a link: no advice to run repair.
		name: "/usr/src a link out of the root",
		opts: Options{RustcVersion: rustcIs(sid)},
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.MkdirAll("/srv", 0o755))
			require.NoError(t, fsys.Rename("/usr/src", "/srv/src"))
			require.NoError(t, fsys.SymlinkIfPossible("../../../srv/src", "/usr/src"))
		},
		want: []string{"headers-path /usr/src"},
	}, {
		name: "rustc missing",
		opts: Options{RustcVersion: func() (string, error) { return "", fs.ErrNotExist }},
		want: []string{"rustc-not-installed"},
	}, {
		name: "rustc failing",
		opts: Options{RustcVersion: func() (string, error) { return "", errors.New("exit status 1") }},
		want: []string{"rustc-unusable"},
	}, {
		name: "installed rustc of another build",
		opts: Options{RustcVersion: rustcIs("rustc 1.97.1 (8bab26f4f 2026-07-14)")},
		want: []string{"rustc-installed-mismatch"},
	}, {
		name: "installed rustc of another release",
		opts: Options{RustcVersion: rustcIs(trixie)},
		want: []string{"rustc-installed-mismatch"},
	}, {
		name: "artifact not readable by users",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust/libsample.rmeta"), 0o600))
			require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust/libsamplemacro.so"), 0o000))
		},
		opts: Options{RustcVersion: rustcIs(sid), Full: true},
		want: []string{"artifact-not-world-readable A/rust/libsample.rmeta", "artifact-not-world-readable A/rust/libsamplemacro.so"},
	}, {
		name: "directories users cannot search",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Chmod(artifacts, 0o750))
			require.NoError(t, fsys.Chmod(path.Join(artifacts, "scripts"), 0o700))
			require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust"), 0o754))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"directory-not-searchable A", "directory-not-searchable A/rust", "directory-not-searchable A/scripts"},
	}, {
		name: "manifest missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(artifacts, layout.ManifestName)))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"manifest-missing A"},
	}, {
		name: "manifest invalid",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, afero.WriteFile(fsys, path.Join(artifacts, layout.ManifestName), []byte("Format: 7\n"), 0o644))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"manifest-invalid A"},
	}, {
		name: "artifacts tree missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.RemoveAll(artifacts))
		},
		want: []string{"artifacts-missing A"},
	}, {
		name: "headers tree missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.RemoveAll(headers))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"headers-missing H"},
	}, {
		name: "artifact missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(artifacts, "rust/libsample.rmeta")))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"artifact-missing A/rust/libsample.rmeta", "link-dangling H/rust/libsample.rmeta"},
	}, {
		name: "artifact is a directory",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(artifacts, "rust/libsample.rmeta")
			require.NoError(t, fsys.Remove(p))
			require.NoError(t, fsys.Mkdir(p, 0o755))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"artifact-not-file A/rust/libsample.rmeta"},
	}, {
		name: "truncated rmeta",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsample.rmeta", "sid/libsample.half.rmeta")
		},
		opts: Options{RustcVersion: rustcIs(sid), Full: true},
		want: []string{"checksum-mismatch A/rust/libsample.rmeta", "rmeta-truncated A/rust/libsample.rmeta",
			"size-mismatch A/rust/libsample.rmeta"},
	}, {
		name: "rmeta cut after its version",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsample.rmeta", "sid/libsample.header.rmeta")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"rmeta-truncated A/rust/libsample.rmeta", "size-mismatch A/rust/libsample.rmeta"},
	}, {
		name: "padded rmeta",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsample.rmeta", "sid/libsample.padded.rmeta")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"rmeta-trailing-data A/rust/libsample.rmeta", "size-mismatch A/rust/libsample.rmeta"},
	}, {
		name: "foreign rmeta",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsample.rmeta", "foreign/png.rmeta")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"rmeta-not-metadata A/rust/libsample.rmeta", "size-mismatch A/rust/libsample.rmeta"},
	}, {
		name: "rmeta of an unknown format, same size",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			data := sample(t, "sid/libsample.rmeta")
			data[7] = 11
			replace("rust/libsample.rmeta", data)(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"rmeta-unknown-format A/rust/libsample.rmeta"},
	}, {
		name: "rmeta with a damaged string sentinel",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			data := sample(t, "sid/libsample.rmeta")
			data[16+1+len(sid)] = 0
			replace("rust/libsample.rmeta", data)(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"rmeta-corrupt A/rust/libsample.rmeta"},
	}, {
		name: "flipped bytes: only the checksum tells",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			data := sample(t, "sid/libsample.rmeta")
			data[len(data)/2] ^= 0xff
			replace("rust/libsample.rmeta", data)(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid), Full: true},
		want: []string{"checksum-mismatch A/rust/libsample.rmeta"},
	}, {
		name: "flipped bytes, quick mode",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			data := sample(t, "sid/libsample.rmeta")
			data[len(data)/2] ^= 0xff
			replace("rust/libsample.rmeta", data)(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{},
	}, {
		name: "rmeta from another rustc",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsample.rmeta", "trixie/libsample.rmeta")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{
			"rustc-version-mixed A",
			"rustc-version-config-mismatch A/rust/libsample.rmeta",
			"rustc-version-manifest-mismatch A/rust/libsample.rmeta",
			"size-mismatch A/rust/libsample.rmeta",
		},
	}, {
		name: "whole set from another rustc than the kernel",
		set: func(t *testing.T) set {
			return set{
				"rust/libsample.rmeta":   {manifest.KindRmeta, sample(t, "trixie/libsample.rmeta")},
				"rust/libsamplemacro.so": {manifest.KindProcMacro, sample(t, "trixie/libsamplemacro.so")},
			}
		},
		built: trixie,
		opts:  Options{RustcVersion: rustcIs(sid)},
		want: []string{
			"rustc-version-manifest-mismatch A/" + layout.ManifestName,
			"rustc-version-config-mismatch A/rust/libsample.rmeta",
		},
	}, {
		name: "proc macro from another rustc",
		set: func(t *testing.T) set {
			s := sidSet(t)
			s["rust/libsamplemacro.so"] = setFile{manifest.KindProcMacro, sample(t, "bookworm/libsamplemacro.so")}
			return s
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{
			"rustc-version-mixed A",
			"rustc-version-config-mismatch A/rust/libsamplemacro.so",
			"rustc-version-manifest-mismatch A/rust/libsamplemacro.so",
		},
	}, {
		name: "older format 9 rustc without footer",
		set: func(t *testing.T) set {
			return set{"rust/libsample.rmeta": {manifest.KindRmeta, rustc182(t)}}
		},
		built:  "rustc 1.82.1 (4eb161250 2025-03-15) (built from a source tarball)",
		config: config("rustc 1.82.1 (4eb161250 2025-03-15) (built from a source tarball)"),
		opts:   Options{RustcVersion: rustcIs("rustc 1.82.1 (4eb161250 2025-03-15) (built from a source tarball)")},
		want:   []string{"rmeta-footer-unknown A/rust/libsample.rmeta"},
	}, {
		name: "C library as proc macro",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsamplemacro.so", "sid/libsamplec.so")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"procmacro-no-marker A/rust/libsamplemacro.so", "procmacro-no-rustc-section A/rust/libsamplemacro.so",
			"size-mismatch A/rust/libsamplemacro.so"},
	}, {
		name: "cdylib as proc macro",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsamplemacro.so", "sid/libsamplecdylib.so")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"procmacro-no-marker A/rust/libsamplemacro.so", "procmacro-no-rustc-section A/rust/libsamplemacro.so",
			"size-mismatch A/rust/libsamplemacro.so"},
	}, {
		name: "truncated proc macro",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replaceSample(t, fsys, "rust/libsamplemacro.so", "sid/libsamplemacro.truncated.so")
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"procmacro-not-elf A/rust/libsamplemacro.so", "size-mismatch A/rust/libsamplemacro.so"},
	}, {
		name: "proc macro with a truncated .rustc payload",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replace("rust/libsamplemacro.so", cutRustc(t, sample(t, "sid/libsamplemacro.so")))(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"procmacro-metadata-truncated A/rust/libsamplemacro.so"},
	}, {
		name: "cross-built proc macro",
		opts: Options{RustcVersion: rustcIs(sid), Host: &arm64},
		want: []string{"procmacro-foreign-machine A/rust/libsamplemacro.so"},
	}, {
		name: "manifest names another machine",
		edit: func(m *manifest.Manifest) {
			for i := range m.Artifacts {
				if m.Artifacts[i].Kind == manifest.KindProcMacro {
					m.Artifacts[i].Machine = "EM_AARCH64"
				}
			}
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"procmacro-machine-manifest-mismatch A/rust/libsamplemacro.so"},
	}, {
		name: "unlisted artifact",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			replace("rust/libextra.rmeta", sample(t, "sid/libsample.rmeta"))(t, fsys)
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"unlisted-artifact A/rust/libextra.rmeta"},
	}, {
		name: "other .config",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, afero.WriteFile(fsys, path.Join(headers, ".config"), []byte(config(sid)+"CONFIG_HZ=100\n"), 0o644))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"config-mismatch H/.config"},
	}, {
		name:   "kernel without Rust",
		config: "# Linux/x86 7.2.13 Kernel Configuration\n# CONFIG_RUST is not set\n",
		opts:   Options{RustcVersion: rustcIs(sid)},
		want:   []string{"config-no-rust H/.config", "config-no-rustc-version H/.config"},
	}, {
		name:   "malformed .config",
		config: "CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"rustc\n",
		opts:   Options{RustcVersion: rustcIs(sid)},
		want:   []string{"config-invalid H/.config"},
	}, {
		name: ".config missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(headers, ".config")))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"config-missing H/.config"},
	}, {
		name:   "kernel built by another rustc than the set",
		config: config(trixie),
		opts:   Options{RustcVersion: rustcIs(trixie)},
		want: []string{
			"rustc-version-manifest-mismatch A/" + layout.ManifestName,
			"rustc-version-config-mismatch A/rust/libnocore.rmeta",
		},
	}, {
		name: "other target spec",
		set: func(t *testing.T) set {
			s := sidSet(t)
			s["scripts/target.json"] = setFile{manifest.KindTargetSpec, sample(t, "trixie/target.json")}
			return s
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"target-spec-mismatch A/scripts/target.json"},
	}, {
		name: "target spec that is no JSON",
		set: func(t *testing.T) set {
			s := sidSet(t)
			s["scripts/target.json"] = setFile{manifest.KindTargetSpec, []byte("{")}
			return s
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"target-spec-invalid A/scripts/target.json", "target-spec-mismatch A/scripts/target.json"},
	}, {
		name: "target spec missing from the set",
		set: func(t *testing.T) set {
			s := sidSet(t)
			delete(s, "scripts/target.json")
			return s
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"target-spec-missing A/rust/libnocore.rmeta"},
	}, {
		name: "link missing",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(headers, "scripts/target.json")))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"link-missing H/scripts/target.json"},
	}, {
		name: "foreign file instead of a link",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(headers, "scripts/target.json")
			require.NoError(t, fsys.Remove(p))
			require.NoError(t, afero.WriteFile(fsys, p, sample(t, "sid/target.json"), 0o644))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"link-foreign H/scripts/target.json"},
	}, {
		name: "the headers ship a support file of their own",
		set: func(t *testing.T) set {
			s := sidSet(t)
			s["scripts/rust_is_available.sh"] = setFile{manifest.KindSupport, []byte("#!/bin/sh\n# collected\n")}
			return s
		},
		mutate: func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(headers, "scripts/rust_is_available.sh")
			require.NoError(t, fsys.Remove(p))
			require.NoError(t, afero.WriteFile(fsys, p, []byte("#!/bin/sh\n# packaged, a later revision\n"), 0o644))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{},
	}, {
		name: "support file missing from the headers",
		set: func(t *testing.T) set {
			s := sidSet(t)
			s["scripts/rust_is_available.sh"] = setFile{manifest.KindSupport, []byte("#!/bin/sh\n# collected\n")}
			return s
		},
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(headers, "scripts/rust_is_available.sh")))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"link-missing H/scripts/rust_is_available.sh"},
	}, {
		name: "stale link of a former artifact",
		mutate: func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.SymlinkIfPossible("../../../lib/linux-librust-"+abi+"/rust/libgone.rmeta",
				path.Join(headers, "rust/libgone.rmeta")))
			require.NoError(t, fsys.SymlinkIfPossible("/nowhere", path.Join(headers, "rust/notours")))
		},
		opts: Options{RustcVersion: rustcIs(sid)},
		want: []string{"link-dangling H/rust/libgone.rmeta"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newRoot(t)
			s := sidSet(t)
			if tt.set != nil {
				s = tt.set(t)
			}
			cfg := tt.config
			if cfg == "" {
				cfg = config(sid)
			}
			built := tt.built
			if built == "" {
				built = sid
			}
			m := manifestOf(s, built, cfg)
			if tt.edit != nil {
				tt.edit(m)
			}
			install(t, fsys, s, m, cfg)
			if tt.mutate != nil {
				tt.mutate(t, fsys)
			}
			opts := tt.opts
			opts.Headers, opts.Artifacts, opts.Links = headers, artifacts, true
			if opts.Host == nil {
				opts.Host = &x86
			}
			rep := Verify(fsys, opts)
			assert.Equal(t, tt.want, short(rep.Findings), "%s", strings.Join(strings.Fields(strings.Join(func() []string {
				var l []string
				for _, f := range rep.Findings {
					l = append(l, f.String()+"\n")
				}
				return l
			}(), "")), " "))
			for _, f := range rep.Findings {
				assert.NotEmpty(t, f.Message, f.Code)
				assert.NotContains(t, f.Message, "\n", f.Code)
				assert.NotContains(t, f.Fix, "\n", f.Code)
				if f.Severity > Note {
					assert.NotEmpty(t, f.Fix, f.Code)
				}
			}
			clean := true
			for _, w := range tt.want {
				clean = clean && (strings.HasPrefix(w, "rustc-not-installed") || strings.HasPrefix(w, "headers-missing"))
			}
			assert.Equal(t, clean, rep.Clean())
		})
	}
}

// replaceSample puts a sample file in place of an artifact.
func replaceSample(t *testing.T, fsys rootfs.FS, p, name string) {
	require.NoError(t, afero.WriteFile(fsys, path.Join(artifacts, p), sample(t, name), 0o644))
}

// rustc182 turns trixie's format 9 libsample.rmeta into what a rustc 1.82 without the
// footer writes: the version patched (same length) and the footer dropped.
func rustc182(t *testing.T) []byte {
	data := sample(t, "trixie/libsample.rmeta")
	i := strings.Index(string(data[:100]), "1.85.1")
	require.Positive(t, i)
	copy(data[i:], "1.82.1")
	require.True(t, strings.HasSuffix(string(data), "rust-end-file"))
	return data[:len(data)-len("rust-end-file")]
}

// cutRustc shortens the blob in the .rustc section of a format 10 proc macro by a few
// bytes of its footer (the section's length field says so), as a truncated payload would.
func cutRustc(t *testing.T, so []byte) []byte {
	out := append([]byte(nil), so...)
	off := rustcSection(t, out)
	putLe64(out[off+8:], le64(out[off+8:])-5)
	return out
}

// rustcSection returns the file offset of the .rustc section of an ELF file.
func rustcSection(t *testing.T, so []byte) int {
	f, err := elf.NewFile(strings.NewReader(string(so)))
	require.NoError(t, err)
	s := f.Section(".rustc")
	require.NotNil(t, s)
	return int(s.Offset)
}

// procMacroFlag returns the offset (plus base) of is_proc_macro_crate in a format 10 blob
// whose crate header has a built-in target and an inline crate name.
func procMacroFlag(t *testing.T, blob []byte, base int) int {
	info, err := rmeta.ReadBlob(blob)
	require.NoError(t, err)
	require.NoError(t, info.CrateErr)
	c := info.Crate
	require.False(t, c.CustomTarget)
	require.NotEmpty(t, c.Name)
	require.Less(t, len(c.Target), 128)
	require.Less(t, len(c.Name), 128)
	off := int(info.Root) + 1 + (1 + len(c.Target) + 1) + 16 + 1 + (1 + len(c.Name) + 1)
	require.Equal(t, bit(c.IsProcMacro), blob[off])
	return base + off
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func le64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func putLe64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func TestVerifyFindingText(t *testing.T) {
	fsys := newRoot(t)
	sid := version(t, "sid")
	s := sidSet(t)
	install(t, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
	rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, RustcVersion: rustcIs("rustc 1.97.1 (8bab26f4f 2026-07-14)")})
	require.Len(t, rep.Findings, 1)
	assert.Equal(t, Finding{
		Code:     "rustc-installed-mismatch",
		Severity: Error,
		Message: `the installed rustc prints "rustc 1.97.1 (8bab26f4f 2026-07-14)", but the kernel's Rust artifacts were built by ` +
			`"rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)": rustc refuses crates of any other version text, byte for byte (error E0514)`,
		Fix: `install the rustc that prints "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"`,
	}, rep.Findings[0])
	assert.Equal(t, abi, rep.ABI)
	assert.Equal(t, sid, rep.RustcVersion)
	assert.Equal(t, []string{"rust/libnocore.rmeta", "rust/libsample.rmeta", "rust/libsamplemacro.so", "scripts/target.json"}, rep.Paths)
}

// TestVerifyCrossBuiltProcMacro installs a set whose proc macro is sid's real aarch64
// build (an arm64 kernel's rust/libmacros.so, recorded as such by collect) and verifies it
// against this machine, not a faked host: on any other machine than an arm64 one the set
// is reported as cross-built, naming both machines.
func TestVerifyCrossBuiltProcMacro(t *testing.T) {
	fsys := newRoot(t)
	sid := version(t, "sid")
	s := sidSet(t)
	s["rust/libsamplemacro.so"] = setFile{manifest.KindProcMacro, sample(t, "sid/libsamplemacro.aarch64.so")}
	m := manifestOf(s, sid, config(sid))
	for i := range m.Artifacts {
		if m.Artifacts[i].Kind == manifest.KindProcMacro {
			m.Artifacts[i].Machine, m.Artifacts[i].Class = "EM_AARCH64", "ELFCLASS64"
		}
	}
	install(t, fsys, s, m, config(sid))

	rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Links: true, RustcVersion: rustcIs(sid)})

	host, ok := dylib.HostMachine()
	require.True(t, ok, "this machine's architecture is unknown to dylib")
	if host.CanLoad(dylib.Arch{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}) {
		assert.Empty(t, rep.Findings, "an arm64 machine loads it")
		return
	}
	require.Equal(t, []string{"procmacro-foreign-machine A/rust/libsamplemacro.so"}, short(rep.Findings))
	f := rep.Findings[0]
	assert.Equal(t, Error, f.Severity)
	assert.False(t, rep.Clean())
	assert.Contains(t, f.Message, "EM_AARCH64 64-bit little-endian")
	assert.Contains(t, f.Message, host.Machine.String())
	assert.Contains(t, f.Fix, "EM_AARCH64 64-bit little-endian")
	assert.Contains(t, f.Message, "cross-built")
	if runtime.GOARCH == "amd64" {
		assert.Equal(t, "built for EM_AARCH64 64-bit little-endian, but rustc on this machine (EM_X86_64 64-bit little-endian) "+
			"can only load EM_X86_64 64-bit little-endian proc macros: the set was cross-built", f.Message)
	}
}
