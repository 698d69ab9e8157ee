package rootfs

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// resolvers lists both path resolvers; every test runs with each.
var resolvers = []struct {
	name    string
	openat2 bool
}{
	{"openat2", true},
	{"walk", false},
}

func newTestFS(t *testing.T, dir string, useOpenat2 bool) *rootFS {
	t.Helper()
	r, err := newFS(dir, useOpenat2)
	require.NoError(t, err)
	if useOpenat2 && !openat2Supported(r.fd) {
		t.Skip("kernel without openat2")
	}
	return r
}

func forEachResolver(t *testing.T, fn func(t *testing.T, openat2 bool)) {
	for _, res := range resolvers {
		t.Run(res.name, func(t *testing.T) { fn(t, res.openat2) })
	}
}

// setup is a file tree description: "dir", "file:<content>", "link:<target>".
type setup [][2]string

func build(t *testing.T, dir string, s setup) {
	t.Helper()
	for _, e := range s {
		p := filepath.Join(dir, e[0])
		kind, arg, _ := strings.Cut(e[1], ":")
		var err error
		switch kind {
		case "dir":
			err = os.MkdirAll(p, 0o755)
		case "file":
			err = os.WriteFile(p, []byte(arg), 0o644)
		case "link":
			err = os.Symlink(arg, p)
		default:
			t.Fatalf("bad setup entry %q", e[1])
		}
		require.NoError(t, err)
	}
}

// basic is an in-root tree shaped like a Debian system with an absolute
// module build link.
var basic = setup{
	{"/usr/src/linux-headers-X", "dir"},
	{"/usr/src/linux-headers-X/Makefile", "file:headers"},
	{"/lib/modules/X", "dir"},
	{"/lib/modules/X/build", "link:/usr/src/linux-headers-X"},
	{"/dir", "dir"},
	{"/dir/file", "file:inside"},
	{"/dir/up", "link:../../.."},
	{"/loop1", "link:loop2"},
	{"/loop2", "link:/loop1"},
	{"/flink", "link:dir/file"},
}

var basicTree = map[string]string{
	"/usr":                              "dir 0755",
	"/usr/src":                          "dir 0755",
	"/usr/src/linux-headers-X":          "dir 0755",
	"/usr/src/linux-headers-X/Makefile": treedump.File(0o644, "headers"),
	"/lib":                              "dir 0755",
	"/lib/modules":                      "dir 0755",
	"/lib/modules/X":                    "dir 0755",
	"/lib/modules/X/build":              "symlink /usr/src/linux-headers-X",
	"/dir":                              "dir 0755",
	"/dir/file":                         treedump.File(0o644, "inside"),
	"/dir/up":                           "symlink ../../..",
	"/loop1":                            "symlink loop2",
	"/loop2":                            "symlink /loop1",
	"/flink":                            "symlink dir/file",
}

func TestOperations(t *testing.T) {
	syscall.Umask(0o022)
	tests := []struct {
		name    string
		op      func(fsys FS) error
		wantErr string            // substring of the error; "" for none
		errIs   error             // the error matches it, when set
		delta   map[string]string // changes to basicTree; "" removes an entry
	}{{
		name: "read through an absolute link inside the root",
		op: func(fsys FS) error {
			return expectContent(fsys, "/lib/modules/X/build/Makefile", "headers")
		},
	}, {
		name: "read through .. links clamped at the root",
		op: func(fsys FS) error {
			return expectContent(fsys, "/dir/up/dir/up/usr/src/linux-headers-X/Makefile", "headers")
		},
	}, {
		name: "read a file through a final link",
		op:   func(fsys FS) error { return expectContent(fsys, "/flink", "inside") },
	}, {
		name: "lexical .. above the root stays at the root",
		op:   func(fsys FS) error { return expectContent(fsys, "/../../../dir/file", "inside") },
	}, {
		name: "relative paths are taken from the root",
		op:   func(fsys FS) error { return expectContent(fsys, "dir/file", "inside") },
	}, {
		name:    "stat a link loop",
		op:      func(fsys FS) error { _, err := fsys.Stat("/loop1"); return err },
		wantErr: "stat /loop1: too many levels of symbolic links",
		errIs:   syscall.ELOOP,
	}, {
		name:    "stat a missing file names it",
		op:      func(fsys FS) error { _, err := fsys.Stat("/dir/missing"); return err },
		wantErr: "stat /dir/missing: no such file or directory",
		errIs:   fs.ErrNotExist,
	}, {
		name:    "a file as an intermediate directory",
		op:      func(fsys FS) error { _, err := fsys.Stat("/dir/file/x"); return err },
		wantErr: "stat /dir/file/x: not a directory",
		errIs:   syscall.ENOTDIR,
	}, {
		name: "stat follows, lstat does not",
		op: func(fsys FS) error {
			fi, err := fsys.Stat("/lib/modules/X/build")
			if err != nil || !fi.IsDir() || fi.Name() != "build" {
				return errors.New("stat did not follow the link")
			}
			lfs := fsys.(afero.Lstater)
			fi, lstat, err := lfs.LstatIfPossible("/lib/modules/X/build")
			if err != nil || !lstat || fi.Mode()&fs.ModeSymlink == 0 {
				return errors.New("lstat followed the link")
			}
			fi, err = fsys.Stat("/")
			if err != nil || !fi.IsDir() {
				return errors.New("stat of the root failed")
			}
			_, _, err = lfs.LstatIfPossible("/")
			return err
		},
	}, {
		name: "readlink returns the target verbatim",
		op: func(fsys FS) error {
			target, err := fsys.ReadlinkIfPossible("/lib/modules/X/build")
			if err != nil || target != "/usr/src/linux-headers-X" {
				return errors.New("readlink: " + target)
			}
			return nil
		},
	}, {
		name:    "readlink of a file",
		op:      func(fsys FS) error { _, err := fsys.ReadlinkIfPossible("/dir/file"); return err },
		wantErr: "readlink /dir/file: invalid argument",
	}, {
		name:  "symlink stores an absolute target verbatim",
		op:    func(fsys FS) error { return fsys.SymlinkIfPossible("/usr/src/linux-headers-X", "/dir/build") },
		delta: map[string]string{"/dir/build": "symlink /usr/src/linux-headers-X"},
	}, {
		name:    "symlink over an existing name",
		op:      func(fsys FS) error { return fsys.SymlinkIfPossible("x", "/dir/file") },
		wantErr: "symlink x /dir/file: file exists",
		errIs:   fs.ErrExist,
	}, {
		name: "create through an absolute link in the parent",
		op: func(fsys FS) error {
			return afero.WriteFile(fsys, "/lib/modules/X/build/rust.rmeta", []byte("r"), 0o644)
		},
		delta: map[string]string{"/usr/src/linux-headers-X/rust.rmeta": treedump.File(0o644, "r")},
	}, {
		name:    "create refuses a final link",
		op:      func(fsys FS) error { return afero.WriteFile(fsys, "/flink", []byte("x"), 0o644) },
		wantErr: "open /flink: is a symbolic link; refusing to write through it",
		errIs:   ErrFinalSymlink,
	}, {
		name: "write without create refuses a final link",
		op: func(fsys FS) error {
			_, err := fsys.OpenFile("/flink", os.O_WRONLY|os.O_APPEND, 0)
			if !errors.Is(err, syscall.ELOOP) {
				return errors.New("no ELOOP")
			}
			return err
		},
		errIs: ErrFinalSymlink,
	}, {
		name:    "create on a dangling final link",
		op:      func(fsys FS) error { _, err := fsys.Create("/loop1"); return err },
		errIs:   ErrFinalSymlink,
		wantErr: "open /loop1: is a symbolic link",
	}, {
		name:  "create truncates a file",
		op:    func(fsys FS) error { f, err := fsys.Create("/dir/file"); closeIf(f); return err },
		delta: map[string]string{"/dir/file": "file 0644 empty"},
	}, {
		name:  "mkdir",
		op:    func(fsys FS) error { return fsys.Mkdir("/dir/new", 0o750) },
		delta: map[string]string{"/dir/new": "dir 0750"},
	}, {
		name:    "mkdir on a link",
		op:      func(fsys FS) error { return fsys.Mkdir("/flink", 0o755) },
		wantErr: "mkdir /flink: file exists",
	}, {
		name:    "mkdir the root",
		op:      func(fsys FS) error { return fsys.Mkdir("/", 0o755) },
		wantErr: "mkdir /: file exists",
	}, {
		name: "mkdirall through an absolute link",
		op:   func(fsys FS) error { return fsys.MkdirAll("/lib/modules/X/build/rust/a", 0o755) },
		delta: map[string]string{
			"/usr/src/linux-headers-X/rust":   "dir 0755",
			"/usr/src/linux-headers-X/rust/a": "dir 0755",
		},
	}, {
		name: "mkdirall of existing directories and the root",
		op: func(fsys FS) error {
			if err := fsys.MkdirAll("/", 0o755); err != nil {
				return err
			}
			return fsys.MkdirAll("/lib/modules/X/build", 0o755)
		},
	}, {
		name:    "mkdirall over a file",
		op:      func(fsys FS) error { return fsys.MkdirAll("/dir/file/x", 0o755) },
		wantErr: "mkdir /dir/file: not a directory",
	}, {
		name:  "remove a link, not its target",
		op:    func(fsys FS) error { return fsys.Remove("/lib/modules/X/build") },
		delta: map[string]string{"/lib/modules/X/build": ""},
	}, {
		name:  "remove cleans the path lexically first",
		op:    func(fsys FS) error { return fsys.Remove("/lib/../lib/modules/./X//build") },
		delta: map[string]string{"/lib/modules/X/build": ""},
	}, {
		name:    "remove a non-empty directory",
		op:      func(fsys FS) error { return fsys.Remove("/dir") },
		wantErr: "remove /dir: directory not empty",
	}, {
		name:    "remove the root",
		op:      func(fsys FS) error { return fsys.Remove("/") },
		wantErr: "remove /: device or resource busy",
	}, {
		name: "removeall a tree with links leaves their targets",
		op:   func(fsys FS) error { return fsys.RemoveAll("/dir") },
		delta: map[string]string{
			"/dir": "", "/dir/file": "", "/dir/up": "",
		},
	}, {
		name:  "removeall a link to a directory",
		op:    func(fsys FS) error { return fsys.RemoveAll("/lib/modules/X/build") },
		delta: map[string]string{"/lib/modules/X/build": ""},
	}, {
		name: "removeall of missing paths",
		op: func(fsys FS) error {
			if err := fsys.RemoveAll("/nonexistent/x"); err != nil {
				return err
			}
			return fsys.RemoveAll("/dir/nothing")
		},
	}, {
		name:    "removeall the root",
		op:      func(fsys FS) error { return fsys.RemoveAll("/") },
		wantErr: "removeall /: device or resource busy",
	}, {
		name: "rename replaces a link atomically",
		op: func(fsys FS) error {
			if err := fsys.SymlinkIfPossible("/dir", "/lib/modules/X/.build.tmp"); err != nil {
				return err
			}
			return fsys.Rename("/lib/modules/X/.build.tmp", "/lib/modules/X/build")
		},
		delta: map[string]string{"/lib/modules/X/build": "symlink /dir"},
	}, {
		name:  "rename moves a link, not its target",
		op:    func(fsys FS) error { return fsys.Rename("/lib/modules/X/build", "/dir/build") },
		delta: map[string]string{"/lib/modules/X/build": "", "/dir/build": "symlink /usr/src/linux-headers-X"},
	}, {
		name: "rename into a directory reached by a link",
		op:   func(fsys FS) error { return fsys.Rename("/dir/file", "/lib/modules/X/build/file") },
		delta: map[string]string{
			"/dir/file":                     "",
			"/usr/src/linux-headers-X/file": treedump.File(0o644, "inside"),
		},
	}, {
		name:    "rename of a missing file names both",
		op:      func(fsys FS) error { return fsys.Rename("/dir/nope", "/dir/also") },
		wantErr: "rename /dir/nope /dir/also: no such file or directory",
	}, {
		name:    "rename no-replace refuses an existing name",
		op:      func(fsys FS) error { return fsys.RenameNoReplace("/flink", "/dir/file") },
		wantErr: "rename /flink /dir/file: file exists",
		errIs:   fs.ErrExist,
	}, {
		name:  "rename no-replace to a new name",
		op:    func(fsys FS) error { return fsys.RenameNoReplace("/flink", "/dir/flink") },
		delta: map[string]string{"/flink": "", "/dir/flink": "symlink dir/file"},
	}, {
		name:  "chmod follows a link",
		op:    func(fsys FS) error { return fsys.Chmod("/flink", 0o600) },
		delta: map[string]string{"/dir/file": treedump.File(0o600, "inside")},
	}, {
		name: "chtimes and chown follow a link",
		op: func(fsys FS) error {
			mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := fsys.Chtimes("/flink", time.Time{}, mtime); err != nil {
				return err
			}
			fi, err := fsys.Stat("/dir/file")
			if err != nil || !fi.ModTime().Equal(mtime) {
				return errors.New("mtime not set")
			}
			st := fi.Sys().(*syscall.Stat_t)
			return fsys.Chown("/flink", int(st.Uid), int(st.Gid))
		},
	}, {
		name: "sync a directory",
		op:   func(fsys FS) error { return SyncDir(fsys, "/lib/modules/X/build") },
	}, {
		name:    "sync a missing directory",
		op:      func(fsys FS) error { return SyncDir(fsys, "/nope") },
		wantErr: "sync directory /nope: open /nope: no such file or directory",
	}, {
		name: "files have Fd and read directories",
		op: func(fsys FS) error {
			f, err := fsys.Open("/lib/modules/X/build")
			if err != nil {
				return err
			}
			defer f.Close()
			if _, ok := f.(interface{ Fd() uintptr }); !ok {
				return errors.New("no Fd")
			}
			if f.Name() != "/lib/modules/X/build" {
				return errors.New("name " + f.Name())
			}
			names, err := f.Readdirnames(-1)
			if err != nil || len(names) != 1 || names[0] != "Makefile" {
				return errors.New("readdir: " + strings.Join(names, ","))
			}
			return nil
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachResolver(t, func(t *testing.T, openat2 bool) {
				dir := t.TempDir()
				build(t, dir, basic)
				fsys := newTestFS(t, dir, openat2)
				err := tt.op(fsys)
				if tt.wantErr == "" && tt.errIs == nil {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
					if tt.wantErr != "" {
						assert.Contains(t, err.Error(), tt.wantErr)
					}
					if tt.errIs != nil {
						assert.ErrorIs(t, err, tt.errIs)
					}
				}
				want := maps.Clone(basicTree)
				for k, v := range tt.delta {
					if v == "" {
						require.Contains(t, want, k)
						delete(want, k)
					} else {
						want[k] = v
					}
				}
				assert.Equal(t, want, treedump.Dump(t, dir))
			})
		})
	}
}

func expectContent(fsys FS, name, want string) error {
	data, err := afero.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if string(data) != want {
		return errors.New("content of " + name + ": " + string(data))
	}
	return nil
}

func closeIf(f afero.File) {
	if f != nil {
		f.Close()
	}
}

func TestNewErrors(t *testing.T) {
	_, err := New("")
	require.ErrorContains(t, err, "empty path")
	dir := t.TempDir()
	_, err = New(filepath.Join(dir, "missing"))
	require.ErrorContains(t, err, "open root directory: open "+dir+"/missing: no such file or directory")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "f"), nil, 0o644))
	_, err = New(filepath.Join(dir, "f"))
	require.ErrorIs(t, err, syscall.ENOTDIR)
}

func TestNewUsesOpenat2(t *testing.T) {
	fsys, err := New(t.TempDir())
	require.NoError(t, err)
	r := fsys.(*rootFS)
	if !openat2Supported(r.fd) {
		t.Skip("kernel without openat2")
	}
	// Only openat2 reports a missing O_CREAT mode combination as EINVAL.
	_, err = r.resolve(r.fd, ".", unix.O_PATH|unix.O_CREAT, 0)
	require.ErrorIs(t, err, unix.EINVAL)
	_, err = walkInRoot(r.fd, "x", unix.O_PATH, 0)
	require.ErrorIs(t, err, unix.ENOENT)
}

// TestLinkNoReplace covers the fallback of RenameNoReplace for file systems
// without RENAME_NOREPLACE.
func TestLinkNoReplace(t *testing.T) {
	dir := t.TempDir()
	build(t, dir, setup{{"/a", "file:a"}, {"/b", "file:b"}, {"/l", "link:/a"}, {"/d", "dir"}})
	dirfd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	require.NoError(t, err)
	defer unix.Close(dirfd)

	require.ErrorIs(t, linkNoReplace(dirfd, "a", dirfd, "b", unix.EINVAL), unix.EEXIST)
	require.NoError(t, linkNoReplace(dirfd, "l", dirfd, "m", unix.EINVAL))
	err = linkNoReplace(dirfd, "d", dirfd, "e", unix.EINVAL)
	require.ErrorIs(t, err, ErrNoReplaceUnsupported)
	require.ErrorIs(t, err, unix.EINVAL)
	require.ErrorIs(t, linkNoReplace(dirfd, "nope", dirfd, "x", unix.EINVAL), unix.ENOENT)
	require.Equal(t, map[string]string{
		"/a": treedump.File(0o644, "a"),
		"/b": treedump.File(0o644, "b"),
		"/m": "symlink /a",
		"/d": "dir 0755",
	}, treedump.Dump(t, dir))
}

func TestLongPaths(t *testing.T) {
	forEachResolver(t, func(t *testing.T, openat2 bool) {
		fsys := newTestFS(t, t.TempDir(), openat2)
		_, err := fsys.Stat(strings.Repeat("a/", unix.PathMax))
		require.ErrorIs(t, err, syscall.ENAMETOOLONG)
		_, err = fsys.Stat("/" + strings.Repeat("a", 300))
		require.ErrorIs(t, err, syscall.ENAMETOOLONG)
	})
}

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		name, rel string
		err       error
	}{
		{"/", ".", nil},
		{"/usr/src", "usr/src", nil},
		{"usr/src", "usr/src", nil},
		{"/usr//src/", "usr/src", nil},
		{"/usr/./src", "usr/src", nil},
		{"/usr/../..", ".", nil},
		{"/usr/src/..", "usr", nil},
		{"/.", ".", nil},
		{"/...", "...", nil},
		{"/a/.b/..c", "a/.b/..c", nil},
		{"", "", unix.ENOENT},
		{"/a\x00b", "", unix.EINVAL},
	} {
		rel, err := clean(tc.name)
		assert.Equal(t, tc.err, err, "%q", tc.name)
		assert.Equal(t, tc.rel, rel, "%q", tc.name)
	}
}

// FuzzClean: clean gives what path.Clean gives of the name made absolute.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"/", "/usr/src", "a//b", "/a/./b", "/a/../b", "/a/", "..", "/.x/..y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || strings.IndexByte(name, 0) >= 0 {
			return
		}
		want := path.Clean("/" + name)
		if want == "/" {
			want = "."
		} else {
			want = want[1:]
		}
		rel, err := clean(name)
		require.NoError(t, err)
		require.Equal(t, want, rel, "%q", name)
	})
}
