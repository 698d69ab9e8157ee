package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/dkms"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestCrossSets: an arm64 kernel on an amd64 machine, with real proc macros from sid's
// rustc. Its native set (an aarch64 proc macro) alone is refused, naming the package for
// amd64; collect records the machine of a set cross-built on amd64 (an x86_64 proc macro),
// link links that set next to the native one, and unlink restores the headers as shipped.
// On an arm64 machine the native set serves: the unit tests of verifier and layout show
// that choice with the same files.
func TestCrossSets(t *testing.T) {
	if h, ok := debarch.Host(); !ok || h.Name != "amd64" {
		t.Skip("the whole-tree cross test runs on amd64")
	}
	t.Cleanup(func() { layout.UseBuildSets(nil, "") })
	const armABI = "7.2.13+deb14-arm64"
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	config := "# Linux/arm64 7.2.13 Kernel Configuration\nCONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"" +
		string(sample(t, "sid/VERSION")) + "\"\n"
	for dir, macro := range map[string]string{"native": "sid/libsamplemacro.aarch64.so", "on-amd64": "sid/libsamplemacro.so"} {
		writeTree(t, filepath.Join(tmp, dir), map[string]string{
			".config":                       config,
			"include/config/kernel.release": armABI + "\n",
			"rust/libkernel.rmeta":          string(sample(t, "sid/libsample.rmeta")),
			"rust/libmacros.so":             string(sample(t, macro)),
		})
	}
	headers := filepath.Join(root, "usr/src/linux-headers-"+armABI)
	writeTree(t, headers, map[string]string{"Makefile": "include ../Makefile\n", ".config": config})
	shipped := treedump.Dump(t, headers)
	native := filepath.Join(root, "usr/lib/linux-librust-"+armABI)
	forAmd64 := filepath.Join(root, "usr/lib/x86_64-linux-gnu/linux-librust-"+armABI)
	pkg := "linux-librust-" + armABI + "-for-amd64"

	// No set yet: a DKMS build waits for the one for this machine.
	r := run(t, nil, "--root", root, "dkms-prebuild", armABI)
	assert.Equal(t, dkms.ExitSkipped, r.code, r.stderr)
	assert.Contains(t, r.stderr, "and "+pkg+" is not installed; fix: apt install "+pkg+" (DKMS")

	// The native set alone: link refuses, status and verify name the package to install.
	r = run(t, nil, "collect", "--build-dir", filepath.Join(tmp, "native"), "--dest", native)
	require.Equal(t, ExitOK, r.code, r.stderr)
	m, err := os.ReadFile(filepath.Join(native, "linux-librust.manifest"))
	require.NoError(t, err)
	assert.NotContains(t, string(m), "Proc-Macro-Architecture", "a native set's manifest is as before")
	r = run(t, nil, "--root", root, "link", armABI)
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stderr, "procmacro-foreign-machine")
	assert.Contains(t, r.stderr, "install "+pkg+" (the set built on amd64)")
	assert.Equal(t, shipped, treedump.Dump(t, headers))
	r = run(t, nil, "--root", root, "status", armABI)
	assert.Equal(t, ExitProblems, r.code)
	assert.Equal(t, armABI+": conflict headers=yes artifacts=yes links=0/2 conflicts=1 stale=0\n", r.stdout)
	r = run(t, nil, "--root", root, "status", "--json", armABI)
	assert.Contains(t, r.stdout, `"kind": "machine"`)
	assert.Contains(t, r.stdout, "the proc macros of this set run on arm64, not on this amd64 machine: install "+pkg+", the set built for amd64")
	r = run(t, nil, "--root", root, "verify", armABI)
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stdout, "install "+pkg)

	// The set cross-built on amd64, installed next to it, is linked.
	r = run(t, nil, "collect", "--build-dir", filepath.Join(tmp, "on-amd64"), "--dest", forAmd64)
	require.Equal(t, ExitOK, r.code, r.stderr)
	m, err = os.ReadFile(filepath.Join(forAmd64, "linux-librust.manifest"))
	require.NoError(t, err)
	assert.Contains(t, string(m), "\nArchitecture: arm64\n")
	assert.Contains(t, string(m), "\nProc-Macro-Architecture: amd64\n")
	r = run(t, nil, "--root", root, "link", armABI)
	require.Equal(t, ExitOK, r.code, r.stderr)
	rel := "../../../lib/x86_64-linux-gnu/linux-librust-" + armABI + "/rust/"
	want := map[string]string{
		"/rust":                 treedump.Dir(0o755),
		"/rust/libkernel.rmeta": treedump.Symlink(rel + "libkernel.rmeta"),
		"/rust/libmacros.so":    treedump.Symlink(rel + "libmacros.so"),
	}
	for k, v := range shipped {
		want[k] = v
	}
	assert.Equal(t, want, treedump.Dump(t, headers))
	r = run(t, nil, "--root", root, "status")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, armABI+": linked headers=yes artifacts=yes links=2/2 conflicts=0 stale=0\n", r.stdout)
	r = run(t, nil, "--root", root, "verify", "--full", armABI)
	assert.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, armABI+": ok (2 artifacts, full check)\n")

	r = run(t, nil, "--root", root, "unlink", armABI)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, shipped, treedump.Dump(t, headers))
}
