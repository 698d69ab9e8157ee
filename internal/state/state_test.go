package state

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

const abi = "7.2.13+deb14-amd64"

func TestRecordParse(t *testing.T) {
	r, err := Parse([]byte("linux-librust-state 1\nbackup a/b\ndir a\nlink a/b\n"))
	require.NoError(t, err)
	assert.Equal(t, Record{{Kind: Backup, Path: "a/b"}: true, {Kind: Dir, Path: "a"}: true, {Kind: Link, Path: "a/b"}: true}, r)
	assert.Equal(t, "linux-librust-state 1\nbackup a/b\ndir a\nlink a/b\n", string(r.Marshal()))
	for in, msg := range map[string]string{
		"":                                        "truncated",
		"linux-librust-state 2\n":                 `line 1: "linux-librust-state 2" is not`,
		"linux-librust-state 1\nfile a\n":         `line 2: "file a" is not`,
		"linux-librust-state 1\ndir ../etc\n":     `line 2: artifact path "../etc": ".." component`,
		"linux-librust-state 1\ndir /etc\n":       "absolute",
		"linux-librust-state 1\ndir a\ndir a\n":   "line 3: dir a repeated",
		"linux-librust-state 1\ndir a":            "truncated",
		"linux-librust-state 1\ndir\n":            `line 2: "dir" is not`,
		"linux-librust-state 1\n" + "dir a\x00\n": "not allowed",
		strings.Repeat("x", 100) + "\n":           `line 1: "` + strings.Repeat("x", 60) + `" is not`,
		recordHeader + "\n" + strings.Repeat("dir a\n", maxRecordBytes/6): "larger than 1048576 bytes",
	} {
		_, err := Parse([]byte(in))
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), msg, in)
	}
}

func FuzzParseRecord(f *testing.F) {
	f.Add([]byte("linux-librust-state 1\nbackup a/b\ndir a\nlink a/b\n"))
	f.Add([]byte("linux-librust-state 1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		again, err := Parse(r.Marshal())
		require.NoError(t, err)
		require.True(t, r.Equal(again))
	})
}

// TestWriteRead: a record is written whole with mode 0644 whatever the umask, read back
// equal, and removed with its last entry.
func TestWriteRead(t *testing.T) {
	root := t.TempDir()
	fsys, err := rootfs.New(root)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, layout.StateDir), 0o755))
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)

	r, err := Read(fsys, abi)
	require.NoError(t, err)
	assert.Empty(t, r, "no record: empty")
	r.Add(Link, "rust/libcore.rmeta")
	r.Add(Dir, "rust")
	r.Add(Shared, "usr/lib/linux-kbuild-7.2/scripts/target.json")
	require.NoError(t, Write(fsys, abi, r))
	text := "linux-librust-state 1\ndir rust\nlink rust/libcore.rmeta\nshared usr/lib/linux-kbuild-7.2/scripts/target.json\n"
	assert.Equal(t, map[string]string{
		"/var":                   treedump.Dir(0o755),
		"/var/lib":               treedump.Dir(0o755),
		"/var/lib/linux-librust": treedump.Dir(0o755),
		Path(abi):                treedump.File(0o644, text),
	}, treedump.Dump(t, root))
	again, err := Read(fsys, abi)
	require.NoError(t, err)
	assert.True(t, r.Equal(again))

	require.NoError(t, Write(fsys, abi, Record{}))
	assert.Equal(t, map[string]string{
		"/var":                   treedump.Dir(0o755),
		"/var/lib":               treedump.Dir(0o755),
		"/var/lib/linux-librust": treedump.Dir(0o755),
	}, treedump.Dump(t, root), "an empty record is no file")
}

// TestWriteEmptyRemovesTemp: emptying a record also removes the temporary file an
// interrupted write left, so that nothing of the ABI stays.
func TestWriteEmptyRemovesTemp(t *testing.T) {
	root := t.TempDir()
	fsys, err := rootfs.New(root)
	require.NoError(t, err)
	dir := filepath.Join(root, layout.StateDir)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, TempPath(abi)), []byte("linux-librust-state 1\ndir a\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, Path(abi)), []byte("linux-librust-state 1\ndir a\n"), 0o644))

	require.NoError(t, Write(fsys, abi, Record{}))
	assert.Equal(t, map[string]string{
		"/var":                   treedump.Dir(0o755),
		"/var/lib":               treedump.Dir(0o755),
		"/var/lib/linux-librust": treedump.Dir(0o755),
	}, treedump.Dump(t, root))
}

// TestReadDamaged: anything but a regular file that parses is a *DamagedError, at once.
func TestReadDamaged(t *testing.T) {
	for name, make := range map[string]func(p string) error{
		"fifo":      func(p string) error { return syscall.Mkfifo(p, 0o644) },
		"directory": func(p string) error { return os.Mkdir(p, 0o755) },
		"link":      func(p string) error { return os.Symlink("/etc/passwd", p) },
		"garbage":   func(p string) error { return os.WriteFile(p, []byte("x\n"), 0o644) },
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			fsys, err := rootfs.New(root)
			require.NoError(t, err)
			dir := filepath.Join(root, layout.StateDir)
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, make(filepath.Join(dir, abi)))
			_, err = Read(fsys, abi)
			var d *DamagedError
			require.True(t, errors.As(err, &d), "%v", err)
			assert.Equal(t, Path(abi), d.Path)
			assert.Contains(t, err.Error(), "linux-librust repair "+abi)
		})
	}
}
