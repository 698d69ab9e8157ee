package rootfs

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// unix.Stat_t and syscall.Stat_t are the kernel's struct stat of the same architecture:
// these fail to compile where their sizes differ.
var (
	_ [unsafe.Sizeof(syscall.Stat_t{}) - unsafe.Sizeof(unix.Stat_t{})]byte
	_ [unsafe.Sizeof(unix.Stat_t{}) - unsafe.Sizeof(syscall.Stat_t{})]byte
)

// fileInfo is the fs.FileInfo of a stat(2) result, as os gives it (Sys is a
// *syscall.Stat_t), made without wrapping a descriptor in an *os.File.
type fileInfo struct {
	name string
	st   syscall.Stat_t
}

// statInfo returns the FileInfo of st for the file name (its last element is the Name).
func statInfo(name string, st *unix.Stat_t) fs.FileInfo {
	return &fileInfo{name: path.Base(name), st: *(*syscall.Stat_t)(unsafe.Pointer(st))}
}

// fstat is fstat(2) of fd as a FileInfo named name.
func fstat(name string, fd int) (fs.FileInfo, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	return statInfo(name, &st), nil
}

// lstatAt is fstatat(2) of the one path element base in the directory dirfd, not
// following a link.
func lstatAt(dirfd int, base, name string) (fs.FileInfo, error) {
	var st unix.Stat_t
	for {
		err := unix.Fstatat(dirfd, base, &st, unix.AT_SYMLINK_NOFOLLOW)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		return statInfo(name, &st), nil
	}
}

func (fi *fileInfo) Name() string       { return fi.name }
func (fi *fileInfo) Size() int64        { return fi.st.Size }
func (fi *fileInfo) ModTime() time.Time { return time.Unix(fi.st.Mtim.Unix()) }
func (fi *fileInfo) IsDir() bool        { return fi.Mode().IsDir() }
func (fi *fileInfo) Sys() any           { return &fi.st }

// Mode converts st_mode as os does.
func (fi *fileInfo) Mode() fs.FileMode {
	m := fs.FileMode(fi.st.Mode & 0o777)
	switch fi.st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		m |= fs.ModeDevice
	case syscall.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		m |= fs.ModeDir
	case syscall.S_IFIFO:
		m |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		m |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		m |= fs.ModeSocket
	}
	if fi.st.Mode&syscall.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if fi.st.Mode&syscall.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if fi.st.Mode&syscall.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// LstatAll is Lstat of each of names, the FileInfo or the error of each at its index,
// resolving the directory of a run of names in one directory once: such names cost
// one fstatat(2) each. One directory is held at a time. Wrappers of FS (a
// fault-injecting FS) get one Lstat per name.
func LstatAll(fsys FS, names []string) ([]fs.FileInfo, []error) {
	fis, errs := make([]fs.FileInfo, len(names)), make([]error, len(names))
	r, ok := fsys.(*rootFS)
	if !ok {
		for i, n := range names {
			fis[i], errs[i] = fsys.Lstat(n)
		}
		return fis, errs
	}
	// The directory of the last name: its descriptor, or the error resolving it.
	held, fd := "", -1
	var dirErr error
	release := func() {
		if fd >= 0 {
			unix.Close(fd)
		}
		fd, dirErr = -1, nil
	}
	defer release()
	for i, n := range names {
		rel, err := clean(n)
		if err != nil || rel == "." {
			fis[i], errs[i] = r.Lstat(n)
			continue
		}
		dir, base := path.Split(rel)
		if dir != held || fd < 0 && dirErr == nil {
			release()
			held = dir
			fd, base, dirErr = r.parent("lstat", n, nil)
		}
		if dirErr != nil {
			errs[i] = &os.PathError{Op: "lstat", Path: n, Err: errors.Unwrap(dirErr)}
			continue
		}
		if fis[i], err = lstatAt(fd, base, n); err != nil {
			errs[i] = &os.PathError{Op: "lstat", Path: n, Err: err}
		}
	}
	return fis, errs
}

// Walk is afero.Walk on fsys (lexical order, links not followed, fn told of every error),
// with the names of each directory looked at by LstatAll.
func Walk(fsys FS, root string, fn filepath.WalkFunc) error {
	fi, err := fsys.Lstat(root)
	if err != nil {
		return fn(root, nil, err)
	}
	return walkTree(fsys, root, fi, fn)
}

func walkTree(fsys FS, p string, fi fs.FileInfo, fn filepath.WalkFunc) error {
	if err := fn(p, fi, nil); err != nil {
		if fi.IsDir() && err == filepath.SkipDir {
			return nil
		}
		return err
	}
	if !fi.IsDir() {
		return nil
	}
	names, err := ListDir(fsys, p)
	if err != nil {
		return fn(p, fi, err)
	}
	sort.Strings(names)
	for i, n := range names {
		names[i] = path.Join(p, n)
	}
	fis, errs := LstatAll(fsys, names)
	for i, n := range names {
		if errs[i] != nil {
			err = fn(n, fis[i], errs[i])
		} else {
			err = walkTree(fsys, n, fis[i], fn)
		}
		if err != nil && (err != filepath.SkipDir || errs[i] == nil && !fis[i].IsDir()) {
			return err
		}
	}
	return nil
}
