package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// hookRun runs "linux-librust hook ARGS" on root the way dpkg does: DPKG_ROOT
// and DEB_MAINT_PARAMS in the environment. A hook never writes stdout.
func hookRun(t *testing.T, root, params string, args ...string) result {
	t.Helper()
	r := run(t, map[string]string{"DPKG_ROOT": root, "DEB_MAINT_PARAMS": params}, append([]string{"hook"}, args...)...)
	assert.Empty(t, r.stdout, "a hook never writes stdout")
	return r
}

// TestHookLifecycle drives a kernel's life through the hooks in both orders of
// installation and asserts the whole headers tree after each step.
func TestHookLifecycle(t *testing.T) {
	build, root := system(t)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	shipped := treedump.Dump(t, headers)
	linked := linkedHeaders(shipped)

	// Headers first: the artifacts are not there yet, which is success.
	r := hookRun(t, root, "configure", "header_postinst.d", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.NotContains(t, r.stderr, "W: ")
	assert.NotContains(t, r.stderr, "E: ")
	assert.Equal(t, shipped, treedump.Dump(t, headers))

	// linux-librust-ABI unpacked and configured.
	require.Equal(t, ExitOK, run(t, nil, "collect", "--build-dir", build, "--dest", artifacts).code)
	r = hookRun(t, root, "", "librust-postinst", abi, "configure", "")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))

	// The headers reconfigured, quoted parameters: converges, changes nothing.
	r = hookRun(t, root, "'configure' '7.2.13-1'", "header_postinst.d", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))

	// An aborted upgrade of the headers that lost a link: the hook puts it back.
	require.NoError(t, os.Remove(filepath.Join(headers, "rust/libmacros.so")))
	r = hookRun(t, root, "abort-upgrade 7.2.13-2", "header_postinst.d", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))

	// An upgrade of linux-librust-ABI keeps the links through prerm and postinst.
	r = hookRun(t, root, "", "librust-prerm", abi, "upgrade", "0.1-2")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))
	r = hookRun(t, root, "", "librust-postinst", abi, "configure", "0.1-1")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))

	// Removal: prerm unlinks, the headers tree is as shipped again.
	r = hookRun(t, root, "", "librust-prerm", abi, "remove")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, shipped, treedump.Dump(t, headers))
	require.NoError(t, os.RemoveAll(artifacts))
	r = hookRun(t, root, "", "librust-postrm", abi, "purge")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, shipped, treedump.Dump(t, headers))
}

// TestHookHeadersRemoved: dpkg removed the headers package but had to leave its
// directory because of the links; the file trigger's repair takes it all away.
func TestHookHeadersRemoved(t *testing.T) {
	build, root := system(t)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	require.Equal(t, ExitOK, run(t, nil, "collect", "--build-dir", build, "--dest", artifacts).code)
	require.Equal(t, ExitOK, hookRun(t, root, "", "librust-postinst", abi, "configure", "").code)
	// What dpkg removes: the shipped files, and the directories left empty.
	for _, f := range []string{"Makefile", ".config", "include/linux/a"} {
		require.NoError(t, os.Remove(filepath.Join(headers, f)))
	}
	require.NoError(t, os.Remove(filepath.Join(headers, "include/linux")))
	require.NoError(t, os.Remove(filepath.Join(headers, "include")))

	r := hookRun(t, root, "", "librust-postinst", abi, "triggered", "/usr/src/linux-headers-"+abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.NoDirExists(t, headers)
	assert.Equal(t, map[string]string{}, treedump.Dump(t, filepath.Join(root, "usr/src")))
}

// TestHookProblemsWarn: a conflict refuses "link" (exit 1) but only warns in a
// hook, which must not abort the kernel's configuration. Either way nothing is
// linked: a partly linked set is worse than none.
func TestHookProblemsWarn(t *testing.T) {
	build, root := system(t)
	artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	require.Equal(t, ExitOK, run(t, nil, "collect", "--build-dir", build, "--dest", artifacts).code)
	foreign := filepath.Join(root, "usr/src/linux-headers-"+abi, "rust/libkernel.rmeta")
	writeTree(t, filepath.Dir(filepath.Dir(foreign)), map[string]string{"rust/libkernel.rmeta": "mine"})
	headers := treedump.Dump(t, filepath.Dir(filepath.Dir(foreign)))

	assert.Equal(t, ExitProblems, run(t, nil, "--root", root, "link", abi).code)
	for _, args := range [][]string{
		{"header_postinst.d", abi},
		{"librust-postinst", abi, "configure", ""},
	} {
		r := hookRun(t, root, "configure", args...)
		assert.Equal(t, ExitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "W: ")
		assert.Contains(t, r.stderr, "/usr/src/linux-headers-"+abi+"/rust/libkernel.rmeta")
		assert.Contains(t, r.stderr, "linux-librust status "+abi)
		assert.NotContains(t, r.stderr, "E: ")
	}
	content, err := os.ReadFile(foreign)
	require.NoError(t, err)
	assert.Equal(t, "mine", string(content))
	assert.Equal(t, headers, treedump.Dump(t, filepath.Dir(filepath.Dir(foreign))), "the foreign file is left alone, nothing is linked")
}

// TestHookBreakage: when the system cannot be changed (here the lock cannot be
// taken) the hook fails, except on the abort-* paths, which only warn.
func TestHookBreakage(t *testing.T) {
	_, root := system(t)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/linux-librust/lock"), 0o755))

	r := hookRun(t, root, "configure", "header_postinst.d", abi)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Contains(t, r.stderr, "E: repair "+abi+": ")

	r = hookRun(t, root, "abort-upgrade 1", "header_postinst.d", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "W: repair "+abi+" (warn only): ")
	assert.NotContains(t, r.stderr, "E: ")
}

func TestHookRustc(t *testing.T) {
	root := collected(t)
	r := hookRun(t, root, "", "tool-postinst", "triggered", "/usr/bin/rustc")
	require.Equal(t, ExitOK, r.code, r.stderr)
	want := string(sample(t, "sid/VERSION"))
	assert.Contains(t, r.stderr, "W: "+abi+": rustc is no longer installed; out-of-tree Rust modules for this kernel need the rustc that prints \""+want+"\"")
	assert.Contains(t, r.stderr, "W: rustc changed: 1 kernel(s) affected: "+abi+"\n")

	// A kernel without artifacts needs no rustc.
	_, bare := system(t)
	r = hookRun(t, bare, "", "tool-postinst", "triggered", "/usr/bin/rustc")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
}

func TestHookNothingToDo(t *testing.T) {
	_, root := system(t)
	before := treedump.Dump(t, root)
	for _, tt := range []struct {
		params string
		args   []string
	}{
		{"upgrade 7.2.13-2", []string{"prerm.d", abi}},
		{"triggered x", []string{"header_postinst.d", abi}},
		{"", []string{"librust-prerm", abi, "upgrade", "1"}},
		{"", []string{"tool-postinst", "triggered", "something-else"}},
		{"", []string{"install.d", "inspect"}},
	} {
		r := hookRun(t, root, tt.params, tt.args...)
		assert.Equal(t, ExitOK, r.code, r.stderr)
		assert.Empty(t, r.stderr, "%v: nothing to do is silent without -v", tt.args)
	}
	assert.Equal(t, before, treedump.Dump(t, root), "nothing to do touches nothing, not even the lock")
}

func TestHookUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"preinst", abi},
		{"header_postinst.d"},
		{"header_postinst.d", "../../etc"},
		{"librust-prerm", "a/b", "remove"},
	} {
		r := hookRun(t, t.TempDir(), "configure", args...)
		assert.Equal(t, ExitUsage, r.code, "%v: %s", args, r.stderr)
	}
	// Arguments after the context are the caller's, even those that look like flags.
	r := hookRun(t, t.TempDir(), "", "tool-postinst", "--weird")
	assert.Equal(t, ExitOK, r.code, r.stderr)
}

// TestHookGlobalFlagsAfterContext: global flags work after the context as before
// it; --root wins over DPKG_ROOT. Unknown flag-like arguments stay the caller's.
func TestHookGlobalFlagsAfterContext(t *testing.T) {
	for _, tt := range []struct {
		name string
		args func(root string) []string
	}{
		{"before", func(root string) []string { return []string{"--root", root, "-v", "hook", "header_postinst.d", abi} }},
		{"after", func(root string) []string { return []string{"hook", "header_postinst.d", abi, "--root", root, "-v"} }},
		{"between", func(root string) []string {
			return []string{"hook", "header_postinst.d", "--root=" + root, "--verbose", abi}
		}},
		{"librust", func(root string) []string {
			return []string{"hook", "librust-postinst", abi, "configure", "", "-v", "--root", root}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
			shipped := treedump.Dump(t, headers)
			other := t.TempDir()
			r := run(t, map[string]string{"DPKG_ROOT": other, "DEB_MAINT_PARAMS": "configure"}, tt.args(root)...)
			require.Equal(t, ExitOK, r.code, r.stderr)
			assert.Contains(t, r.stderr, "D: hook ", "-v is honoured")
			assert.Equal(t, linkedHeaders(shipped), treedump.Dump(t, headers))
			assert.Empty(t, treedump.Dump(t, other), "DPKG_ROOT is not touched when --root is given")
		})
	}

	// "--" ends the global flags: what follows is the caller's.
	root := collected(t)
	r := run(t, map[string]string{"DPKG_ROOT": root}, "hook", "tool-postinst", "--", "--root", "/nonexistent")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	r = run(t, map[string]string{"DPKG_ROOT": root}, "hook", "header_postinst.d", abi, "--root")
	assert.Equal(t, ExitUsage, r.code, r.stderr)
	assert.Contains(t, r.stderr, "--root needs an argument")
}
