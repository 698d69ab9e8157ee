package rootfs

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatAsOS: Lstat and Dir's Lstat and Stat, made without an *os.File, and Stat say
// what os.Stat and os.Lstat say of every kind of file, mode bits and times included.
func TestStatAsOS(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	require.NoError(t, os.WriteFile(p("file"), []byte("12345"), 0o640))
	require.NoError(t, os.Chmod(p("file"), 0o640|fs.ModeSetuid|fs.ModeSetgid))
	require.NoError(t, os.Mkdir(p("sticky"), 0o755))
	require.NoError(t, os.Chmod(p("sticky"), 0o1777|fs.ModeSticky))
	require.NoError(t, os.Symlink("file", p("link")))
	require.NoError(t, syscall.Mkfifo(p("fifo"), 0o600))
	then := time.Date(2001, 2, 3, 4, 5, 6, 789, time.UTC)
	require.NoError(t, os.Chtimes(p("file"), then, then))

	same := func(t *testing.T, want, got fs.FileInfo) {
		t.Helper()
		assert.Equal(t, want.Name(), got.Name())
		assert.Equal(t, want.Mode(), got.Mode())
		assert.Equal(t, want.Size(), got.Size())
		assert.True(t, want.ModTime().Equal(got.ModTime()), "%v != %v", want.ModTime(), got.ModTime())
		assert.Equal(t, want.IsDir(), got.IsDir())
		// Reading a link on the way (the walk resolver) may touch its access time.
		ws, gs := *want.Sys().(*syscall.Stat_t), *got.Sys().(*syscall.Stat_t)
		ws.Atim, gs.Atim = syscall.Timespec{}, syscall.Timespec{}
		assert.Equal(t, ws, gs)
	}
	forEachResolver(t, func(t *testing.T, openat2 bool) {
		r := newTestFS(t, dir, openat2)
		d, err := r.OpenDir("/")
		require.NoError(t, err)
		defer d.Close()
		for _, n := range []string{"file", "sticky", "link", "fifo"} {
			t.Run(n, func(t *testing.T) {
				lwant, err := os.Lstat(p(n))
				require.NoError(t, err)
				swant, err := os.Stat(p(n))
				require.NoError(t, err)
				got, err := r.Lstat("/" + n)
				require.NoError(t, err)
				same(t, lwant, got)
				got, err = d.Lstat(n)
				require.NoError(t, err)
				same(t, lwant, got)
				got, err = r.Stat("/" + n)
				require.NoError(t, err)
				same(t, swant, got)
				assert.True(t, os.SameFile(swant, got), "Stat's FileInfo is os's: os.SameFile takes it")
			})
		}
		want, err := os.Stat(dir)
		require.NoError(t, err)
		got, err := d.Stat()
		require.NoError(t, err)
		assert.Equal(t, want.Mode(), got.Mode())
		assert.Equal(t, want.Sys(), got.Sys())
		_, err = d.Lstat("missing")
		assert.ErrorIs(t, err, fs.ErrNotExist)
		_, err = r.Lstat("/missing/x")
		assert.ErrorIs(t, err, fs.ErrNotExist)
	})
}

// TestLstatAll: LstatAll says for each name what Lstat says, through links on the way,
// for missing directories, files used as directories and the root, whichever directory
// the first name is in.
func TestLstatAll(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/d", "dir"}, {"/d/f", "file:x"}, {"/d/g", "file:yy"}, {"/d/l", "link:f"},
		{"/up", "link:d"}, {"/abs", "link:/d"}, {"/d/sub", "dir"}, {"/d/sub/h", "file:z"}})
	lists := [][]string{
		{"/d/f", "/d/g", "/d/l", "/d/missing", "/up/f", "/abs/g", "/abs/l", "/d/sub/h",
			"/nope/f", "/d/f/x", "/", "/d", "/up", "", "/d/sub/../g"},
		{"/d", "/up", "/missing", "/d/f"}, // the root's names first
	}
	forEachResolver(t, func(t *testing.T, openat2 bool) {
		r := newTestFS(t, dir, openat2)
		for _, fsys := range []FS{r, wrapped{r}} {
			for _, names := range lists {
				checkLstatAll(t, r, fsys, names)
			}
		}
	})
}

// checkLstatAll compares LstatAll of names on fsys with Lstat of each on r.
func checkLstatAll(t *testing.T, r, fsys FS, names []string) {
	t.Helper()
	fis, errs := LstatAll(fsys, names)
	require.Len(t, fis, len(names))
	for i, n := range names {
		want, werr := r.Lstat(n)
		if werr != nil {
			assert.Equal(t, werr.Error(), errs[i].Error(), n)
			assert.Nil(t, fis[i], n)
			continue
		}
		require.NoError(t, errs[i], n)
		assert.Equal(t, want.Mode(), fis[i].Mode(), n)
		assert.Equal(t, want.Size(), fis[i].Size(), n)
		assert.Equal(t, want.Sys().(*syscall.Stat_t).Ino, fis[i].Sys().(*syscall.Stat_t).Ino, n)
	}
}

// wrapped hides the rootFS behind another FS, as test wrappers do.
type wrapped struct{ FS }

// TestWalkAsAfero: Walk visits what afero.Walk visits, in its order, with the same
// FileInfo and errors, and honours SkipDir alike.
func TestWalkAsAfero(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/t", "dir"}, {"/t/b", "dir"}, {"/t/skip", "dir"}, {"/t/a", "file:1"}, {"/t/b/c", "file:22"}, {"/t/b/d", "link:c"}, {"/t/e", "dir"},
		{"/t/skip/x", "file:3"}, {"/t/z", "link:/t/b"},
		{"/t/b/skip", "file:4"}, {"/t/b/zz", "file:5"}}) // SkipDir for a file: the rest of b is skipped
	r := newTestFS(t, dir, true)
	record := func(walk func(string, filepath.WalkFunc) error, root string) []string {
		var got []string
		err := walk(root, func(p string, fi fs.FileInfo, err error) error {
			line := p
			if fi != nil {
				line += " " + fi.Mode().String()
			}
			if err != nil {
				line += " " + err.Error()
			}
			got = append(got, line)
			if path.Base(p) == "skip" {
				return filepath.SkipDir
			}
			return nil
		})
		if err != nil {
			got = append(got, "error "+err.Error())
		}
		return got
	}
	for _, root := range []string{"/t", "/t/b", "/t/a", "/t/z", "/missing"} {
		want := record(func(root string, fn filepath.WalkFunc) error { return afero.Walk(r, root, fn) }, root)
		got := record(func(root string, fn filepath.WalkFunc) error { return Walk(r, root, fn) }, root)
		assert.Equal(t, want, got, root)
	}
	assert.NotEmpty(t, record(func(root string, fn filepath.WalkFunc) error { return Walk(r, root, fn) }, "/t"))
}

// TestSameFile: this package's FileInfo (Lstat) and os's (Stat) of one file are the
// same file; another file, or a link and its target, are not.
func TestSameFile(t *testing.T) {
	fsys, err := New(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, afero.WriteFile(fsys, "/a", []byte("a"), 0o644))
	require.NoError(t, afero.WriteFile(fsys, "/b", []byte("a"), 0o644))
	require.NoError(t, fsys.SymlinkIfPossible("a", "/l"))
	la, err := fsys.Lstat("/a")
	require.NoError(t, err)
	sa, err := fsys.Stat("/a")
	require.NoError(t, err)
	sl, err := fsys.Stat("/l")
	require.NoError(t, err)
	ll, err := fsys.Lstat("/l")
	require.NoError(t, err)
	lb, err := fsys.Lstat("/b")
	require.NoError(t, err)
	assert.False(t, os.SameFile(la, sa), "os.SameFile does not take Lstat's")
	assert.True(t, SameFile(la, sa))
	assert.True(t, SameFile(sl, la), "the link followed")
	assert.False(t, SameFile(ll, la), "the link itself")
	assert.False(t, SameFile(la, lb))
}
