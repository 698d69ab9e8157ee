package rootfs

import (
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// Dir is a directory held open. Its methods act on a name in it, one path element,
// relative to the open descriptor: renaming or exchanging a directory on the path it
// was opened by, or putting a symbolic link there, cannot redirect them. A name that
// is a symbolic link is never followed (Open and Create refuse it, the others act on
// the link itself). Names with "/", "." and ".." fail with EINVAL. Errors name
// Name()/name.
type Dir interface {
	// Name returns the path the directory was opened by.
	Name() string
	// Stat returns the FileInfo of the directory itself (fstat).
	Stat() (os.FileInfo, error)
	// Lstat is fstatat(2) of name. Its FileInfo, and Stat's, are FS.Lstat's kind.
	Lstat(name string) (os.FileInfo, error)
	Readlink(name string) (string, error)
	// Open opens the regular file name for reading (OpenRegular's rules).
	Open(name string) (afero.File, error)
	// Create creates the new file name (O_EXCL) for writing, with perm under the umask.
	Create(name string, perm os.FileMode) (afero.File, error)
	Symlink(target, name string) error
	// Mkdir creates the directory name with perm under the umask.
	Mkdir(name string, perm os.FileMode) error
	// Chmod sets the mode of name, refusing a link (ELOOP).
	Chmod(name string, mode os.FileMode) error
	// Lchown sets the owner of name, a link's own.
	Lchown(name string, uid, gid int) error
	// Lchtimes sets the times of name, a link's own; a zero time is left unchanged.
	Lchtimes(name string, atime, mtime time.Time) error
	// Link makes newname a new hard link to the file or symbolic link oldname
	// (linkat(2), never following oldname): one inode, two names.
	Link(oldname, newname string) error
	// Rename renames oldname to newname in the directory, replacing a file or link.
	Rename(oldname, newname string) error
	// RenameNoReplace is Rename failing with an error matching fs.ErrExist when
	// newname exists (FS.RenameNoReplace).
	RenameNoReplace(oldname, newname string) error
	// Remove removes the file, link or empty directory name.
	Remove(name string) error
	// Rmdir removes the empty directory name, and nothing else (rmdir(2)).
	Rmdir(name string) error
	// Readdirnames lists the directory (os.File.Readdirnames).
	Readdirnames(n int) ([]string, error)
	// Sync makes changes to the directory's entries durable (fsync).
	Sync() error
	Close() error
}

// OpenDir implements FS.
func (r *rootFS) OpenDir(name string) (Dir, error) {
	rel, err := clean(name)
	if err != nil {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: err}
	}
	// O_PATH first: a link as the last element is then opened itself, told apart by
	// fstat (O_DIRECTORY|O_NOFOLLOW would say ENOTDIR for it, as for a file).
	pfd, err := openNoLinks(r.fd, rel, unix.O_PATH, r.openat2)
	runtime.KeepAlive(r)
	if err != nil {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: err}
	}
	defer unix.Close(pfd)
	var st unix.Stat_t
	if err := unix.Fstat(pfd, &st); err != nil {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
	case unix.S_IFLNK:
		return nil, &os.PathError{Op: "opendir", Path: name, Err: unix.ELOOP}
	default:
		return nil, &os.PathError{Op: "opendir", Path: name, Err: unix.ENOTDIR}
	}
	fd, err := openatRetry(pfd, ".", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, &os.PathError{Op: "opendir", Path: name, Err: err}
	}
	return &dir{name: "/" + strings.TrimPrefix(rel, "."), fd: fd}, nil
}

// dir implements Dir on a descriptor opened O_RDONLY|O_DIRECTORY (fsync needs more
// than O_PATH). The descriptor is wrapped in an *os.File only to list the directory.
type dir struct {
	name string
	fd   int
	f    *os.File // owns fd once Readdirnames made it
}

func (d *dir) Name() string { return d.name }

func (d *dir) path(name string) string {
	if d.name == "/" {
		return "/" + name
	}
	return d.name + "/" + name
}

// check refuses what is not one path element.
func (d *dir) check(op, name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return &os.PathError{Op: op, Path: d.path(name), Err: unix.EINVAL}
	}
	return nil
}

// do runs fn on a name checked first, and wraps its error.
func (d *dir) do(op, name string, fn func() error) error {
	if err := d.check(op, name); err != nil {
		return err
	}
	err := fn()
	runtime.KeepAlive(d) // d.f, once made, would close d.fd when collected
	if err != nil {
		return &os.PathError{Op: op, Path: d.path(name), Err: err}
	}
	return nil
}

func (d *dir) Stat() (os.FileInfo, error) {
	fi, err := fstat(d.name, d.fd)
	runtime.KeepAlive(d)
	if err != nil {
		return nil, &os.PathError{Op: "stat", Path: d.name, Err: err}
	}
	return fi, nil
}

func (d *dir) Lstat(name string) (os.FileInfo, error) {
	var fi os.FileInfo
	err := d.do("lstat", name, func() (err error) {
		fi, err = lstatAt(d.fd, name, d.path(name))
		return err
	})
	return fi, err
}

func (d *dir) Readlink(name string) (string, error) {
	var t string
	err := d.do("readlink", name, func() (err error) {
		t, err = readlinkat(d.fd, name)
		return err
	})
	return t, err
}

func (d *dir) Open(name string) (afero.File, error) {
	var f *os.File
	err := d.do("open", name, func() error {
		fd, err := openatRetry(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
		if err == unix.ELOOP || err == unix.ENXIO {
			if fi, lerr := d.Lstat(name); lerr == nil && !fi.Mode().IsRegular() {
				return &NotRegularError{Type: fi.Mode().Type()}
			}
		}
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), d.path(name))
		fi, err := f.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			err = &NotRegularError{Type: fi.Mode().Type()}
		}
		if err != nil {
			f.Close()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (d *dir) Create(name string, perm os.FileMode) (afero.File, error) {
	var f afero.File
	err := d.do("create", name, func() error {
		fd, err := openatRetry(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW, syscallMode(perm))
		if err != nil {
			return err
		}
		f = os.NewFile(uintptr(fd), d.path(name))
		return nil
	})
	return f, err
}

func (d *dir) Symlink(target, name string) error {
	return d.do("symlink", name, func() error { return unix.Symlinkat(target, d.fd, name) })
}

func (d *dir) Mkdir(name string, perm os.FileMode) error {
	return d.do("mkdir", name, func() error { return unix.Mkdirat(d.fd, name, syscallMode(perm)) })
}

func (d *dir) Chmod(name string, mode os.FileMode) error {
	return d.do("chmod", name, func() error {
		fd, err := openatRetry(d.fd, name, unix.O_PATH|unix.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			return unix.ELOOP
		}
		return chmodFd(fd, mode)
	})
}

func (d *dir) Lchown(name string, uid, gid int) error {
	return d.do("lchown", name, func() error {
		return unix.Fchownat(d.fd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	})
}

func (d *dir) Lchtimes(name string, atime, mtime time.Time) error {
	ts := []unix.Timespec{timespec(atime), timespec(mtime)}
	return d.do("lchtimes", name, func() error {
		return unix.UtimesNanoAt(d.fd, name, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
}

func (d *dir) Link(oldname, newname string) error {
	if err := d.check("link", oldname); err != nil {
		return err
	}
	return d.do("link", newname, func() error { return unix.Linkat(d.fd, oldname, d.fd, newname, 0) })
}

func (d *dir) Rename(oldname, newname string) error {
	return d.rename(oldname, newname, 0)
}

func (d *dir) RenameNoReplace(oldname, newname string) error {
	return d.rename(oldname, newname, unix.RENAME_NOREPLACE)
}

func (d *dir) rename(oldname, newname string, flags uint) error {
	for _, n := range []string{oldname, newname} {
		if err := d.check("rename", n); err != nil {
			return &os.LinkError{Op: "rename", Old: d.path(oldname), New: d.path(newname), Err: unix.EINVAL}
		}
	}
	err := renameat(d.fd, oldname, d.fd, newname, flags)
	runtime.KeepAlive(d)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: d.path(oldname), New: d.path(newname), Err: err}
	}
	return nil
}

func (d *dir) Remove(name string) error {
	return d.do("remove", name, func() error { return removeAt(d.fd, name) })
}

func (d *dir) Rmdir(name string) error {
	return d.do("rmdir", name, func() error { return unix.Unlinkat(d.fd, name, unix.AT_REMOVEDIR) })
}

func (d *dir) Sync() error {
	for {
		err := unix.Fsync(d.fd)
		runtime.KeepAlive(d)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "sync", Path: d.name, Err: err}
		}
		return nil
	}
}

func (d *dir) Readdirnames(n int) ([]string, error) {
	if d.f == nil {
		if d.fd < 0 {
			return nil, &os.PathError{Op: "readdirent", Path: d.name, Err: os.ErrClosed}
		}
		d.f = os.NewFile(uintptr(d.fd), d.name)
	}
	return d.f.Readdirnames(n)
}

func (d *dir) Close() error {
	if d.f != nil {
		d.fd = -1 // d.f owns it: no later call may use the number again
		return d.f.Close()
	}
	if d.fd < 0 {
		return &os.PathError{Op: "close", Path: d.name, Err: os.ErrClosed}
	}
	fd := d.fd
	d.fd = -1
	if err := unix.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: d.name, Err: err}
	}
	return nil
}
