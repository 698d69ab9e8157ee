package manifest

import (
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TestReadOnce: an unchanged manifest is parsed once per process, every caller gets
// its own copy, and any change is read again; one changed less than
// rootfs.SettleTime ago is always read again.
func TestReadOnce(t *testing.T) {
	fsys, err := rootfs.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, fsys.MkdirAll("/a", 0o755))
	require.NoError(t, Write(fsys, "/a", sample()))

	first, err := Read(fsys, "/a")
	require.NoError(t, err)
	_, _, memoized := memoKeyOf(fsys, "/a")
	assert.False(t, memoized, "just written: not settled")

	old := rootfs.SettleTime
	rootfs.SettleTime = -time.Hour
	t.Cleanup(func() { rootfs.SettleTime = old })
	first, err = Read(fsys, "/a")
	require.NoError(t, err)
	want := first.clone()
	first.Artifacts[0].Size = 99 // the caller's own copy
	second, err := Read(fsys, "/a")
	require.NoError(t, err)
	assert.Equal(t, want, second)
	key, _, memoized := memoKeyOf(fsys, "/a")
	require.True(t, memoized)
	planted := want.clone()
	planted.ABI = "planted"
	memo.Store(key, planted)
	replayed, err := Read(fsys, "/a")
	require.NoError(t, err)
	assert.Equal(t, "planted", replayed.ABI, "settled and unchanged: answered from the memo, not parsed again")

	time.Sleep(20 * time.Millisecond) // past the tick of the change times just read
	changed := sample()
	changed.ABI = "7.2.14+deb14-amd64"
	require.NoError(t, Write(fsys, "/a", changed))
	third, err := Read(fsys, "/a")
	require.NoError(t, err)
	assert.Equal(t, "7.2.14+deb14-amd64", third.ABI)
}

// TestReadOnceSumsUnsettled: a settled manifest whose SHA256SUMS changed within
// rootfs.SettleTime is not memoized: both files must stand for their content.
func TestReadOnceSumsUnsettled(t *testing.T) {
	fsys, err := rootfs.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, fsys.MkdirAll("/a", 0o755))
	require.NoError(t, Write(fsys, "/a", sample()))
	const settle = 200 * time.Millisecond // long enough that a loaded machine does not cross it
	time.Sleep(2 * settle)
	require.NoError(t, fsys.Chmod(path.Join("/a", layout.SumsName), 0o600)) // a new change time
	old := rootfs.SettleTime
	rootfs.SettleTime = settle
	t.Cleanup(func() { rootfs.SettleTime = old })
	_, manifestOK, memoized := memoKeyOf(fsys, "/a")
	assert.True(t, manifestOK)
	assert.False(t, memoized, "SHA256SUMS just changed")
	time.Sleep(settle + 50*time.Millisecond)
	_, _, memoized = memoKeyOf(fsys, "/a")
	assert.True(t, memoized, "both settled")
}

// TestReadIdentified: the identity is the manifest file's, taken before it was read,
// whether it was parsed or answered from the memo, and settled or not.
func TestReadIdentified(t *testing.T) {
	fsys, err := rootfs.New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, fsys.MkdirAll("/a", 0o755))
	_, _, ok, err := ReadIdentified(fsys, "/a")
	require.Error(t, err)
	assert.False(t, ok, "no manifest: no identity")

	require.NoError(t, Write(fsys, "/a", sample()))
	fi, err := fsys.Stat(path.Join("/a", layout.ManifestName))
	require.NoError(t, err)
	want, ok := rootfs.IdentityOf(fi)
	require.True(t, ok)
	for _, settle := range []time.Duration{time.Hour, -time.Hour, -time.Hour} { // not settled, parsed, memo
		old := rootfs.SettleTime
		rootfs.SettleTime = settle
		m, id, ok, err := ReadIdentified(fsys, "/a")
		rootfs.SettleTime = old
		require.NoError(t, err)
		assert.Equal(t, sample().ABI, m.ABI)
		assert.True(t, ok)
		assert.Equal(t, want, id)
	}
}
