// Package faultfs wraps a rootfs.FS to count its mutating operations and fail one of
// them, so that tests can interrupt a command at every point and check what it leaves.
//
// Mutating operations: Create, Mkdir, MkdirAll, Remove, RemoveAll, Rename,
// RenameNoReplace, SymlinkIfPossible, Chmod, Chown, Chtimes, OpenFile for writing (or
// creating a file that does not exist), and on files: Write, WriteAt, WriteString,
// Truncate, Sync (directories too: fsync makes changes durable), and Close of a file
// opened for writing; the same operations on a Dir of OpenDir. Reads, LockFile and
// Resolve pass through uncounted.
package faultfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// ErrInjected is the error of a failed operation.
var ErrInjected = errors.New("injected fault")

// FS is a rootfs.FS that fails its FailAt-th mutating operation (counting from 1; 0
// never fails) and, when Crash is set, every mutating operation after it, as if the
// process had died there: nothing more reaches the disk.
type FS struct {
	rootfs.FS
	FailAt int
	Crash  bool

	mu     sync.Mutex
	ops    []string
	failed bool
}

// New returns an FS over inner that crashes at the failAt-th mutating operation.
func New(inner rootfs.FS, failAt int) *FS {
	return &FS{FS: inner, FailAt: failAt, Crash: true}
}

// Count returns the number of mutating operations attempted so far.
func (f *FS) Count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ops)
}

// Ops returns the mutating operations attempted so far, as "op path".
func (f *FS) Ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ops...)
}

// Failed reports whether an operation has failed.
func (f *FS) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// op counts one mutating operation and returns the injected error when it must fail.
func (f *FS) op(name, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, name+" "+path)
	if f.failed && f.Crash || f.FailAt > 0 && len(f.ops) == f.FailAt {
		f.failed = true
		return &os.PathError{Op: name, Path: path, Err: fmt.Errorf("%w (operation %d)", ErrInjected, len(f.ops))}
	}
	return nil
}

// LockFile is forwarded uncounted: the lock serializes runs and changes nothing that
// a run leaves behind.
func (f *FS) LockFile(name string, perm os.FileMode) (afero.File, error) {
	return f.FS.LockFile(name, perm)
}

// Name implements afero.Fs.
func (f *FS) Name() string { return "FaultFs(" + f.FS.Name() + ")" }

// Create implements afero.Fs.
func (f *FS) Create(name string) (afero.File, error) {
	if err := f.op("create", name); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name)
	return f.wrap(file, true), err
}

// Open implements afero.Fs.
func (f *FS) Open(name string) (afero.File, error) {
	file, err := f.FS.Open(name)
	return f.wrap(file, false), err
}

// OpenFile implements afero.Fs.
func (f *FS) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	write := flag&(os.O_WRONLY|os.O_RDWR|os.O_TRUNC|os.O_APPEND) != 0
	mutates := write
	if !mutates && flag&os.O_CREATE != 0 {
		_, _, err := f.FS.LstatIfPossible(name)
		mutates = errors.Is(err, fs.ErrNotExist)
	}
	if mutates {
		if err := f.op("openfile", name); err != nil {
			return nil, err
		}
	}
	file, err := f.FS.OpenFile(name, flag, perm)
	return f.wrap(file, write), err
}

// Mkdir implements afero.Fs.
func (f *FS) Mkdir(name string, perm os.FileMode) error {
	if err := f.op("mkdir", name); err != nil {
		return err
	}
	return f.FS.Mkdir(name, perm)
}

// MkdirAll implements afero.Fs; it counts only when name does not exist yet.
func (f *FS) MkdirAll(name string, perm os.FileMode) error {
	if fi, err := f.FS.Stat(name); err == nil && fi.IsDir() {
		return nil
	}
	if err := f.op("mkdirall", name); err != nil {
		return err
	}
	return f.FS.MkdirAll(name, perm)
}

// Remove implements afero.Fs.
func (f *FS) Remove(name string) error {
	if err := f.op("remove", name); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

// RemoveAll implements afero.Fs.
func (f *FS) RemoveAll(name string) error {
	if err := f.op("removeall", name); err != nil {
		return err
	}
	return f.FS.RemoveAll(name)
}

// Rename implements afero.Fs.
func (f *FS) Rename(oldname, newname string) error {
	if err := f.op("rename", oldname+" "+newname); err != nil {
		return err
	}
	return f.FS.Rename(oldname, newname)
}

// RenameNoReplace implements rootfs.FS.
func (f *FS) RenameNoReplace(oldname, newname string) error {
	if err := f.op("renamenoreplace", oldname+" "+newname); err != nil {
		return err
	}
	return f.FS.RenameNoReplace(oldname, newname)
}

// SymlinkIfPossible implements afero.Linker.
func (f *FS) SymlinkIfPossible(oldname, newname string) error {
	if err := f.op("symlink", newname); err != nil {
		return err
	}
	return f.FS.SymlinkIfPossible(oldname, newname)
}

// Chmod implements afero.Fs.
func (f *FS) Chmod(name string, mode os.FileMode) error {
	if err := f.op("chmod", name); err != nil {
		return err
	}
	return f.FS.Chmod(name, mode)
}

// Chown implements afero.Fs.
func (f *FS) Chown(name string, uid, gid int) error {
	if err := f.op("chown", name); err != nil {
		return err
	}
	return f.FS.Chown(name, uid, gid)
}

// Chtimes implements afero.Fs.
func (f *FS) Chtimes(name string, atime, mtime time.Time) error {
	if err := f.op("chtimes", name); err != nil {
		return err
	}
	return f.FS.Chtimes(name, atime, mtime)
}

func (f *FS) wrap(file afero.File, write bool) afero.File {
	if file == nil {
		return nil
	}
	return &File{File: file, fs: f, write: write}
}

// File counts the mutating operations on a file of FS.
type File struct {
	afero.File
	fs    *FS
	write bool
}

// Fd returns the descriptor of the wrapped file, or ^uintptr(0) when it has none.
func (f *File) Fd() uintptr {
	if d, ok := f.File.(interface{ Fd() uintptr }); ok {
		return d.Fd()
	}
	return ^uintptr(0)
}

// Write implements afero.File.
func (f *File) Write(p []byte) (int, error) {
	if err := f.fs.op("write", f.Name()); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

// WriteAt implements afero.File.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if err := f.fs.op("writeat", f.Name()); err != nil {
		return 0, err
	}
	return f.File.WriteAt(p, off)
}

// WriteString implements afero.File.
func (f *File) WriteString(s string) (int, error) {
	if err := f.fs.op("writestring", f.Name()); err != nil {
		return 0, err
	}
	return f.File.WriteString(s)
}

// Truncate implements afero.File.
func (f *File) Truncate(size int64) error {
	if err := f.fs.op("truncate", f.Name()); err != nil {
		return err
	}
	return f.File.Truncate(size)
}

// Sync implements afero.File.
func (f *File) Sync() error {
	if err := f.fs.op("sync", f.Name()); err != nil {
		return err
	}
	return f.File.Sync()
}

// Close implements afero.File. A failed Close of a written file still closes it, as
// close(2) does.
func (f *File) Close() error {
	if f.write {
		if err := f.fs.op("close", f.Name()); err != nil {
			f.File.Close()
			return err
		}
	}
	return f.File.Close()
}

// OpenDir implements rootfs.FS; the Dir counts its mutating operations as FS does.
func (f *FS) OpenDir(name string) (rootfs.Dir, error) {
	d, err := f.FS.OpenDir(name)
	if err != nil {
		return nil, err
	}
	return &dir{Dir: d, fs: f}, nil
}

// dir counts the mutating operations on a Dir of FS, named by full path.
type dir struct {
	rootfs.Dir
	fs *FS
}

func (d *dir) path(name string) string { return path.Join(d.Name(), name) }

// Open implements rootfs.Dir.
func (d *dir) Open(name string) (afero.File, error) {
	file, err := d.Dir.Open(name)
	return d.fs.wrap(file, false), err
}

// Create implements rootfs.Dir.
func (d *dir) Create(name string, perm os.FileMode) (afero.File, error) {
	if err := d.fs.op("openfile", d.path(name)); err != nil {
		return nil, err
	}
	file, err := d.Dir.Create(name, perm)
	return d.fs.wrap(file, true), err
}

// Symlink implements rootfs.Dir.
func (d *dir) Symlink(target, name string) error {
	if err := d.fs.op("symlink", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Symlink(target, name)
}

// Mkdir implements rootfs.Dir.
func (d *dir) Mkdir(name string, perm os.FileMode) error {
	if err := d.fs.op("mkdir", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Mkdir(name, perm)
}

// Chmod implements rootfs.Dir.
func (d *dir) Chmod(name string, mode os.FileMode) error {
	if err := d.fs.op("chmod", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Chmod(name, mode)
}

// Lchown implements rootfs.Dir.
func (d *dir) Lchown(name string, uid, gid int) error {
	if err := d.fs.op("chown", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Lchown(name, uid, gid)
}

// Lchtimes implements rootfs.Dir.
func (d *dir) Lchtimes(name string, atime, mtime time.Time) error {
	if err := d.fs.op("chtimes", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Lchtimes(name, atime, mtime)
}

// Link implements rootfs.Dir.
func (d *dir) Link(oldname, newname string) error {
	if err := d.fs.op("link", d.path(oldname)+" "+d.path(newname)); err != nil {
		return err
	}
	return d.Dir.Link(oldname, newname)
}

// Rename implements rootfs.Dir.
func (d *dir) Rename(oldname, newname string) error {
	if err := d.fs.op("rename", d.path(oldname)+" "+d.path(newname)); err != nil {
		return err
	}
	return d.Dir.Rename(oldname, newname)
}

// RenameNoReplace implements rootfs.Dir.
func (d *dir) RenameNoReplace(oldname, newname string) error {
	if err := d.fs.op("renamenoreplace", d.path(oldname)+" "+d.path(newname)); err != nil {
		return err
	}
	return d.Dir.RenameNoReplace(oldname, newname)
}

// Remove implements rootfs.Dir.
func (d *dir) Remove(name string) error {
	if err := d.fs.op("remove", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Remove(name)
}

// Rmdir implements rootfs.Dir.
func (d *dir) Rmdir(name string) error {
	if err := d.fs.op("remove", d.path(name)); err != nil {
		return err
	}
	return d.Dir.Rmdir(name)
}

// Sync implements rootfs.Dir.
func (d *dir) Sync() error {
	if err := d.fs.op("sync", d.Name()); err != nil {
		return err
	}
	return d.Dir.Sync()
}
