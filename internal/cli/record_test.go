package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestDamagedRecordIsPerABI: a damaged state record is a problem of its ABI only:
// status reports every ABI, and the tool's postinst still configures.
func TestDamagedRecordIsPerABI(t *testing.T) {
	const other = "7.2.12+deb14-amd64"
	build, root := system(t)
	for _, a := range []string{abi, other} {
		r := run(t, nil, "collect", "--build-dir", build, "--abi", a, "--dest", filepath.Join(root, "usr/lib/linux-librust-"+a))
		require.Equal(t, ExitOK, r.code, r.stderr)
	}
	config, err := os.ReadFile(filepath.Join(build, ".config"))
	require.NoError(t, err)
	writeTree(t, filepath.Join(root, "usr/src/linux-headers-"+other), map[string]string{"Makefile": "x\n", ".config": string(config)})
	writeTree(t, filepath.Join(root, "var/lib/linux-librust"), map[string]string{abi: "garbage\n"})
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	before := treedump.Dump(t, headers)

	r := run(t, nil, "--root", root, "status")
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Equal(t, other+": unlinked headers=yes artifacts=yes links=0/4 conflicts=0 stale=0\n"+
		abi+": conflict headers=yes artifacts=yes links=0/4 conflicts=1 stale=0\n", r.stdout)

	r = hookRun(t, root, "", "tool-postinst", "configure", "")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "W: state record /var/lib/linux-librust/"+abi+" is damaged: line 1")
	assert.Contains(t, r.stderr, "inspect the file, remove it, then run linux-librust repair "+abi)
	assert.NotContains(t, r.stderr, "E: ")
	assert.Equal(t, before, treedump.Dump(t, headers), "the ABI with the damaged record is left alone")

	r = run(t, nil, "--root", root, "status", other)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, other+": linked headers=yes artifacts=yes links=4/4 conflicts=0 stale=0\n", r.stdout, "the other ABI is linked")
}
