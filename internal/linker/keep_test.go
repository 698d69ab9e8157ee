package linker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// metaDump is the tree dump of root with the owner, modification time, link count and
// inode of every file and link (directories' times change with their entries).
func metaDump(t *testing.T, root string) map[string]string {
	tree := treedump.Dump(t, root)
	for k, v := range tree {
		if strings.HasPrefix(v, "dir ") {
			continue
		}
		fi, err := os.Lstat(filepath.Join(root, k))
		require.NoError(t, err)
		st := fi.Sys().(*syscall.Stat_t)
		tree[k] = fmt.Sprintf("%s owner=%d:%d mtime=%d nlink=%d ino=%d", v, st.Uid, st.Gid, fi.ModTime().UnixNano(), st.Nlink, st.Ino)
	}
	return tree
}

// dirFS wraps the Dirs of a file system with wrap, to change what their operations do.
type dirFS struct {
	rootfs.FS
	wrap func(rootfs.Dir) rootfs.Dir
}

func (f dirFS) OpenDir(name string) (rootfs.Dir, error) {
	d, err := f.FS.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return f.wrap(d), nil
}

// noLinkDir is on a file system without hard links: link(2) fails with EOPNOTSUPP.
type noLinkDir struct{ rootfs.Dir }

func (noLinkDir) Link(oldname, newname string) error {
	return &os.LinkError{Op: "link", Old: oldname, New: newname, Err: syscall.EOPNOTSUPP}
}

// TestForceKeepsForeignObjects: link --force then unlink gives back a foreign link and a
// foreign hard-linked file exactly: owner, mode, times, inode and link count. Without
// hard links the file comes back as a copy, with owner, mode and times, and the message
// says that its other hard link no longer shares it.
func TestForceKeepsForeignObjects(t *testing.T) {
	h := layout.Headers(abi)
	core, macros, other := h+"/rust/libcore.rmeta", h+"/rust/libmacros.so", "/srv/other/libmacros.so"
	for _, hardLinks := range []bool{true, false} {
		t.Run(fmt.Sprintf("hard links %v", hardLinks), func(t *testing.T) {
			f := newFixture(t)
			f.headers(abi, false)
			f.artifacts(abi, artifactSet)
			f.symlink("../../elsewhere/core.rmeta", core)
			f.write(other, "foreign macros")
			host := func(p string) string { return filepath.Join(f.root, p) }
			require.NoError(t, os.Link(host(other), host(macros)))
			require.NoError(t, os.Chmod(host(macros), 0o640))
			require.NoError(t, os.Lchown(host(core), 4242, 4343))
			require.NoError(t, os.Lchown(host(macros), 1234, 5678))
			ts := []unix.Timespec{unix.NsecToTimespec(1e18), unix.NsecToTimespec(1e18)}
			require.NoError(t, unix.UtimesNanoAt(unix.AT_FDCWD, host(core), ts, unix.AT_SYMLINK_NOFOLLOW))
			require.NoError(t, os.Chtimes(host(macros), time.Unix(1.1e9, 0), time.Unix(1.1e9, 0)))
			before := metaDump(t, f.root)

			var fsys rootfs.FS = f.fs
			if !hardLinks {
				fsys = dirFS{f.fs, func(d rootfs.Dir) rootfs.Dir { return noLinkDir{d} }}
			}
			e := &Engine{FS: fsys, Force: true, Log: f.log}
			r, err := e.Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Problems)
			mid := metaDump(t, f.root)
			if hardLinks {
				// The very objects, under their backup names.
				require.Equal(t, before[core], mid[core+layout.BackupSuffix])
				require.Equal(t, before[macros], mid[macros+layout.BackupSuffix])
			} else {
				for _, p := range []string{core, macros} {
					require.Equal(t, cut(before[p], " nlink="), cut(mid[p+layout.BackupSuffix], " nlink="), "owner and times of %s", p)
				}
				require.Contains(t, strings.Join(f.takeLogs(), "\n"), "moved "+macros+" aside to "+macros+layout.BackupSuffix+" as a copy")
			}

			_, err = e.Unlink(abi)
			require.NoError(t, err)
			after := metaDump(t, f.root)
			want := stateDir(before)
			want[layout.LockFile] = after[layout.LockFile]
			if !hardLinks {
				// Copies keep content, mode, owner and times; the hard link is gone.
				for _, p := range []string{core, macros} {
					require.Equal(t, cut(before[p], " nlink="), cut(after[p], " nlink="), p)
					want[p] = after[p]
				}
				require.Contains(t, after[macros], "nlink=1")
				want[other] = strings.Replace(before[other], "nlink=2", "nlink=1", 1)
			}
			requireTree(t, want, after)
		})
	}
}

// cut returns s up to sep.
func cut(s, sep string) string {
	before, _, _ := strings.Cut(s, sep)
	return before
}

// racingDir makes a directory appear just before the tool's mkdir of it, as a package
// unpacking at the same time would.
type racingDir struct{ rootfs.Dir }

func (d racingDir) Mkdir(name string, perm os.FileMode) error {
	if err := d.Dir.Mkdir(name, perm); err != nil {
		return err
	}
	return d.Dir.Mkdir(name, perm) // EEXIST: someone else's now
}

// TestMkdirRaceNotAdopted: a directory someone else makes between the plan and the
// tool's mkdir is not recorded as the tool's, so unlink never removes it.
func TestMkdirRaceNotAdopted(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	_, err := (&Engine{FS: dirFS{f.fs, func(d rootfs.Dir) rootfs.Dir { return racingDir{d} }}}).Link(abi)
	require.ErrorIs(t, err, os.ErrExist)
	want := stateDir(f.dump())
	delete(want, state.Path(abi))
	require.Contains(t, want, layout.Headers(abi)+"/rust")
	requireTree(t, want, f.dump(), "no record: nothing of the tool's is on disk")
}
