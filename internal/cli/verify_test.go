package cli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/toolchain"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// collected returns a root whose artifacts tree was collected from real rustc output.
func collected(t *testing.T) string {
	build, root := system(t)
	r := run(t, nil, "collect", "--build-dir", build, "--dest", filepath.Join(root, "usr/lib/linux-librust-"+abi))
	require.Equal(t, ExitOK, r.code, r.stderr)
	return root
}

func TestVerify(t *testing.T) {
	root := collected(t)
	r := run(t, nil, "--root", root, "verify", "--full", abi)
	assert.Equal(t, ExitProblems, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, abi+": error: link-missing: /usr/src/linux-headers-"+abi+"/rust/libcore.rmeta")

	require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
	r = run(t, nil, "--root", root, "verify", "--full", abi)
	assert.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, abi+": ok (4 artifacts, full check)")

	r = run(t, nil, "--root", root, "verify", "--all", "--json")
	assert.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
	var doc struct {
		Format  int `json:"format"`
		Kernels []struct {
			ABI      string `json:"abi"`
			Findings []struct {
				Code string `json:"code"`
			} `json:"findings"`
		} `json:"kernels"`
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &doc), r.stdout)
	assert.Equal(t, 1, doc.Format)
	require.Len(t, doc.Kernels, 1)
	assert.Equal(t, abi, doc.Kernels[0].ABI)

	// An artifact replaced by one of another rustc: a finding that names the file.
	art := filepath.Join(root, "usr/lib/linux-librust-"+abi, "rust/libkernel.rmeta")
	require.NoError(t, os.WriteFile(art, sample(t, "trixie/libsample.rmeta"), 0o644))
	r = run(t, nil, "--root", root, "verify", abi)
	assert.Equal(t, ExitProblems, r.code, r.stdout+r.stderr)
	assert.Contains(t, r.stdout, "/usr/lib/linux-librust-"+abi+"/rust/libkernel.rmeta")
	assert.Contains(t, r.stdout, "fix: ")
	assert.NotContains(t, r.stdout, ": ok (")
}

// TestVerifyFullDigests: verify --full compares the BLAKE3 collect writes; a manifest
// written before BLAKE3 (as installed systems have them) still verifies, by SHA-256; a
// flipped byte is found either way, naming the digest that differs.
func TestVerifyFullDigests(t *testing.T) {
	for _, tc := range []struct {
		name   string
		blake3 bool
		hash   string
	}{
		{"collected", true, "BLAKE3"},
		{"manifest without BLAKE3", false, "SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := collected(t)
			arts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
			mp := filepath.Join(arts, "linux-librust.manifest")
			text, err := os.ReadFile(mp)
			require.NoError(t, err)
			require.Equal(t, 4, strings.Count(string(text), "\nBLAKE3: "))
			if !tc.blake3 {
				text = regexp.MustCompile(`(?m)^BLAKE3: .*\n`).ReplaceAll(text, nil)
				require.NoError(t, os.WriteFile(mp, text, 0o644))
			}
			require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
			r := run(t, nil, "--root", root, "verify", "--full", abi)
			require.Equal(t, ExitOK, r.code, r.stdout+r.stderr)
			assert.Contains(t, r.stdout, abi+": ok (4 artifacts, full check)")

			p := filepath.Join(arts, "rust/libcore.rmeta")
			data, err := os.ReadFile(p)
			require.NoError(t, err)
			data[len(data)/2] ^= 0x80
			require.NoError(t, os.WriteFile(p, data, 0o644))
			r = run(t, nil, "--root", root, "verify", "--full", abi)
			assert.Equal(t, ExitProblems, r.code, r.stdout+r.stderr)
			assert.Regexp(t, "(?m)^"+regexp.QuoteMeta(abi+": error: checksum-mismatch: /usr/lib/linux-librust-"+abi+"/rust/libcore.rmeta: ")+
				tc.hash+" [0-9a-f]{64}, the manifest says [0-9a-f]{64}; fix: reinstall linux-librust-"+regexp.QuoteMeta(abi)+" ", r.stdout)
		})
	}
}

func TestLinkRefusesABrokenSet(t *testing.T) {
	root := collected(t)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	art := filepath.Join(root, "usr/lib/linux-librust-"+abi, "rust/libkernel.rmeta")
	require.NoError(t, os.WriteFile(art, sample(t, "sid/libsample.half.rmeta"), 0o644))
	before := treedump.Dump(t, headers)

	r := run(t, nil, "--root", root, "link", abi)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Contains(t, r.stderr, "E: ")
	assert.Contains(t, r.stderr, "rust/libkernel.rmeta")
	assert.Contains(t, r.stderr, "--force")
	assert.Equal(t, before, treedump.Dump(t, headers), "a refused link changes nothing")

	r = run(t, nil, "--root", root, "link", "--force", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "W: ")
	assert.True(t, strings.Contains(r.stderr, "--force"), r.stderr)
	assert.Equal(t, treedump.Symlink("../../../lib/linux-librust-"+abi+"/rust/libkernel.rmeta"),
		treedump.Dump(t, headers)["/rust/libkernel.rmeta"])
}

// Without -v, verify runs the installed rustc only for a set whose version it must
// compare: an ABI without artifacts needs none.
func TestVerifyRunsRustcOnlyWhenNeeded(t *testing.T) {
	asked := 0
	var out, errb strings.Builder
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LockWait: 5 * time.Second,
		Getenv: func(string) string { return "" },
		installed: &toolchain.Rustc{Root: "/", LookPath: func(string) (string, error) {
			asked++
			return "", exec.ErrNotFound
		}}}
	code := a.Run([]string{"linux-librust", "--root", t.TempDir(), "verify", abi})
	assert.Equal(t, ExitProblems, code, errb.String())
	assert.Contains(t, out.String(), abi+": error: artifacts-missing")
	assert.Zero(t, asked, "rustc was run for a set that needs none")
}
