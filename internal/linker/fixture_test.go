package linker

import (
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

var update = flag.Bool("update", false, "rewrite golden files")

const abi = "7.2.13+deb14-amd64"

// artifactSet is the default artifacts tree: several kinds, nested directories.
var artifactSet = map[string]string{
	"rust/libcore.rmeta":            "core",
	"rust/libkernel.rmeta":          "kernel",
	"rust/libmacros.so":             "\x7fELF macros",
	"rust/kernel/sub/deep.rmeta":    "deep",
	"scripts/target.json":           `{"arch":"x86_64"}`,
	"rust/kernel/sub/another.rmeta": "another",
}

type fixture struct {
	t    *testing.T
	root string
	fs   rootfs.FS
	mu   sync.Mutex
	logs []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	fsys, err := rootfs.New(root)
	require.NoError(t, err)
	return &fixture{t: t, root: root, fs: fsys}
}

// host returns the host path of p.
func (f *fixture) host(p string) string { return filepath.Join(f.root, p) }

func (f *fixture) write(p, content string) {
	f.t.Helper()
	require.NoError(f.t, f.fs.MkdirAll(path.Dir(p), 0o755))
	require.NoError(f.t, afero.WriteFile(f.fs, p, []byte(content), 0o644))
	require.NoError(f.t, f.fs.Chmod(p, 0o644))
}

func (f *fixture) symlink(target, p string) {
	f.t.Helper()
	require.NoError(f.t, f.fs.MkdirAll(path.Dir(p), 0o755))
	require.NoError(f.t, f.fs.SymlinkIfPossible(target, p))
}

// headers lays out a headers tree. debian: scripts is Debian's link into the shared
// linux-kbuild tree; otherwise scripts is a real directory (as Arch ships it).
func (f *fixture) headers(abi string, debian bool) {
	h := layout.Headers(abi)
	f.write(h+"/Makefile", "include ../linux-headers-common/Makefile\n")
	f.write(h+"/.config", "CONFIG_RUST=y\n")
	f.write(h+"/include/generated/autoconf.h", "#define CONFIG_RUST 1\n")
	if debian {
		f.write("/usr/lib/linux-kbuild-7.2/scripts/basic/fixdep", "fixdep")
		f.symlink("../../lib/linux-kbuild-7.2/scripts", h+"/scripts")
	} else {
		f.write(h+"/scripts/basic/fixdep", "fixdep")
	}
}

// artifacts lays out an artifacts tree with its manifest.
func (f *fixture) artifacts(abi string, set map[string]string) {
	f.t.Helper()
	dir := layout.Artifacts(abi)
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	m := &manifest.Manifest{Format: 1, ABI: abi, Arch: "x86", RustcVersion: "rustc 1.97.1", ConfigSHA256: sum("config")}
	for p, c := range set {
		f.write(path.Join(dir, p), c)
		a := manifest.Artifact{Path: p, Kind: manifest.KindRmeta, Size: int64(len(c)), SHA256: sum(c), RustcVersion: "rustc 1.97.1"}
		switch {
		case strings.HasSuffix(p, ".so"):
			a.Kind, a.Machine, a.Class = manifest.KindProcMacro, "EM_X86_64", "ELFCLASS64"
		case strings.HasSuffix(p, ".json"):
			a.Kind, a.RustcVersion = manifest.KindTargetSpec, ""
		case strings.HasSuffix(p, ".sh"):
			a.Kind, a.RustcVersion = manifest.KindSupport, ""
		}
		m.Artifacts = append(m.Artifacts, a)
	}
	require.NoError(f.t, manifest.Write(f.fs, dir, m))
}

// linkedFixture is a fixture whose kernel abi has headers and artifacts, linked by the
// engine it returns.
func linkedFixture(t *testing.T) (*fixture, *Engine) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	e := f.engine()
	_, err := e.Link(abi)
	require.NoError(t, err)
	return f, e
}

func (f *fixture) engine() *Engine {
	return &Engine{FS: f.fs, Log: f.log}
}

// log records what a user sees without -v.
func (f *fixture) log(e logger.Event) {
	if e.Level == logger.Debug {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, string(e.Level)+": "+e.Message)
}

func (f *fixture) takeLogs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := f.logs
	f.logs = nil
	return l
}

func (f *fixture) dump() map[string]string { return treedump.Dump(f.t, f.root) }

// linked returns tree with the links of abi for paths, the directories dirs (relative
// to the headers tree) and the record listing dirs, links and backups.
func linked(tree map[string]string, abi string, paths, dirs, backups []string) map[string]string {
	out := clone(tree)
	h := layout.Headers(abi)
	r := state.Record{}
	for _, d := range dirs {
		out[h+"/"+d] = treedump.Dir(0o755)
		r.Add(state.Dir, d)
	}
	for _, p := range paths {
		out[h+"/"+p] = treedump.Symlink(target(layout.Headers(abi), abi, p))
		r.Add(state.Link, p)
	}
	for _, b := range backups {
		out[h+"/"+b+layout.BackupSuffix] = tree[h+"/"+b]
		r.Add(state.Backup, b)
	}
	addStateDir(out)
	if len(r) > 0 {
		out[state.Path(abi)] = treedump.File(0o644, string(r.Marshal()))
	}
	return out
}

// stateDir adds the state directory and the lock file, which stay after unlink.
func stateDir(tree map[string]string) map[string]string {
	out := clone(tree)
	addStateDir(out)
	return out
}

func addStateDir(tree map[string]string) {
	for d := layout.StateDir; d != "/"; d = path.Dir(d) {
		tree[d] = treedump.Dir(0o755)
	}
	tree[layout.LockFile] = treedump.File(0o644, "")
}

// requireTree compares whole trees and names only the entries that differ.
func requireTree(t *testing.T, want, got map[string]string, msgs ...any) {
	t.Helper()
	var diff []string
	for _, k := range keys(merge(want, got)) {
		w, okw := want[k]
		g, okg := got[k]
		if w != g || okw != okg {
			diff = append(diff, fmt.Sprintf("%s: want %q, got %q", k, w, g))
		}
	}
	if len(diff) > 0 {
		require.Fail(t, "trees differ:\n"+strings.Join(diff, "\n"), msgs...)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := clone(a)
	for k, v := range b {
		out[k] = v
	}
	return out
}

func clone(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func without(m map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if k != prefix && !strings.HasPrefix(k, prefix+"/") {
			out[k] = v
		}
	}
	return out
}

func problemKinds(r *Report) []string {
	var ks []string
	for _, p := range r.Problems {
		ks = append(ks, p.Kind+" "+p.Path)
	}
	return ks
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, got, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// allPaths returns the sorted paths of artifactSet.
func allPaths() []string {
	var ps []string
	for p := range artifactSet {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

var createdDirs = []string{"rust", "rust/kernel", "rust/kernel/sub"}
