package rootfs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// FuzzResolve builds a random tree of directories, files and links (spec, one
// entry a line: "d NAME", "f NAME" or "l NAME TARGET", with {out} in TARGET
// standing for the host path of a directory outside the root), then resolves
// and writes name through both resolvers. Both must agree on every result,
// nothing may resolve to the outside, the outside must not change, and the
// trees built and changed through either resolver must be the same.
func FuzzResolve(f *testing.F) {
	seeds := [][2]string{
		{"d a\nl a/b ../..\nf c", "/a/b/c"},
		{"l a /a", "/a"},
		{"l a {out}\nl b ../../../../{out}", "/b/s"},
		{"d a\nl a/up ../../..\nl x a/up/a/up/out", "/x/s"},
		{"l a b\nl b c\nl c a", "/a/x"},
		{"l a \nl b .\nl c ..", "/c/c/a"},
		{"d usr/src/h\nd lib/m/X\nl lib/m/X/build /usr/src/h\nf usr/src/h/Makefile", "/lib/m/X/build/Makefile"},
		{"f a\nl b a/", "/b"},
		{"d a\nl a/l /a/l/../l", "/a/l/x/"},
		{"d a\nf a/f\nl l a/f/..", "/l"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, spec, name string) {
		if len(spec) > 2048 || len(name) > 512 || strings.ContainsRune(spec, 0) || strings.ContainsRune(name, 0) {
			t.Skip()
		}
		base := t.TempDir()
		outside := filepath.Join(base, "out")
		build(t, base, setup{{"/out", "dir"}, {"/out/s", "file:secret"}, {"/r1", "dir"}, {"/r2", "dir"}})
		before := outsideState(t, outside)
		forbidden := inodes(t, outside)
		forbidden[inodeOf(t, base)] = base

		fss := []*rootFS{newTestFS(t, filepath.Join(base, "r1"), true), newTestFS(t, filepath.Join(base, "r2"), false)}
		for _, fsys := range fss {
			applySpec(fsys, spec, outside)
		}
		rel, err := clean(name)
		if err != nil {
			t.Skip()
		}
		for _, flags := range []int{unix.O_PATH, unix.O_PATH | unix.O_NOFOLLOW, unix.O_RDONLY, unix.O_PATH | unix.O_DIRECTORY} {
			var ids [2][2]uint64
			var errs [2]error
			for i, fsys := range fss {
				fd, err := fsys.resolve(fsys.fd, rel, flags, 0)
				errs[i] = err
				if err == nil {
					var st unix.Stat_t
					require.NoError(t, unix.Fstat(fd, &st))
					unix.Close(fd)
					ids[i] = [2]uint64{uint64(st.Dev), st.Ino}
					where, out := forbidden[ids[i]]
					require.False(t, out, "%q flags %#x resolved to %s", name, flags, where)
				}
			}
			require.Equal(t, errs[0], errs[1], "%q flags %#x: openat2 and walk disagree", name, flags)
			if errs[0] == nil {
				// Same position in the two trees: compare by path from each root.
				require.Equal(t, relPath(t, fss[0], ids[0]), relPath(t, fss[1], ids[1]), "%q flags %#x", name, flags)
			}
		}
		// Resolve names, free of links, the object that opening name reaches.
		for _, fsys := range fss {
			fd, err := fsys.resolve(fsys.fd, rel, unix.O_PATH, 0)
			got, rerr := fsys.Resolve(name)
			require.Equal(t, err == nil, rerr == nil, "%q: resolve %v, Resolve %v", name, err, rerr)
			if err != nil {
				continue
			}
			var st unix.Stat_t
			require.NoError(t, unix.Fstat(fd, &st))
			unix.Close(fd)
			real, err := filepath.EvalSymlinks(filepath.Join(fsys.dir, got))
			require.NoError(t, err)
			require.Equal(t, filepath.Join(fsys.dir, got), real, "%q: Resolve gave %s, which has links", name, got)
			fi, err := fsys.Lstat(got)
			require.NoError(t, err)
			lst := fi.Sys().(*syscall.Stat_t)
			require.Equal(t, [2]uint64{uint64(st.Dev), st.Ino}, [2]uint64{uint64(lst.Dev), lst.Ino}, "%q: Resolve gave %s, another object", name, got)
		}
		for _, fsys := range fss {
			_, _ = afero.ReadFile(fsys, name)
			_ = afero.WriteFile(fsys, name, []byte("w"), 0o644)
			_ = fsys.MkdirAll(name+"/d", 0o755)
			_ = fsys.SymlinkIfPossible("{out}", name+"/l")
			_ = fsys.Chmod(name, 0o700)
			_ = fsys.Rename(name, "/renamed")
			_ = fsys.RemoveAll("/renamed/d")
		}
		require.Equal(t, before, outsideState(t, outside))
		require.Equal(t, treedump.Dump(t, filepath.Join(base, "r1")), treedump.Dump(t, filepath.Join(base, "r2")))
	})
}

// applySpec builds the tree of spec through fsys, ignoring entries that fail.
func applySpec(fsys FS, spec, outside string) {
	for i, line := range strings.Split(spec, "\n") {
		if i >= 32 || len(line) < 3 || line[1] != ' ' {
			continue
		}
		arg := line[2:]
		switch line[0] {
		case 'd':
			_ = fsys.MkdirAll(arg, 0o755)
		case 'f':
			_ = afero.WriteFile(fsys, arg, []byte(arg), 0o644)
		case 'l':
			name, target, _ := strings.Cut(arg, " ")
			_ = fsys.SymlinkIfPossible(strings.ReplaceAll(target, "{out}", outside), name)
		}
	}
}

// relPath finds the path below the root of fsys with the given inode.
func relPath(t *testing.T, fsys *rootFS, id [2]uint64) string {
	found := ""
	err := filepath.Walk(fsys.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		if uint64(st.Dev) == id[0] && st.Ino == id[1] {
			found, _ = filepath.Rel(fsys.dir, p)
			return filepath.SkipAll
		}
		return nil
	})
	require.NoError(t, err)
	require.NotEmpty(t, found, "inode %v not found below %s", id, fsys.dir)
	return found
}
