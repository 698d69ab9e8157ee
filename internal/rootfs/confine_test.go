package rootfs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// hostile plants links that try to leave the root at every position: as the
// root's child, as an intermediate directory and as the last element; absolute
// host paths, long ../ climbs, chains and loops. outside is the host path of a
// sibling directory of the root holding "secret" files.
func hostile(outside string) setup {
	rel := strings.TrimPrefix(outside, "/")
	return setup{
		{"/outside", "dir"}, // where ../outside lands once clamped at the root
		{"/outside/secret", "file:decoy"},
		{"/dir", "dir"},
		{"/dir/file", "file:inside"},
		{"/dir/up", "link:../../outside"},
		{"/dir/upabs", "link:" + outside},
		{"/abs", "link:" + outside},
		{"/rel", "link:../outside"},
		{"/deep", "link:" + strings.Repeat("../", 30) + rel},
		{"/chain", "link:c1"},
		{"/c1", "link:dir/c2"},
		{"/dir/c2", "link:../../../outside"},
		{"/loop1", "link:loop2"},
		{"/loop2", "link:loop1"},
		{"/self", "link:self"},
		{"/abssecret", "link:" + outside + "/secret"},
		{"/relsecret", "link:../outside/secret"},
		{"/dotdot", "link:.."},
		{"/hostetc", "link:/etc"},
		{"/proc", "link:/proc/self/root"},
	}
}

var hostileLinks = []string{
	"/dir/up", "/dir/upabs", "/abs", "/rel", "/deep", "/chain", "/c1", "/dir/c2",
	"/loop1", "/self", "/abssecret", "/relsecret", "/dotdot", "/hostetc", "/proc",
}

// hostilePaths are the links themselves, paths through them and lexical
// climbs above the root.
func hostilePaths() []string {
	var ps []string
	for _, l := range hostileLinks {
		ps = append(ps, l, l+"/secret", l+"/dir/f", l+"/new", l+"/outside/secret", l+"/", l+"/.")
	}
	return append(ps, "/../outside/secret", "/../../new", "..", "/dotdot/dotdot/outside/new")
}

// ops are all the operations of the FS, each tried on every hostile path.
var ops = []struct {
	name string
	do   func(fsys FS, p string) error
}{
	{"read", func(fsys FS, p string) error { _, err := afero.ReadFile(fsys, p); return err }},
	{"readdir", func(fsys FS, p string) error { _, err := afero.ReadDir(fsys, p); return err }},
	{"stat", func(fsys FS, p string) error { _, err := fsys.Stat(p); return err }},
	{"lstat", func(fsys FS, p string) error { _, _, err := fsys.(afero.Lstater).LstatIfPossible(p); return err }},
	{"readlink", func(fsys FS, p string) error { _, err := fsys.ReadlinkIfPossible(p); return err }},
	{"write", func(fsys FS, p string) error { return afero.WriteFile(fsys, p, []byte("pwned"), 0o644) }},
	{"append", func(fsys FS, p string) error {
		f, err := fsys.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
		if err == nil {
			_, err = f.Write([]byte("pwned"))
			f.Close()
		}
		return err
	}},
	{"truncate", func(fsys FS, p string) error {
		f, err := fsys.OpenFile(p, os.O_RDWR|os.O_TRUNC, 0)
		closeIf(f)
		return err
	}},
	{"mkdir", func(fsys FS, p string) error { return fsys.Mkdir(p, 0o755) }},
	{"mkdirall", func(fsys FS, p string) error { return fsys.MkdirAll(p+"/x/y", 0o755) }},
	{"remove", func(fsys FS, p string) error { return fsys.Remove(p) }},
	{"removeall", func(fsys FS, p string) error { return fsys.RemoveAll(p) }},
	{"rename-from", func(fsys FS, p string) error { return fsys.Rename(p, "/moved") }},
	{"rename-to", func(fsys FS, p string) error { return fsys.Rename("/dir/file", p) }},
	{"rename-noreplace", func(fsys FS, p string) error { return fsys.RenameNoReplace("/dir/file", p) }},
	{"symlink", func(fsys FS, p string) error { return fsys.SymlinkIfPossible("/etc/passwd", p) }},
	{"chmod", func(fsys FS, p string) error { return fsys.Chmod(p, 0o777) }},
	{"chown", func(fsys FS, p string) error { return fsys.Chown(p, 4242, 4242) }},
	{"chtimes", func(fsys FS, p string) error {
		t := time.Unix(1e9, 0)
		return fsys.Chtimes(p, t, t)
	}},
	{"syncdir", func(fsys FS, p string) error { return SyncDir(fsys, p) }},
	{"opendir", func(fsys FS, p string) error {
		d, err := fsys.OpenDir(p)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.Symlink("/etc/passwd", "planted"); err != nil {
			return err
		}
		return d.Remove("s")
	}},
}

// outsideState is the tree dump of dir plus owner and modification time of
// every entry, which the dump does not show.
func outsideState(t *testing.T, dir string) map[string]string {
	tree := treedump.Dump(t, dir)
	for k, v := range tree {
		fi, err := os.Lstat(filepath.Join(dir, k))
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		tree[k] = fmt.Sprintf("%s uid=%d mtime=%d", v, st.Uid, fi.ModTime().UnixNano())
	}
	return tree
}

// inodes are the (device, inode) pairs of dir and everything below it.
func inodes(t *testing.T, dir string) map[[2]uint64]string {
	set := make(map[[2]uint64]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		set[[2]uint64{uint64(st.Dev), st.Ino}] = p
		return nil
	})
	require.NoError(t, err)
	return set
}

func TestHostileLinksStayInside(t *testing.T) {
	paths := hostilePaths()
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			forEachResolver(t, func(t *testing.T, openat2 bool) {
				base := t.TempDir()
				outside := filepath.Join(base, "outside")
				root := filepath.Join(base, "root")
				build(t, base, setup{
					{"/outside/dir", "dir"},
					{"/outside/secret", "file:secret"},
					{"/outside/dir/f", "file:secret"},
					{"/root", "dir"},
				})
				build(t, root, hostile(outside))
				before := outsideState(t, outside)
				forbidden := inodes(t, outside)
				forbidden[inodeOf(t, base)] = base
				fsys := newTestFS(t, root, openat2)

				for _, p := range paths {
					err := op.do(fsys, p)
					if err != nil {
						// Errors name the path as given, never the host path.
						assert.NotContains(t, err.Error(), base, "%s %s", op.name, p)
					}
					data, rerr := afero.ReadFile(fsys, p)
					if rerr == nil {
						assert.NotEqual(t, "secret", string(data), "%s %s read the outside", op.name, p)
					}
					if fi, serr := fsys.Stat(p); serr == nil {
						st := fi.Sys().(*syscall.Stat_t)
						where, out := forbidden[[2]uint64{uint64(st.Dev), st.Ino}]
						assert.False(t, out, "%s %s: stat reached %s", op.name, p, where)
					}
					require.Equal(t, before, outsideState(t, outside), "%s %s changed the outside", op.name, p)
				}
				require.Equal(t, map[string]string{
					"/outside":        "dir 0755",
					"/outside/dir":    "dir 0755",
					"/outside/dir/f":  treedump.File(0o644, "secret"),
					"/outside/secret": treedump.File(0o644, "secret"),
				}, onlyDump(t, base, root))
			})
		})
	}
}

// onlyDump dumps base without root and the tree below it (which the
// operations may change: chmod of "/.." changes the root itself).
func onlyDump(t *testing.T, base, root string) map[string]string {
	tree := treedump.Dump(t, base)
	name := "/" + filepath.Base(root)
	for k := range tree {
		if k == name || strings.HasPrefix(k, name+"/") {
			delete(tree, k)
		}
	}
	return tree
}

func inodeOf(t *testing.T, p string) [2]uint64 {
	fi, err := os.Lstat(p)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return [2]uint64{uint64(st.Dev), st.Ino}
}

// TestHostileResolutions states where each hostile path resolves: inside the
// root, or nowhere.
func TestHostileResolutions(t *testing.T) {
	tests := []struct {
		path    string
		content string // "" when reading must fail
		errIs   error
	}{
		{"/rel/secret", "decoy", nil},
		{"/relsecret", "decoy", nil},
		{"/dir/up/secret", "decoy", nil},
		{"/chain/secret", "decoy", nil},
		{"/deep/secret", "", fs.ErrNotExist}, // <root>/<host path of outside> does not exist
		{"/abs/secret", "", fs.ErrNotExist},
		{"/abssecret", "", fs.ErrNotExist},
		{"/dotdot/dotdot/outside/secret", "decoy", nil},
		{"/../outside/secret", "decoy", nil},
		{"/hostetc/passwd", "", fs.ErrNotExist},
		{"/loop1", "", syscall.ELOOP},
		{"/self/x", "", syscall.ELOOP},
		{"/proc/self/root/etc/passwd", "", syscall.ELOOP},
	}
	forEachResolver(t, func(t *testing.T, openat2 bool) {
		base := t.TempDir()
		outside := filepath.Join(base, "outside")
		build(t, base, setup{{"/outside", "dir"}, {"/outside/secret", "file:secret"}, {"/root", "dir"}})
		root := filepath.Join(base, "root")
		build(t, root, hostile(outside))
		fsys := newTestFS(t, root, openat2)
		for _, tt := range tests {
			data, err := afero.ReadFile(fsys, tt.path)
			if tt.content != "" {
				require.NoError(t, err, tt.path)
				assert.Equal(t, tt.content, string(data), tt.path)
			} else {
				assert.ErrorIs(t, err, tt.errIs, tt.path)
			}
		}
		// Once the host path exists inside the root, absolute links reach it there.
		require.NoError(t, fsys.MkdirAll(outside, 0o755))
		require.NoError(t, afero.WriteFile(fsys, outside+"/secret", []byte("in root"), 0o644))
		for _, p := range []string{"/abs/secret", "/abssecret", "/deep/secret", "/dir/upabs/secret"} {
			data, err := afero.ReadFile(fsys, p)
			require.NoError(t, err, p)
			assert.Equal(t, "in root", string(data), p)
		}
		data, err := os.ReadFile(filepath.Join(outside, "secret"))
		require.NoError(t, err)
		assert.Equal(t, "secret", string(data))
	})
}
