package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/spf13/afero"
)

// ErrNotRegular is matched (errors.Is) by the error of OpenRegular and ReadFile
// when the object at the path is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError says what was found instead of a regular file. It matches
// ErrNotRegular.
type NotRegularError struct {
	Type fs.FileMode // the type bits of what is there
}

func (e *NotRegularError) Error() string {
	return "is " + DescribeType(e.Type) + ", not a regular file"
}

func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// DescribeType names the type bits t of a file: "a FIFO", "a directory", ….
func DescribeType(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t.IsDir():
		return "a directory"
	}
	return fmt.Sprintf("a special file (%s)", t)
}

// OpenRegular opens name with flag and returns it only when it is a regular file;
// anything else (a FIFO, a device, a directory, a socket, and with O_NOFOLLOW in
// flag a symbolic link) fails at once with a *NotRegularError, without waiting on
// it: O_NONBLOCK is added, so that a FIFO without a reader or writer never blocks
// the open, and the object is checked before and after opening it.
func OpenRegular(fsys afero.Fs, name string, flag int, perm os.FileMode) (afero.File, error) {
	f, _, err := openRegular(fsys, name, flag, perm)
	return f, err
}

// openRegular is OpenRegular, also returning what the open file's fstat found.
func openRegular(fsys afero.Fs, name string, flag int, perm os.FileMode) (afero.File, os.FileInfo, error) {
	if fi, err := lstat(fsys, name, flag&syscall.O_NOFOLLOW == 0); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Type: fi.Mode().Type()}
	}
	f, err := fsys.OpenFile(name, flag|syscall.O_NONBLOCK|syscall.O_NOCTTY, perm)
	if err != nil {
		// Replaced since the check: ENXIO is a FIFO without a reader, ELOOP a link.
		if fi, lerr := lstat(fsys, name, false); lerr == nil && !fi.Mode().IsRegular() &&
			(errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ELOOP)) {
			return nil, nil, &NotRegularError{Type: fi.Mode().Type()}
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Type: fi.Mode().Type()}
	}
	return f, fi, nil
}

// ListDir returns the names in the directory dir, in the order the file system gives
// them.
func ListDir(fsys afero.Fs, dir string) ([]string, error) {
	f, err := fsys.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// lstat stats name, following a final link only when follow is set.
func lstat(fsys afero.Fs, name string, follow bool) (os.FileInfo, error) {
	if l, ok := fsys.(afero.Lstater); ok && !follow {
		fi, _, err := l.LstatIfPossible(name)
		return fi, err
	}
	return fsys.Stat(name)
}

// ErrTooLarge is matched (errors.Is) by the error of ReadFile and ReadFileIn for a file
// larger than their limit.
var ErrTooLarge = errors.New("file too large")

type tooLargeError struct{ limit int64 }

func (e tooLargeError) Error() string        { return fmt.Sprintf("larger than %d bytes", e.limit) }
func (e tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ReadFile reads the regular file name, at most limit bytes. Anything else at name (a
// FIFO, a device, a directory) is refused without blocking on it, and a larger file is
// an error matching ErrTooLarge: configuration and manifests read with it are small and
// a hostile one must not hang or exhaust the tool.
func ReadFile(fsys afero.Fs, name string, limit int64) ([]byte, error) {
	f, fi, err := openRegular(fsys, name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	return readAll(f, limit, fi.Size())
}

// ReadFileIn is ReadFile of the name in the directory d (Dir.Open: never through a
// link).
func ReadFileIn(d Dir, name string, limit int64) ([]byte, error) {
	f, err := d.Open(name)
	if err != nil {
		return nil, err
	}
	size := int64(-1)
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return readAll(f, limit, size)
}

// readAll reads f, at most limit bytes, and closes it. size is what fstat said of it
// (negative when not known): the buffer is made for that much, in one piece, and the
// file is still read to its end, whatever its size now.
func readAll(f afero.File, limit, size int64) ([]byte, error) {
	defer f.Close()
	var buf bytes.Buffer
	if size >= 0 {
		buf.Grow(int(min(size, limit)) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > limit {
		return nil, tooLargeError{limit}
	}
	return data, nil
}
