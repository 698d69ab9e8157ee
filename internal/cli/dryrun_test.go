package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestDryRunQuiet: the plan is what a dry run is for; -q does not hide it.
func TestDryRunQuiet(t *testing.T) {
	root := collected(t)
	before := treedump.Dump(t, root)
	r := run(t, nil, "--root", root, "--dry-run", "-q", "link", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	require.Len(t, lines, 6, r.stderr)
	assert.Equal(t, "I: would mkdir /usr/src/linux-headers-"+abi+"/rust", lines[0])
	assert.Equal(t, "I: would link /usr/src/linux-headers-"+abi+"/scripts/target.json -> ../../../lib/linux-librust-"+abi+"/scripts/target.json", lines[5])
	assert.Empty(t, r.stdout)
	assert.Equal(t, before, treedump.Dump(t, root))

	// -q still hides the other informational lines.
	r = run(t, nil, "--root", root, "-q", "link", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Empty(t, r.stderr)
}

// TestDryRunQuietCollect: collect's "would copy" lines are its dry run's output, as
// link's plan is, and show under -q the same.
func TestDryRunQuietCollect(t *testing.T) {
	build, root := system(t)
	dest := filepath.Join(t.TempDir(), "dest")
	before := treedump.Dump(t, root)
	for _, quiet := range [][]string{nil, {"-q"}} {
		args := append(append([]string{"--root", root, "--dry-run"}, quiet...), "collect", "--build-dir", build, "--dest", dest)
		r := run(t, nil, args...)
		assert.Equal(t, ExitOK, r.code, r.stderr)
		assert.Contains(t, r.stderr, "I: would copy rust/libcore.rmeta to "+filepath.Join(dest, "rust/libcore.rmeta")+"\n", "%v", quiet)
		assert.Equal(t, 4, strings.Count(r.stderr, "I: would copy "), "%v: %s", quiet, r.stderr)
	}
	assert.NoDirExists(t, dest)
	assert.Equal(t, before, treedump.Dump(t, root))
}
