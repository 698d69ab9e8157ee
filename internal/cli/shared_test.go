package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestUnlinkTwoFlavours: `unlink A1 A2` of two flavours that share scripts/target.json
// in linux-kbuild leaves no link behind (never one re-pointed to a flavour unlinked
// in the same command), and running it again changes nothing.
func TestUnlinkTwoFlavours(t *testing.T) {
	build, root := system(t)
	cloud := "7.2.13+deb14-cloud-amd64"
	writeTree(t, root, map[string]string{"usr/lib/linux-kbuild-7.2/scripts/basic/fixdep": "fixdep"})
	for _, a := range []string{abi, cloud} {
		h := filepath.Join(root, "usr/src/linux-headers-"+a)
		if a != abi {
			writeTree(t, h, map[string]string{"Makefile": "include ../Makefile\n"})
			cfg, err := os.ReadFile(filepath.Join(root, "usr/src/linux-headers-"+abi, ".config"))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(h, ".config"), cfg, 0o644))
		}
		require.NoError(t, os.Symlink("../../lib/linux-kbuild-7.2/scripts", filepath.Join(h, "scripts")))
		r := run(t, nil, "collect", "--build-dir", build, "--abi", a, "--dest", filepath.Join(root, "usr/lib/linux-librust-"+a))
		require.Equal(t, ExitOK, r.code, r.stderr)
	}
	// The tree as unlink leaves it: the state directory and the log are made once.
	r := run(t, nil, "--root", root, "unlink", abi, cloud)
	require.Equal(t, ExitOK, r.code, r.stderr)
	before := withoutLog(treedump.Dump(t, root))

	r = run(t, nil, "--root", root, "link", abi, cloud)
	require.Equal(t, ExitOK, r.code, r.stderr)
	target, err := os.Readlink(filepath.Join(root, "usr/lib/linux-kbuild-7.2/scripts/target.json"))
	require.NoError(t, err)
	assert.Equal(t, "../../linux-librust-"+abi+"/scripts/target.json", target)

	for range 2 {
		r = run(t, nil, "--root", root, "unlink", abi, cloud)
		require.Equal(t, ExitOK, r.code, r.stderr)
		assert.Equal(t, before, withoutLog(treedump.Dump(t, root)), "nothing of the tool's is left")
		r = run(t, nil, "--root", root, "status", abi, cloud)
		assert.Equal(t, abi+": unlinked headers=yes artifacts=yes links=0/4 conflicts=0 stale=0\n"+
			cloud+": unlinked headers=yes artifacts=yes links=0/4 conflicts=0 stale=0\n", r.stdout)
	}
}

// withoutLog drops the log file, which every change extends, and its directory, made
// with the first change.
func withoutLog(tree map[string]string) map[string]string {
	delete(tree, "/var/log/linux-librust.log")
	delete(tree, "/var/log")
	return tree
}
