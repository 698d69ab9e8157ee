package cli

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"lukechampine.com/blake3"

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

func TestCollectThroughALinkedBuildDir(t *testing.T) {
	build, _ := system(t)
	link := filepath.Join(t.TempDir(), "kbuild")
	require.NoError(t, os.Symlink(build, link))
	r := run(t, nil, "collect", "--build-dir", link, "--list")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "rust/libcore.rmeta\nrust/libkernel.rmeta\nrust/libmacros.so\nscripts/target.json\n", r.stdout)

	// A destination inside the build tree, named through the link, is not collected again.
	dest := filepath.Join(link, "debian/pkg/usr/lib/linux-librust-x")
	r = run(t, nil, "collect", "--build-dir", link, "--dest", dest)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "collected 4 Rust artifacts")
	assert.NotContains(t, r.stderr, "W: ")

	// Nor is it when a later run collects elsewhere: no crate twice, and a warning.
	r = run(t, nil, "collect", "--build-dir", link, "--list")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "rust/libcore.rmeta\nrust/libkernel.rmeta\nrust/libmacros.so\nscripts/target.json\n", r.stdout)
	assert.Equal(t, "W: "+filepath.Join(build, "debian/pkg/usr/lib/linux-librust-x")+" holds an earlier collected set (linux-librust.manifest): not collected again; remove it, or collect into a directory outside the build tree\n", r.stderr)
	r = run(t, nil, "collect", "--build-dir", link, "--dest", filepath.Join(build, "other"))
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "collected 4 Rust artifacts")
}

// A tree with scripts/target.json and nothing else of Rust is not a Rust build.
func TestCollectRefusesATargetSpecAlone(t *testing.T) {
	build, _ := system(t)
	for _, p := range []string{"rust/libkernel.rmeta", "rust/libcore.rmeta", "rust/libmacros.so", "rust/libother.so"} {
		require.NoError(t, os.Remove(filepath.Join(build, p)))
	}
	dest := filepath.Join(t.TempDir(), "dest")
	r := run(t, nil, "collect", "--build-dir", build, "--dest", dest)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Contains(t, r.stderr, "E: "+build+": no Rust artifacts: no crate metadata (.rmeta) and no proc macro (.so)")
	_, err := os.Stat(dest)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing is copied")
}

func TestCollectStrip(t *testing.T) {
	if _, err := exec.LookPath("strip"); err != nil {
		t.Skip("no strip (binutils)")
	}
	build, _ := system(t)
	unstripped := sample(t, "sid/libsamplemacro.unstripped.so")
	require.NoError(t, os.WriteFile(filepath.Join(build, "rust/libmacros.so"), unstripped, 0o644))
	dest := filepath.Join(t.TempDir(), "out")

	r := run(t, nil, "collect", "--build-dir", build, "--dest", dest, "--strip")
	require.Equal(t, ExitOK, r.code, r.stderr)
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	m, err := manifest.Read(fsys, dest)
	require.NoError(t, err)
	var macro manifest.Artifact
	for _, a := range m.Artifacts {
		if a.Path == "rust/libmacros.so" {
			macro = a
		}
	}
	assert.Less(t, macro.Size, int64(len(unstripped)), "stripped")
	fi, err := os.Stat(filepath.Join(dest, "rust/libmacros.so"))
	require.NoError(t, err)
	assert.Equal(t, fi.Size(), macro.Size)
	data, err := os.ReadFile(filepath.Join(dest, "rust/libmacros.so"))
	require.NoError(t, err)
	b := blake3.Sum256(data)
	assert.Equal(t, hex.EncodeToString(b[:]), macro.BLAKE3, "the digest of the stripped file")
	cmd := exec.Command("sha256sum", "--strict", "-c", "SHA256SUMS")
	cmd.Dir = dest
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	// The other artifacts are untouched, and the source tree too.
	src, err := os.ReadFile(filepath.Join(build, "rust/libmacros.so"))
	require.NoError(t, err)
	assert.Equal(t, unstripped, src)
}

func TestCollectStripRefusesADamagingStrip(t *testing.T) {
	build, _ := system(t)
	bad := filepath.Join(t.TempDir(), "bad-strip")
	// A "strip" that leaves only the ELF header.
	require.NoError(t, os.WriteFile(bad, []byte("#!/bin/sh\nf=\"$2\"; head -c 64 \"$f\" >\"$f.t\" && mv \"$f.t\" \"$f\"\n"), 0o755))
	dest := filepath.Join(t.TempDir(), "out")
	r := run(t, map[string]string{"STRIP": bad}, "collect", "--build-dir", build, "--dest", dest, "--strip")
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stderr, dest+"/rust/libmacros.so: stripping removed the proc-macro marker")
	_, err := os.Stat(filepath.Join(dest, "linux-librust.manifest"))
	assert.ErrorIs(t, err, os.ErrNotExist, "no manifest for an incomplete set")

	r = run(t, map[string]string{"STRIP": "/nonexistent/strip"}, "collect", "--build-dir", build, "--dest", filepath.Join(t.TempDir(), "o2"), "--strip")
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stderr, "/nonexistent/strip --strip-unneeded")
	assert.Contains(t, r.stderr, "set STRIP")
}
