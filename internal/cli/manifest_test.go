package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// A manifest whose paths collide with the tool's own names, or nest absurdly deep, is
// refused when it is read: link makes nothing, and the error names the manifest and
// the fix.
func TestHostileManifestIsRefused(t *testing.T) {
	for _, tt := range []struct{ name, path, want string }{
		{"temporary name", "rust/libcore.rmeta.linux-librust-tmp", "ends in .linux-librust-tmp"},
		{"backup name", "rust/libcore.rmeta.linux-librust-backup", "ends in .linux-librust-backup"},
		{"1000 levels", strings.Repeat("d/", 999) + "x.rmeta", "1000 components, more than 16"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
			headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
			add(t, artifacts, tt.path)
			before := treedump.Dump(t, headers)

			r := run(t, nil, "--root", root, "link", abi)
			assert.Equal(t, ExitProblems, r.code, r.stderr)
			assert.Contains(t, r.stderr, "E: parse manifest /usr/lib/linux-librust-"+abi+"/linux-librust.manifest: ")
			assert.Contains(t, r.stderr, tt.want)
			assert.Contains(t, r.stderr, "; reinstall the package that ships /usr/lib/linux-librust-"+abi+", or rerun linux-librust collect")
			assert.Equal(t, before, treedump.Dump(t, headers), "nothing is linked")

			r = run(t, nil, "--root", root, "status", abi)
			assert.Equal(t, ExitProblems, r.code)
			assert.True(t, strings.HasPrefix(r.stdout, abi+": conflict "), r.stdout)
		})
	}
}

// add lists one more artifact, a copy of rust/libcore.rmeta at rel, in the manifest
// and SHA256SUMS of the artifacts tree dir, as a hostile package could.
func add(t *testing.T, dir, rel string) {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, "linux-librust.manifest"))
	require.NoError(t, err)
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	require.NoError(t, err)
	var stanza, sum string
	for _, s := range strings.Split(string(m), "\n\n") {
		if strings.HasPrefix(s, "Path: rust/libcore.rmeta\n") {
			stanza = strings.Replace(s, "Path: rust/libcore.rmeta", "Path: "+rel, 1)
		}
	}
	for _, l := range strings.Split(string(sums), "\n") {
		if strings.HasSuffix(l, "  rust/libcore.rmeta") {
			sum = strings.TrimSuffix(l, "rust/libcore.rmeta") + rel + "\n"
		}
	}
	require.NotEmpty(t, stanza)
	core, err := os.ReadFile(filepath.Join(dir, "rust/libcore.rmeta"))
	require.NoError(t, err)
	writeTree(t, dir, map[string]string{
		rel:                      string(core),
		"linux-librust.manifest": strings.TrimSuffix(string(m), "\n") + "\n\n" + strings.TrimSuffix(stanza, "\n") + "\n",
		"SHA256SUMS":             string(sums) + sum,
	})
}
