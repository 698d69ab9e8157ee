package linker

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TestHeldDirectories: a no-op link and status open each directory they inspect once,
// whatever the number of names they read there (links, their temporary and backup
// names), the observation after the run included; a no-op link looks at each name once,
// and at no absent one.
func TestHeldDirectories(t *testing.T) {
	for _, debian := range []bool{false, true} {
		t.Run(map[bool]string{false: "own scripts", true: "Debian's shared scripts"}[debian], func(t *testing.T) {
			f := newFixture(t)
			f.headers(abi, debian)
			f.artifacts(abi, artifactSet)
			c := &openCounter{FS: f.fs, opens: map[string]int{}, dirs: map[string]int{}, lstats: map[string]int{}}
			e := &Engine{FS: c}
			r, err := e.Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Problems)
			linkedOnce := f.dump()
			rust := layout.Headers(abi) + "/rust"

			clear(c.dirs)
			clear(c.lstats)
			r, err = e.Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Actions)
			for dir, n := range c.dirs {
				assert.Equal(t, 1, n, "a no-op link opened %s %d times", dir, n)
			}
			// What the plan found in place is not looked at again after no action.
			for name, n := range c.lstats {
				assert.Equal(t, 1, n, "a no-op link looked at %s %d times", name, n)
			}
			assert.Equal(t, 1, c.lstats[rust+"/libcore.rmeta"])
			// The temporary and backup names, absent, are told by the directory's listing.
			for name := range c.lstats {
				assert.False(t, strings.HasSuffix(name, layout.TempSuffix) || strings.HasSuffix(name, layout.BackupSuffix) ||
					strings.HasSuffix(name, layout.BackupTempSuffix), "a no-op link looked at %s", name)
			}
			assert.NotZero(t, c.dirs[rust])
			requireTree(t, linkedOnce, f.dump(), "a no-op link changed the tree")

			clear(c.dirs)
			_, err = e.Status(abi)
			require.NoError(t, err)
			for dir, n := range c.dirs {
				assert.Equal(t, 1, n, "status opened %s %d times", dir, n)
			}
		})
	}
}

// TestHeldListingSeesLeftovers: names told absent by a directory's listing are absent;
// a leftover temporary link and a backup next to links are still found.
func TestHeldListingSeesLeftovers(t *testing.T) {
	f, e := linkedFixture(t)
	linkedOnce := f.dump()
	h := layout.Headers(abi)
	f.symlink(target(h, abi, "rust/libcore.rmeta"), h+"/rust/libcore.rmeta"+layout.TempSuffix)
	f.write(h+"/rust/libkernel.rmeta"+layout.BackupSuffix, "not the tool's")
	st, err := e.Status(abi)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Stale, "the leftover temporary link: %+v", st)
	r, err := e.Link(abi)
	require.NoError(t, err)
	require.Len(t, r.Actions, 1)
	assert.Equal(t, OpClean, r.Actions[0].Op)
	assert.Equal(t, h+"/rust/libcore.rmeta"+layout.TempSuffix, r.Actions[0].Path)
	want := clone(linkedOnce)
	want[h+"/rust/libkernel.rmeta"+layout.BackupSuffix] = f.dump()[h+"/rust/libkernel.rmeta"+layout.BackupSuffix]
	requireTree(t, want, f.dump())
}

// TestHeldClosesDirectories: every directory a command holds is closed when it ends,
// whether it changed something, nothing, or failed half-way through its plan.
func TestHeldClosesDirectories(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, true)
	f.artifacts(abi, artifactSet)
	c := &openCounter{FS: f.fs, opens: map[string]int{}}
	e := &Engine{FS: c}
	steps := []struct {
		name string
		run  func() error
	}{
		{"link", func() error { _, err := e.Link(abi); return err }},
		{"no-op link", func() error { _, err := e.Link(abi); return err }},
		{"status", func() error { _, err := e.Status(abi); return err }},
		{"status of all", func() error { _, err := e.StatusAll([]string{abi, abi}); return err }},
		{"unlink", func() error { _, err := e.Unlink(abi); return err }},
	}
	for _, s := range steps {
		require.NoError(t, s.run(), s.name)
		assert.Zero(t, c.live, "%s left directories open", s.name)
	}
	// A plan that fails once it holds the headers directory.
	failing := &Engine{FS: failLstat{c, layout.Headers(abi) + "/Makefile"}}
	_, err := failing.Link(abi)
	require.ErrorIs(t, err, syscall.EIO)
	assert.Zero(t, c.live, "a failed plan left directories open")
	_, err = failing.Status(abi)
	require.ErrorIs(t, err, syscall.EIO)
	assert.Zero(t, c.live, "a failed status left directories open")
}

// failLstat fails Lstat of one path with EIO.
type failLstat struct {
	rootfs.FS
	path string
}

func (f failLstat) Lstat(name string) (os.FileInfo, error) {
	if name == f.path {
		return nil, &os.PathError{Op: "lstat", Path: name, Err: syscall.EIO}
	}
	return f.FS.Lstat(name)
}
