package rootfs

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, basic)
	build(t, dir, setup{{"/srv/src", "dir"}, {"/usr/lib", "dir"}, {"/usr/lib/src", "link:../../srv/src"}, {"/dangling", "link:nope/x"}})
	fsys, err := New(dir)
	require.NoError(t, err)
	tests := []struct {
		name, want string
		errIs      error
	}{
		{"/", "/", nil},
		{"/lib/modules/X/build", "/usr/src/linux-headers-X", nil},
		{"/lib/modules/X/build/Makefile", "/usr/src/linux-headers-X/Makefile", nil},
		{"/dir/up/dir/up/usr", "/usr", nil},
		{"/flink", "/dir/file", nil},
		{"/usr/lib/src", "/srv/src", nil},
		{"/usr/lib/src/../lib", "", fs.ErrNotExist}, // cleaned lexically first: /usr/lib/lib
		{"/dangling", "", fs.ErrNotExist},
		{"/lib/nope/x", "", fs.ErrNotExist},
		{"/loop1", "", syscall.ELOOP},
		{"/dir/file/x", "", syscall.ENOTDIR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fsys.Resolve(tt.name)
			if tt.errIs != nil {
				require.ErrorIs(t, err, tt.errIs)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/d", "dir"}, {"/d/f", "file:old"}, {"/d/.f.tmp", "file:stale"}, {"/d/l", "link:f"}})
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	fsys, err := New(dir)
	require.NoError(t, err)
	require.NoError(t, WriteFile(fsys, "/d/f", "/d/.f.tmp", []byte("new"), 0o644))
	require.NoError(t, WriteFile(fsys, "/d/g", "/d/.g.tmp", []byte("g"), 0o600))
	// A link at the name is replaced, never written through.
	require.NoError(t, WriteFile(fsys, "/d/l", "/d/.l.tmp", []byte("l"), 0o644))
	// A temporary name of its own, gone once written.
	require.NoError(t, WriteFile(fsys, "/d/u", "", []byte("u"), 0o640))
	require.NoError(t, WriteFile(fsys, "/d/u", "", []byte("u2"), 0o640))
	err = WriteFile(fsys, "/nope/f", "/nope/.f.tmp", []byte("x"), 0o644)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "write /nope/f")
	require.Equal(t, map[string]string{
		"/d":   "dir 0755",
		"/d/f": treedump.File(0o644, "new"),
		"/d/g": treedump.File(0o600, "g"),
		"/d/l": treedump.File(0o644, "l"),
		"/d/u": treedump.File(0o640, "u2"),
	}, treedump.Dump(t, dir))
}

// TestRemoveStaleTemps: WriteFile's own temporary files for the name, regular and
// older than the age, are removed; a fresh one, one of another name, a link and a
// directory of the same pattern are left.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{
		{"/d", "dir"}, {"/d/c", "file:cache"},
		{"/d/c.tmp-old", "file:crashed"}, {"/d/c.tmp-new", "file:being written"},
		{"/d/c.tmp-dir", "dir"}, {"/d/c.tmp-link", "link:c"},
		{"/d/x.tmp-old", "file:another's"}, {"/d/c.tmpold", "file:not the pattern"},
	})
	old := unix.NsecToTimespec(time.Now().Add(-2 * time.Hour).UnixNano())
	for _, n := range []string{"c.tmp-old", "c.tmp-dir", "c.tmp-link", "x.tmp-old", "c.tmpold"} {
		require.NoError(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, "d", n),
			[]unix.Timespec{old, old}, unix.AT_SYMLINK_NOFOLLOW))
	}
	fsys, err := New(dir)
	require.NoError(t, err)
	n, err := RemoveStaleTemps(fsys, "/d/c", time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	require.Equal(t, map[string]string{
		"/d":            "dir 0755",
		"/d/c":          treedump.File(0o644, "cache"),
		"/d/c.tmp-new":  treedump.File(0o644, "being written"),
		"/d/c.tmp-dir":  "dir 0755",
		"/d/c.tmp-link": "symlink c",
		"/d/x.tmp-old":  treedump.File(0o644, "another's"),
		"/d/c.tmpold":   treedump.File(0o644, "not the pattern"),
	}, treedump.Dump(t, dir))
	_, err = RemoveStaleTemps(fsys, "/nope/c", time.Hour)
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/a", "file:content"}, {"/b", "file:taken"}, {"/l", "link:a"}})
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	fsys, err := New(dir)
	require.NoError(t, err)
	h := sha256.New()
	n, err := CopyFile(fsys, "/a", "/c", 0o644, h)
	require.NoError(t, err)
	require.Equal(t, int64(7), n)
	sum := sha256.Sum256([]byte("content"))
	require.Equal(t, hex.EncodeToString(sum[:]), hex.EncodeToString(h.Sum(nil)))
	_, err = CopyFile(fsys, "/a", "/b", 0o644, nil)
	require.ErrorIs(t, err, fs.ErrExist, "never over something")
	_, err = CopyFile(fsys, "/a", "/l", 0o644, nil)
	require.ErrorIs(t, err, fs.ErrExist, "never through a link")
	_, err = CopyFile(fsys, "/nope", "/d", 0o644, nil)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Equal(t, map[string]string{
		"/a": treedump.File(0o644, "content"),
		"/b": treedump.File(0o644, "taken"),
		"/c": treedump.File(0o644, "content"),
		"/l": "symlink a",
	}, treedump.Dump(t, dir))
}

func TestMkdirAll(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/usr", "dir"}, {"/ln", "link:usr"}, {"/f", "file:"}})
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	require.NoError(t, os.Chmod(filepath.Join(dir, "usr"), 0o700))
	fsys, err := New(dir)
	require.NoError(t, err)
	require.NoError(t, MkdirAll(fsys, "/usr/a/b", 0o755))
	require.NoError(t, MkdirAll(fsys, "/ln/a/c", 0o755), "a link to a directory inside the root is one")
	require.NoError(t, MkdirAll(fsys, "/usr/a", 0o755))
	require.ErrorIs(t, MkdirAll(fsys, "/f/x", 0o755), syscall.ENOTDIR)
	require.ErrorIs(t, MkdirAll(fsys, "/f", 0o755), syscall.ENOTDIR)
	require.Equal(t, map[string]string{
		"/usr":     "dir 0700", // existing directories keep their mode
		"/usr/a":   "dir 0755",
		"/usr/a/b": "dir 0755",
		"/usr/a/c": "dir 0755",
		"/ln":      "symlink usr",
		"/f":       treedump.File(0o644, ""),
	}, treedump.Dump(t, dir))
}

func TestLockFile(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/run", "dir"}, {"/run/l", "link:x"}})
	fsys, err := New(dir)
	require.NoError(t, err)
	f, err := fsys.LockFile("/run/lock", 0o644)
	require.NoError(t, err)
	_, err = fsys.LockFile("/run/lock", 0o644)
	require.ErrorIs(t, err, ErrLocked, "a second open file is refused, even in the same process")
	require.NoError(t, f.Close())
	f, err = fsys.LockFile("/run/lock", 0o644)
	require.NoError(t, err, "closing released it")
	require.NoError(t, f.Close())
	_, err = fsys.LockFile("/run/l", 0o644)
	require.ErrorIs(t, err, ErrNotRegular, "a link is refused like any file that is not regular")
	require.Equal(t, map[string]string{
		"/run":      "dir 0755",
		"/run/l":    "symlink x",
		"/run/lock": treedump.File(0o644, ""),
	}, treedump.Dump(t, dir))
}
