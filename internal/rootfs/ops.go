package rootfs

import (
	"errors"
	"fmt"
	"os"

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

// NoReplaceRenamer is implemented by file systems that rename without replacing
// themselves: the FS of New, and wrappers of it that forward the call.
type NoReplaceRenamer interface {
	RenameNoReplace(oldname, newname string) error
}

// RenameNoReplace implements NoReplaceRenamer.
func (r *rootFS) RenameNoReplace(oldname, newname string) error {
	return r.rename(oldname, newname, unix.RENAME_NOREPLACE)
}

// RenameNoReplace renames oldname to newname only if newname does not exist,
// atomically: renameat2(RENAME_NOREPLACE), and where the kernel or file system
// lacks it, link(2) plus unlink(2) for anything but a directory. An existing
// newname fails with an error matching fs.ErrExist. When neither way works the
// error matches ErrNoReplaceUnsupported. fsys must implement NoReplaceRenamer
// (as the FS of New does) or be an *afero.OsFs.
func RenameNoReplace(fsys FS, oldname, newname string) error {
	switch f := fsys.(type) {
	case NoReplaceRenamer:
		return f.RenameNoReplace(oldname, newname)
	case *afero.OsFs:
		err := unix.Renameat2(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, unix.RENAME_NOREPLACE)
		if err == unix.EINVAL || err == unix.ENOSYS {
			err = linkNoReplace(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, err)
		}
		if err != nil {
			return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
		}
		return nil
	default:
		return &os.LinkError{Op: "rename", Old: oldname, New: newname,
			Err: noReplaceError{fmt.Errorf("file system %s", fsys.Name())}}
	}
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
