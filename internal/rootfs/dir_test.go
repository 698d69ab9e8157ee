package rootfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

func TestOpenDirRefusesLinks(t *testing.T) {
	forEachResolver(t, func(t *testing.T, openat2 bool) {
		dir := t.TempDir()
		build(t, dir, basic)
		build(t, dir, setup{{"/usr/link", "link:src"}, {"/usr/abs", "link:/usr/src"}})
		fsys := newTestFS(t, dir, openat2)
		for _, tt := range []struct {
			name  string
			errIs error
		}{
			{"/", nil},
			{"/usr/src/linux-headers-X", nil},
			{"/usr/link", syscall.ELOOP},
			{"/usr/link/linux-headers-X", syscall.ELOOP},
			{"/usr/abs/linux-headers-X", syscall.ELOOP},
			{"/lib/modules/X/build", syscall.ELOOP},
			{"/dir/up/usr", syscall.ELOOP},
			{"/dir/file", syscall.ENOTDIR},
			{"/nope", fs.ErrNotExist},
		} {
			d, err := fsys.OpenDir(tt.name)
			if tt.errIs != nil {
				require.ErrorIs(t, err, tt.errIs, tt.name)
				continue
			}
			require.NoError(t, err, tt.name)
			require.Equal(t, tt.name, d.Name())
			require.NoError(t, d.Close())
		}
	})
}

// TestDirHeld: a Dir keeps acting in the directory it opened, wherever that directory
// is moved and whatever takes its place.
func TestDirHeld(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	build(t, dir, setup{{"/h/rust", "dir"}, {"/h/rust/f", "file:foreign"}, {"/decoy/rust", "dir"}, {"/decoy/rust/f", "file:decoy"}})
	fsys, err := New(dir)
	require.NoError(t, err)
	d, err := fsys.OpenDir("/h/rust")
	require.NoError(t, err)
	defer d.Close()
	// The directory moves away and a link to the decoy takes its place.
	require.NoError(t, os.Rename(filepath.Join(dir, "h"), filepath.Join(dir, "moved")))
	require.NoError(t, os.Symlink("decoy", filepath.Join(dir, "h")))

	require.NoError(t, d.Symlink("target", "l.tmp"))
	require.NoError(t, d.RenameNoReplace("l.tmp", "l"))
	require.ErrorIs(t, d.RenameNoReplace("f", "l"), fs.ErrExist)
	require.NoError(t, d.Mkdir("sub", 0o700))
	require.NoError(t, d.Chmod("sub", 0o755))
	require.ErrorIs(t, d.Chmod("l", 0o755), syscall.ELOOP, "Chmod never follows a link")
	n, err := CopyFileIn(d, "f", "f.bak", 0o640, nil)
	require.NoError(t, err)
	require.Equal(t, int64(7), n)
	mtime := time.Unix(1e9, 0)
	require.NoError(t, d.Lchtimes("l", mtime, mtime))
	require.NoError(t, d.Lchown("l", 4242, 4343))
	require.NoError(t, d.Rename("f.bak", "g"))
	require.NoError(t, d.Sync())
	_, err = d.Open("l")
	require.ErrorIs(t, err, ErrNotRegular, "Open never follows a link")
	f, err := d.Open("g")
	require.NoError(t, err)
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.Equal(t, "foreign", string(data))
	names, err := d.Readdirnames(-1)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"f", "g", "l", "sub"}, names)
	require.ErrorIs(t, d.Rmdir("l"), syscall.ENOTDIR, "Rmdir removes directories only")
	require.NoError(t, d.Rmdir("sub"))
	fi, err := d.Lstat("l")
	require.NoError(t, err)
	require.Equal(t, mtime, fi.ModTime())
	st := fi.Sys().(*syscall.Stat_t)
	require.Equal(t, [2]uint32{4242, 4343}, [2]uint32{st.Uid, st.Gid})
	target, err := d.Readlink("l")
	require.NoError(t, err)
	require.Equal(t, "target", target)
	for _, name := range []string{"", ".", "..", "a/b", "/x"} {
		require.ErrorIs(t, d.Symlink("t", name), unix.EINVAL, "%q", name)
		require.ErrorIs(t, d.Remove(name), unix.EINVAL, "%q", name)
	}
	require.NoError(t, d.Remove("g"))

	require.Equal(t, map[string]string{
		"/moved":        "dir 0755",
		"/moved/rust":   "dir 0755",
		"/moved/rust/f": treedump.File(0o644, "foreign"),
		"/moved/rust/l": "symlink target",
		"/h":            "symlink decoy",
		"/decoy":        "dir 0755",
		"/decoy/rust":   "dir 0755",
		"/decoy/rust/f": treedump.File(0o644, "decoy"),
	}, treedump.Dump(t, dir))
}

// TestDirClosed: after Close, listed or not, a Dir refuses every call (its descriptor
// number may already name another file) and a second Close says it is closed.
func TestDirClosed(t *testing.T) {
	for _, listed := range []bool{false, true} {
		root := t.TempDir()
		fsys, err := New(root)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(root, "f"), nil, 0o644))
		d, err := fsys.OpenDir("/")
		require.NoError(t, err)
		if listed {
			_, err := d.Readdirnames(-1)
			require.NoError(t, err)
		}
		old := d.(*dir).fd
		require.NoError(t, d.Close())
		// The freed number goes to the same directory, opened again: a call through the
		// stale number would act on it.
		for {
			other, err := os.Open(root)
			require.NoError(t, err)
			defer other.Close()
			if int(other.Fd()) == old {
				break
			}
			require.Less(t, int(other.Fd()), old+64, "the freed number is not given again")
		}
		_, err = d.Lstat("f")
		require.Error(t, err, "listed %v", listed)
		require.Error(t, d.Remove("f"), "listed %v", listed)
		require.ErrorIs(t, d.Close(), os.ErrClosed, "listed %v", listed)
		_, err = os.Stat(filepath.Join(root, "f"))
		require.NoError(t, err, "listed %v: nothing removed", listed)
	}
}
