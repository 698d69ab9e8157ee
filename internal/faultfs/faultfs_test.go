package faultfs

import (
	"errors"
	"os"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// script runs one of each mutating operation, and some that are not.
func script(f *FS) []error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	add(f.MkdirAll("/a/b", 0o755))
	add(f.MkdirAll("/a/b", 0o755)) // exists: not counted
	add(f.Mkdir("/c", 0o755))
	if file, err := f.OpenFile("/a/f", os.O_WRONLY|os.O_CREATE, 0o644); err != nil {
		add(err)
	} else {
		_, err := file.Write([]byte("x"))
		add(err)
		add(file.Sync())
		add(file.Close())
	}
	add(f.SymlinkIfPossible("f", "/a/l"))
	add(f.Rename("/a/l", "/a/m"))
	add(f.RenameNoReplace("/a/m", "/a/n"))
	add(f.Chmod("/a/f", 0o600))
	add(f.Remove("/a/n"))
	if file, err := f.Open("/a/f"); err == nil { // reading: not counted
		add(file.Close())
	}
	add(f.RemoveAll("/c"))
	return errs
}

func TestCountAndFail(t *testing.T) {
	dir := t.TempDir()
	inner, err := rootfs.New(dir)
	require.NoError(t, err)
	f := New(inner, 0)
	for _, err := range script(f) {
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"mkdirall /a/b", "mkdir /c", "openfile /a/f", "write /a/f", "sync /a/f", "close /a/f",
		"symlink /a/l", "rename /a/l /a/m", "renamenoreplace /a/m /a/n", "chmod /a/f", "remove /a/n", "removeall /c"}, f.Ops())
	total := f.Count()
	// The lock passes through uncounted, and it is the inner FS's real lock.
	l, err := f.LockFile("/a/lock", 0o644)
	require.NoError(t, err)
	_, err = inner.LockFile("/a/lock", 0o644)
	require.ErrorIs(t, err, rootfs.ErrLocked)
	require.NoError(t, l.Close())
	assert.Equal(t, total, f.Count())

	for n := 1; n <= total; n++ {
		dir := t.TempDir()
		inner, err := rootfs.New(dir)
		require.NoError(t, err)
		f := New(inner, n)
		errs := script(f)
		var failed int
		for _, err := range errs {
			if errors.Is(err, ErrInjected) {
				failed++
			}
		}
		// A crash: the n-th and every later mutating operation fail.
		assert.Equal(t, f.Count()-n+1, failed, "n=%d", n)
		assert.True(t, f.Failed())
	}

	// Not a crash: only the n-th fails.
	dir = t.TempDir()
	inner, err = rootfs.New(dir)
	require.NoError(t, err)
	f = New(inner, 4) // the write
	f.Crash = false
	var failed []int
	for i, err := range script(f) {
		if errors.Is(err, ErrInjected) {
			failed = append(failed, i)
		}
	}
	assert.Equal(t, []int{3}, failed)
	assert.Equal(t, map[string]string{
		"/a":   treedump.Dir(0o755),
		"/a/b": treedump.Dir(0o755),
		"/a/f": treedump.File(0o600, ""),
	}, treedump.Dump(t, dir))
	_ = afero.Fs(f)
}
