package verifier

import (
	"path"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadConfigOnce: a .config is read once per process while it is unchanged, and
// read again after any change, even one that keeps its size and modification time.
func TestReadConfigOnce(t *testing.T) {
	noRacyWindow(t)
	fsys := newRoot(t)
	p := path.Join(headers, configName)
	require.NoError(t, fsys.MkdirAll(headers, 0o755))
	sid := version(t, "sid")
	require.NoError(t, afero.WriteFile(fsys, p, []byte(config(sid)), 0o644))

	first := readConfig(fsys, p)
	require.NoError(t, first.readErr)
	assert.Equal(t, sid, first.version)
	assert.Same(t, first, readConfig(fsys, p), "unchanged: not read again")

	fi, err := fsys.Stat(p)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond) // past the tick of the change time just read
	changed := []byte(config(sid))
	changed[len(changed)-2] = 'n' // CONFIG_RUST=n, same size
	require.NoError(t, afero.WriteFile(fsys, p, changed, 0o644))
	require.NoError(t, fsys.Chtimes(p, fi.ModTime(), fi.ModTime()))
	again := readConfig(fsys, p)
	assert.NotSame(t, first, again)
	assert.NotEqual(t, first.sha256, again.sha256)

	require.NoError(t, fsys.Remove(p))
	assert.Error(t, readConfig(fsys, p).readErr)
}

// TestReadConfigUnsettled: a .config changed less than rootfs.SettleTime ago is read
// again, since its identity may hide a change within the same clock tick.
func TestReadConfigUnsettled(t *testing.T) {
	fsys := newRoot(t)
	p := path.Join(headers, configName)
	require.NoError(t, fsys.MkdirAll(headers, 0o755))
	require.NoError(t, afero.WriteFile(fsys, p, []byte(config(version(t, "sid"))), 0o644))
	assert.NotSame(t, readConfig(fsys, p), readConfig(fsys, p))
}
