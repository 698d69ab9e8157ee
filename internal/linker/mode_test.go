package linker

import (
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestUmask: directories the tool creates are 0755 and the record 0644 whatever the
// umask, so that module builds work for every user; a directory left 0700 by an
// interruption gets its mode back.
func TestUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	before := f.dump()
	_, err := f.engine().Link(abi)
	require.NoError(t, err)
	h := layout.Headers(abi)
	want := linked(before, abi, allPaths(), createdDirs, nil)
	got := f.dump()
	for _, tree := range []map[string]string{want, got} {
		for k := range tree {
			// The lock's directory and file belong to internal/lock.
			if strings.HasPrefix(k, "/var") && k != state.Path(abi) {
				delete(tree, k)
			}
		}
	}
	requireTree(t, want, got)

	// An interruption between mkdir and chmod: the next run repairs the mode.
	require.NoError(t, f.fs.Chmod(h+"/rust/kernel", 0o700))
	_, err = f.engine().Repair([]string{abi})
	require.NoError(t, err)
	assert.Equal(t, treedump.Dir(0o755), f.dump()[h+"/rust/kernel"])
	ff := faultfs.New(f.fs, 0)
	_, err = (&Engine{FS: ff}).Link(abi)
	require.NoError(t, err)
	assert.Empty(t, ff.Ops())
}
