package rootfs

import (
	"errors"
	"fmt"
	"os"
	"path"
	"runtime"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// ErrNoReplaceUnsupported is matched (errors.Is) by the error of RenameNoReplace
// when the file system cannot rename without replacing atomically.
var ErrNoReplaceUnsupported = errors.New("rename without replacing is not supported by this file system")

type noReplaceError struct{ err error }

func (e noReplaceError) Error() string {
	return ErrNoReplaceUnsupported.Error() + " (" + e.err.Error() + ")"
}

func (e noReplaceError) Unwrap() []error { return []error{ErrNoReplaceUnsupported, e.err} }

// RenameNoReplace implements FS: renameat2(RENAME_NOREPLACE), and where the
// kernel or file system lacks it, link(2) plus unlink(2) for anything but a
// directory.
func (r *rootFS) RenameNoReplace(oldname, newname string) error {
	return r.rename(oldname, newname, unix.RENAME_NOREPLACE)
}

// Resolve implements FS. It walks in user space, relative to descriptors inside
// the root, the way the fallback resolver opens paths.
func (r *rootFS) Resolve(name string) (string, error) {
	rel, err := clean(name)
	if err != nil {
		return "", &os.PathError{Op: "resolve", Path: name, Err: err}
	}
	fd, reached, err := walk(r.fd, rel, unix.O_PATH, 0, false)
	runtime.KeepAlive(r)
	if err != nil {
		return "", &os.PathError{Op: "resolve", Path: name, Err: err}
	}
	unix.Close(fd)
	return path.Clean("/" + reached), nil
}

// LockFile implements FS.
func (r *rootFS) LockFile(name string, perm os.FileMode) (afero.File, error) {
	f, err := OpenRegular(r, name, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, perm)
	if err != nil {
		return nil, err
	}
	fd := int(f.(*os.File).Fd())
	for {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			err = ErrLocked
		}
		return nil, &os.PathError{Op: "flock", Path: name, Err: err}
	}
	return f, nil
}

// SyncDir flushes directory dir to disk (fsync), making the creation, removal
// or renaming of its entries durable. It opens dir through fsys for reading;
// file systems without durable storage make it a no-op.
func SyncDir(fsys afero.Fs, dir string) error {
	f, err := fsys.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
