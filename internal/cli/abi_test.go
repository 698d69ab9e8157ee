package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyManifestOfAnotherKernel(t *testing.T) {
	build, root := system(t)
	r := run(t, nil, "collect", "--build-dir", build, "--abi", "7.2.12+deb14-amd64",
		"--dest", filepath.Join(root, "usr/lib/linux-librust-"+abi))
	require.Equal(t, ExitOK, r.code, r.stderr)
	r = run(t, nil, "--root", root, "verify", abi)
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stdout, abi+": error: manifest-abi-mismatch: /usr/lib/linux-librust-"+abi+"/linux-librust.manifest: "+
		"the manifest describes the artifacts of kernel 7.2.12+deb14-amd64, but they are installed for "+abi+
		"; fix: rebuild the package with linux-librust collect --abi "+abi)
}

// verify --all covers the kernels with Rust artifacts (or the tool's state), not every
// headers tree: a Debian system has headers without Rust artifacts, and -common trees.
func TestVerifyAllSkipsKernelsWithoutArtifacts(t *testing.T) {
	root := collected(t)
	require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
	writeTree(t, root, map[string]string{
		"usr/src/linux-headers-7.2.13+deb14-common/Makefile": "x\n",
		"usr/src/linux-headers-6.12.9+deb13-amd64/Makefile":  "x\n",
	})
	r := run(t, nil, "--root", root, "verify", "--all", "--json")
	assert.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
	var doc struct {
		Kernels []struct {
			ABI string `json:"abi"`
		} `json:"kernels"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Len(t, doc.Kernels, 1)
	assert.Equal(t, abi, doc.Kernels[0].ABI)

	// A kernel named on the command line is verified even without artifacts, and its
	// JSON entry names it.
	r = run(t, nil, "--root", root, "verify", "--json", "6.12.9+deb13-amd64")
	assert.Equal(t, ExitProblems, r.code)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Len(t, doc.Kernels, 1)
	assert.Equal(t, "6.12.9+deb13-amd64", doc.Kernels[0].ABI)
	_, err := os.Stat(filepath.Join(root, "usr/lib/linux-librust-6.12.9+deb13-amd64"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestStatusListsKernelsWithArtifacts(t *testing.T) {
	root := collected(t)
	writeTree(t, root, map[string]string{
		"usr/src/linux-headers-7.2.13+deb14-common/Makefile": "x\n",
		"usr/src/linux-headers-6.12.9+deb13-amd64/Makefile":  "x\n",
	})
	r := run(t, nil, "--root", root, "status")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, abi+": unlinked headers=yes artifacts=yes links=0/4 conflicts=0 stale=0\n", r.stdout)
	r = run(t, nil, "--root", root, "status", "6.12.9+deb13-amd64")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "6.12.9+deb13-amd64: unlinked headers=yes artifacts=no links=0/0 conflicts=0 stale=0\n", r.stdout)
}

// A kernel that does not exist is not "unlinked": status says absent, names what is
// missing and exits 1.
func TestStatusOfAnAbsentKernel(t *testing.T) {
	root := collected(t)
	const missing = "6.1.0-99-amd64"
	r := run(t, nil, "--root", root, "status", abi, missing)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Equal(t, abi+": unlinked headers=yes artifacts=yes links=0/4 conflicts=0 stale=0\n"+
		missing+": absent headers=no artifacts=no links=0/0 conflicts=0 stale=0\n", r.stdout)
	assert.Equal(t, "E: "+missing+": no such kernel: neither /usr/src/linux-headers-"+missing+
		" nor /usr/lib/linux-librust-"+missing+" exists under the root; 'linux-librust status' lists the installed ones\n", r.stderr)

	r = run(t, nil, "--root", root, "status", "--json", missing)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	var doc struct {
		Kernels []struct{ State string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc))
	require.Len(t, doc.Kernels, 1)
	assert.Equal(t, "absent", doc.Kernels[0].State)
}
