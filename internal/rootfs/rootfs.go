// Package rootfs gives an afero file system confined to a root directory, like a
// chroot: every path, and every symbolic link met while resolving it, stays
// inside the root.
//
// Paths are interpreted inside the root: "/usr/src" names <root>/usr/src, an
// absolute link target such as "/usr/src/linux-headers-X" resolves to
// <root>/usr/src/linux-headers-X, and ".." never climbs above the root. Paths are
// first cleaned lexically (path.Clean), as filepath.Join does; relative paths are
// taken relative to the root.
//
// Resolution uses openat2(2) with RESOLVE_IN_ROOT (Linux 5.6 and later) and falls
// back to a component-by-component walk in user space on older kernels.
//
// Operations that act on the last path element never follow it when it is a
// symbolic link: Lstat, Readlink, Symlink, Remove, RemoveAll, Rename and Mkdir act
// on the link itself, and opening for writing or creating (O_CREATE, O_WRONLY,
// O_RDWR or O_TRUNC) refuses a link there with ErrFinalSymlink. Open for reading,
// Stat, Chmod, Chown and Chtimes follow it, inside the root. Symbolic link targets
// are stored and read back verbatim.
//
// OpenDir holds a directory reached without any symbolic link; a Dir changes names
// in it relative to that descriptor, so that no later rename of a parent can
// redirect the change. The package is also the one home of the primitives built
// on FS: WriteFile (atomic), CopyFile, MkdirAll with an exact mode, SyncDir,
// ReadFile (ReadFileIn on a Dir), OpenRegular, ListDir, and LstatAll and Walk, which
// stat the names of one directory through one resolution of it (Walk resolves each
// directory once more to list it).
//
// Files returned are *os.File: they have Fd, and they are io.ReaderAt, so
// debug/elf can read them. File.Name is the path as given.
package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// FS is what linux-librust needs from a file system: afero with symbolic links,
// and the few operations afero lacks. Paths are absolute and interpreted inside
// the root. New returns the one implementation; wrappers (a fault-injecting FS in
// tests) forward every method.
type FS interface {
	afero.Fs
	afero.Symlinker
	// Lstat returns the FileInfo of name, not following a link as its last element.
	// It is made from one fstatat(2), not by os: os.SameFile does not take it (Stat's
	// does); compare with SameFile, which takes both.
	Lstat(name string) (os.FileInfo, error)
	// Readlink returns the target of the link name exactly as stored.
	Readlink(name string) (string, error)
	// Resolve returns the clean absolute path that name reaches with every symbolic
	// link in it, the last element's included, resolved inside the root. A missing
	// component fails with an error matching fs.ErrNotExist, a loop with syscall.ELOOP.
	Resolve(name string) (string, error)
	// RenameNoReplace renames oldname to newname only if newname does not exist,
	// atomically, not following either end. An existing newname fails with an error
	// matching fs.ErrExist; where the file system cannot do it atomically, with one
	// matching ErrNoReplaceUnsupported.
	RenameNoReplace(oldname, newname string) error
	// LockFile opens name (created with perm when missing; anything but a regular
	// file there, a link included, is refused at once as OpenRegular refuses it,
	// never followed nor waited on) and takes an exclusive flock(2) on it without
	// waiting. Closing
	// the file releases the lock, and so does the end of the process. When another
	// open file holds the lock the error matches ErrLocked.
	LockFile(name string, perm os.FileMode) (afero.File, error)
	// OpenDir opens the directory name and holds it: changes made through the Dir
	// happen in that directory whatever is renamed meanwhile. A symbolic link
	// anywhere in name, the last element included, is refused (ELOOP): a path
	// opened so was free of links when it was opened.
	OpenDir(name string) (Dir, error)
}

// ErrLocked is matched (errors.Is) by the error of LockFile when the lock is held.
var ErrLocked = errors.New("locked by another process")

// ErrFinalSymlink is matched (errors.Is) by the error of an open for writing or
// creation whose last path element is a symbolic link. Such an error also
// matches syscall.ELOOP.
var ErrFinalSymlink = errors.New("refusing to follow a symbolic link as the last path element when writing")

type finalSymlinkError struct{}

func (finalSymlinkError) Error() string {
	return "is a symbolic link; refusing to write through it (remove the link first)"
}

func (finalSymlinkError) Unwrap() []error { return []error{ErrFinalSymlink, syscall.ELOOP} }

// New returns an FS rooted at dir, which must be an existing directory. The
// directory is opened once: renaming it later does not move the FS. The FS is
// safe for concurrent use.
func New(dir string) (FS, error) {
	return newFS(dir, true)
}

// rootFS implements FS on a descriptor of the root directory.
type rootFS struct {
	dir     string
	fd      int // O_PATH descriptor of the root, closed when rootFS is collected
	resolve resolver
	openat2 bool // resolve is openat2InRoot
}

var _ FS = (*rootFS)(nil)
var _ afero.Lstater = (*rootFS)(nil)

// newFS opens dir; useOpenat2=false forces the user-space resolver (tests run
// both).
func newFS(dir string, useOpenat2 bool) (*rootFS, error) {
	if dir == "" {
		return nil, errors.New("open root directory: empty path; give a directory such as /")
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open root directory: %w", &os.PathError{Op: "open", Path: dir, Err: err})
	}
	r := &rootFS{dir: dir, fd: fd, resolve: walkInRoot}
	if useOpenat2 && openat2Supported(fd) {
		r.resolve, r.openat2 = openat2InRoot, true
	}
	runtime.AddCleanup(r, func(fd int) { unix.Close(fd) }, fd)
	return r, nil
}

// clean turns name into a path relative to the root, "." for the root itself.
func clean(name string) (string, error) {
	if name == "" {
		return "", unix.ENOENT
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", unix.EINVAL
	}
	if name[0] != '/' {
		name = "/" + name
	}
	p := path.Clean(name) // no copy of a name already clean
	if p == "/" {
		return ".", nil
	}
	return p[1:], nil
}

// open resolves name inside the root and opens it with flags.
func (r *rootFS) open(op, name string, flags int, mode uint32) (int, error) {
	rel, err := clean(name)
	if err != nil {
		return -1, &os.PathError{Op: op, Path: name, Err: err}
	}
	fd, err := r.resolve(r.fd, rel, flags, mode)
	runtime.KeepAlive(r)
	if err != nil {
		return -1, &os.PathError{Op: op, Path: name, Err: err}
	}
	return fd, nil
}

// parent resolves the directory holding the last element of name, which is
// returned as base; the caller closes dirfd. For the root itself it fails
// with rootErr.
func (r *rootFS) parent(op, name string, rootErr error) (dirfd int, base string, err error) {
	rel, err := clean(name)
	if err != nil {
		return -1, "", &os.PathError{Op: op, Path: name, Err: err}
	}
	if rel == "." {
		return -1, "", &os.PathError{Op: op, Path: name, Err: rootErr}
	}
	dir, base := path.Split(rel)
	if dir == "" {
		dir = "."
	}
	dirfd, err = r.resolve(r.fd, strings.TrimSuffix(dir, "/"), unix.O_PATH|unix.O_DIRECTORY, 0)
	runtime.KeepAlive(r)
	if err != nil {
		return -1, "", &os.PathError{Op: op, Path: name, Err: err}
	}
	return dirfd, base, nil
}

// Name implements afero.Fs.
func (r *rootFS) Name() string { return "RootFs" }

// Create implements afero.Fs: it creates or truncates name, refusing a symbolic
// link as the last element.
func (r *rootFS) Create(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open implements afero.Fs: it opens name for reading, following links inside
// the root.
func (r *rootFS) Open(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile implements afero.Fs. Opening for writing or creating never follows a
// symbolic link as the last element (ErrFinalSymlink).
func (r *rootFS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	nofollow := flag&(os.O_CREATE|os.O_WRONLY|os.O_RDWR|os.O_TRUNC) != 0
	if nofollow {
		flag |= unix.O_NOFOLLOW
	}
	fd, err := r.open("open", name, flag, syscallMode(perm))
	if err != nil {
		if errors.Is(err, syscall.ELOOP) && flag&unix.O_NOFOLLOW != 0 {
			if fi, lerr := r.Lstat(name); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
				return nil, &os.PathError{Op: "open", Path: name, Err: finalSymlinkError{}}
			}
		}
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}

// statFd returns the FileInfo of fd, os's own so that os.SameFile works on it, and
// closes fd.
func statFd(op, name string, fd int) (os.FileInfo, error) {
	f := os.NewFile(uintptr(fd), name)
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, &os.PathError{Op: op, Path: name, Err: errors.Unwrap(err)}
	}
	return fi, nil
}

// Stat implements afero.Fs, following links inside the root.
func (r *rootFS) Stat(name string) (os.FileInfo, error) {
	fd, err := r.open("stat", name, unix.O_PATH, 0)
	if err != nil {
		return nil, err
	}
	return statFd("stat", name, fd)
}

// Lstat implements FS: fstatat(2) of the last element, not followed, in its
// directory resolved inside the root.
func (r *rootFS) Lstat(name string) (os.FileInfo, error) {
	if rel, err := clean(name); err == nil && rel == "." {
		fd, err := r.open("lstat", name, unix.O_PATH, 0)
		if err != nil {
			return nil, err
		}
		return statFd("lstat", name, fd)
	}
	dirfd, base, err := r.parent("lstat", name, nil)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dirfd)
	fi, err := lstatAt(dirfd, base, name)
	if err != nil {
		return nil, &os.PathError{Op: "lstat", Path: name, Err: err}
	}
	return fi, nil
}

// LstatIfPossible implements afero.Lstater; it always uses lstat.
func (r *rootFS) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	fi, err := r.Lstat(name)
	return fi, true, err
}

// ReadlinkIfPossible implements afero.LinkReader; it is Readlink.
func (r *rootFS) ReadlinkIfPossible(name string) (string, error) { return r.Readlink(name) }

// Readlink implements FS.
func (r *rootFS) Readlink(name string) (string, error) {
	dirfd, base, err := r.parent("readlink", name, unix.EINVAL)
	if err != nil {
		return "", err
	}
	defer unix.Close(dirfd)
	target, err := readlinkat(dirfd, base)
	if err != nil {
		return "", &os.PathError{Op: "readlink", Path: name, Err: err}
	}
	return target, nil
}

// SymlinkIfPossible implements afero.Linker: it creates newname as a link to
// oldname, stored verbatim. An absolute oldname is resolved inside the root
// when the link is followed.
func (r *rootFS) SymlinkIfPossible(oldname, newname string) error {
	dirfd, base, err := r.parent("symlink", newname, unix.EEXIST)
	if err != nil {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: errors.Unwrap(err)}
	}
	defer unix.Close(dirfd)
	if err := unix.Symlinkat(oldname, dirfd, base); err != nil {
		return &os.LinkError{Op: "symlink", Old: oldname, New: newname, Err: err}
	}
	return nil
}

// Mkdir implements afero.Fs.
func (r *rootFS) Mkdir(name string, perm os.FileMode) error {
	dirfd, base, err := r.parent("mkdir", name, unix.EEXIST)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	if err := unix.Mkdirat(dirfd, base, syscallMode(perm)); err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	return nil
}

// MkdirAll implements afero.Fs. Existing links to directories (inside the root)
// are accepted as directories, as os.MkdirAll does.
func (r *rootFS) MkdirAll(name string, perm os.FileMode) error {
	rel, err := clean(name)
	if err != nil {
		return &os.PathError{Op: "mkdir", Path: name, Err: err}
	}
	if fi, err := r.Stat(name); err == nil {
		if fi.IsDir() {
			return nil
		}
		return &os.PathError{Op: "mkdir", Path: name, Err: unix.ENOTDIR}
	}
	if rel == "." {
		return nil
	}
	p := ""
	for _, c := range strings.Split(rel, "/") {
		p += "/" + c
		err := r.Mkdir(p, perm)
		if err == nil {
			continue
		}
		if !errors.Is(err, unix.EEXIST) {
			return err
		}
		fi, serr := r.Stat(p)
		if serr != nil {
			return serr
		}
		if !fi.IsDir() {
			return &os.PathError{Op: "mkdir", Path: p, Err: unix.ENOTDIR}
		}
	}
	return nil
}

// Remove implements afero.Fs: it removes a file, link or empty directory,
// never what a link points to.
func (r *rootFS) Remove(name string) error {
	dirfd, base, err := r.parent("remove", name, unix.EBUSY)
	if err != nil {
		return err
	}
	defer unix.Close(dirfd)
	if err := removeAt(dirfd, base); err != nil {
		return &os.PathError{Op: "remove", Path: name, Err: err}
	}
	return nil
}

func removeAt(dirfd int, base string) error {
	err := unix.Unlinkat(dirfd, base, 0)
	if err == nil {
		return nil
	}
	err1 := unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR)
	if err1 == nil {
		return nil
	}
	// rmdir of a non-directory says ENOTDIR: then unlink's error is the real one.
	if err1 != unix.ENOTDIR {
		return err1
	}
	return err
}

// RemoveAll implements afero.Fs: it removes name and everything below it,
// walking with descriptors opened O_NOFOLLOW so that links are removed as
// links and never followed. A missing name is not an error. The root itself
// cannot be removed.
func (r *rootFS) RemoveAll(name string) error {
	dirfd, base, err := r.parent("removeall", name, unix.EBUSY)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil
		}
		return err
	}
	defer unix.Close(dirfd)
	if err := removeAllAt(dirfd, base, 0); err != nil {
		return &os.PathError{Op: "removeall", Path: name, Err: err}
	}
	return nil
}

// maxRemoveDepth bounds the recursion of RemoveAll.
const maxRemoveDepth = 4096

func removeAllAt(dirfd int, base string, depth int) error {
	err := unix.Unlinkat(dirfd, base, 0)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if depth > maxRemoveDepth {
		return unix.ENAMETOOLONG
	}
	fd, oerr := openatRetry(dirfd, base, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if oerr != nil {
		if oerr == unix.ENOENT {
			return nil
		}
		if oerr == unix.ENOTDIR || oerr == unix.ELOOP {
			return err // not a directory: unlink's error stands
		}
		return oerr
	}
	dir := os.NewFile(uintptr(fd), base)
	defer dir.Close()
	var first error
	for range 3 { // retry when entries appear while removing
		names, rerr := dir.Readdirnames(-1)
		if rerr != nil && first == nil {
			first = rerr
		}
		for _, n := range names {
			if err := removeAllAt(fd, n, depth+1); err != nil && first == nil {
				first = fmt.Errorf("%s: %w", n, err)
			}
		}
		err = unix.Unlinkat(dirfd, base, unix.AT_REMOVEDIR)
		if err == nil || err == unix.ENOENT {
			return nil
		}
		if err != unix.ENOTEMPTY || first != nil {
			break
		}
		if _, err := dir.Seek(0, 0); err != nil {
			break
		}
	}
	if first != nil {
		return first
	}
	return err
}

// Rename implements afero.Fs with rename(2) semantics: neither end is followed
// when it is a link, and an existing newname (a file or a link) is replaced
// atomically.
func (r *rootFS) Rename(oldname, newname string) error {
	return r.rename(oldname, newname, 0)
}

func (r *rootFS) rename(oldname, newname string, flags uint) error {
	linkErr := func(err error) error {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	olddir, oldbase, err := r.parent("rename", oldname, unix.EBUSY)
	if err != nil {
		return linkErr(err)
	}
	defer unix.Close(olddir)
	newdir, newbase, err := r.parent("rename", newname, unix.EBUSY)
	if err != nil {
		return linkErr(err)
	}
	defer unix.Close(newdir)
	if err := renameat(olddir, oldbase, newdir, newbase, flags); err != nil {
		return linkErr(err)
	}
	return nil
}

// renameat is renameat2(2); RENAME_NOREPLACE falls back to linkNoReplace where
// the kernel or file system lacks it.
func renameat(olddir int, oldbase string, newdir int, newbase string, flags uint) error {
	if flags == 0 {
		return unix.Renameat(olddir, oldbase, newdir, newbase)
	}
	err := unix.Renameat2(olddir, oldbase, newdir, newbase, flags)
	if flags == unix.RENAME_NOREPLACE && (err == unix.EINVAL || err == unix.ENOSYS) {
		err = linkNoReplace(olddir, oldbase, newdir, newbase, err)
	}
	return err
}

// linkNoReplace moves a non-directory without replacing newname where
// renameat2(RENAME_NOREPLACE) is not supported: link(2) fails on an existing
// name, then the old name is unlinked.
func linkNoReplace(olddir int, oldbase string, newdir int, newbase string, renameErr error) error {
	var st unix.Stat_t
	if err := unix.Fstatat(olddir, oldbase, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return noReplaceError{renameErr}
	}
	if err := unix.Linkat(olddir, oldbase, newdir, newbase, 0); err != nil {
		if err == unix.EEXIST {
			return err
		}
		return noReplaceError{err}
	}
	return unix.Unlinkat(olddir, oldbase, 0)
}

// Chmod implements afero.Fs, following links inside the root.
func (r *rootFS) Chmod(name string, mode os.FileMode) error {
	return r.onFd("chmod", name, func(fd int) error { return chmodFd(fd, mode) })
}

// chmodFd changes the mode of the file behind the O_PATH descriptor fd.
func chmodFd(fd int, mode os.FileMode) error {
	err := unix.Fchmodat(fd, "", syscallMode(mode), unix.AT_EMPTY_PATH)
	if err == unix.EOPNOTSUPP || err == unix.ENOSYS || err == unix.EINVAL {
		err = unix.Fchmodat(unix.AT_FDCWD, procFd(fd), syscallMode(mode), 0)
	}
	return err
}

// Chown implements afero.Fs, following links inside the root.
func (r *rootFS) Chown(name string, uid, gid int) error {
	return r.onFd("chown", name, func(fd int) error {
		return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH)
	})
}

// Chtimes implements afero.Fs, following links inside the root. A zero time
// leaves that time unchanged, as os.Chtimes does.
func (r *rootFS) Chtimes(name string, atime, mtime time.Time) error {
	ts := []unix.Timespec{timespec(atime), timespec(mtime)}
	return r.onFd("chtimes", name, func(fd int) error {
		err := unix.UtimesNanoAt(fd, "", ts, unix.AT_EMPTY_PATH)
		if err == unix.EINVAL || err == unix.EBADF || err == unix.ENOENT {
			err = unix.UtimesNanoAt(unix.AT_FDCWD, procFd(fd), ts, 0)
		}
		return err
	})
}

func timespec(t time.Time) unix.Timespec {
	if t.IsZero() {
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	return unix.NsecToTimespec(t.UnixNano())
}

// onFd resolves name (following links inside the root) to an O_PATH descriptor
// and runs fn on it.
func (r *rootFS) onFd(op, name string, fn func(fd int) error) error {
	fd, err := r.open(op, name, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := fn(fd); err != nil {
		return &os.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

// procFd names the file behind an O_PATH descriptor for the calls that cannot
// take one directly; the kernel resolves it to that very file.
func procFd(fd int) string {
	return "/proc/self/fd/" + strconv.Itoa(fd)
}

// syscallMode converts an os.FileMode to open(2)/mkdir(2) mode bits.
func syscallMode(m os.FileMode) uint32 {
	o := uint32(m.Perm())
	if m&os.ModeSetuid != 0 {
		o |= unix.S_ISUID
	}
	if m&os.ModeSetgid != 0 {
		o |= unix.S_ISGID
	}
	if m&os.ModeSticky != 0 {
		o |= unix.S_ISVTX
	}
	return o
}
