// Package lock serializes linux-librust instances with an exclusive flock(2)
// on a lock file. The kernel drops the lock when its holder exits, however it
// exits, so a lock is never left stale. The file stays, empty: taking the lock
// writes nothing, and the holder named in messages comes from /proc/locks.
package lock

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// ErrBusy is matched (errors.Is) by the error of Acquire when another process
// still holds the lock after the wait.
var ErrBusy = errors.New("lock held by another process")

// BusyError is the error of an attempt on a lock another process holds; it
// matches ErrBusy.
type BusyError struct {
	Path   string
	Holder string // "process 4242", or "another process" when it cannot be told
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%v: %s is held by %s; wait for it to finish, or check for a stuck linux-librust process", ErrBusy, e.Path, e.Holder)
}

func (e *BusyError) Is(target error) bool { return target == ErrBusy }

// FileError is a lock file that cannot be used as one: what is wrong with it, and
// the fix. It unwraps to the cause (a *rootfs.NotRegularError, ErrBusy for a file
// replaced while it was being locked, or the error of a file the process may not
// create or open).
type FileError struct {
	Path    string
	Problem string // what is wrong, after the path: "is a FIFO, not a regular file"
	Fix     string // what to do about it
	Err     error
}

func (e *FileError) Error() string { return "lock file " + e.Path + " " + e.Problem + "; " + e.Fix }

func (e *FileError) Unwrap() error { return e.Err }

// pollInterval is how often Acquire retries a held lock.
const pollInterval = 50 * time.Millisecond

// Lock is a held lock; Release frees it.
type Lock struct {
	f    io.Closer
	path string
}

// Acquire takes the exclusive lock on path (inside fsys), creating the file
// (0644) and its parent directory (0755) if needed. While another process holds
// it, Acquire retries every 50ms until wait has passed (wait <= 0 tries once),
// then fails with an error matching ErrBusy that names the holder's pid; onWait,
// when not nil, is called once when it finds the lock held and starts to wait.
// Anything but a regular file at path (a symbolic link, a FIFO, a device) is
// refused at once, never followed nor waited on.
func Acquire(fsys rootfs.FS, path string, wait time.Duration, onWait func(*BusyError)) (*Lock, error) {
	if err := rootfs.MkdirAll(fsys, dir(path), 0o755); err != nil {
		if fe := accessError(path, "its directory "+dir(path)+" cannot be made", err); fe != nil {
			return nil, fe
		}
		return nil, fmt.Errorf("create lock directory for %s: %w", path, err)
	}
	deadline := time.Now().Add(wait)
	for {
		l, err := tryAcquire(fsys, path)
		if err == nil {
			return l, nil
		}
		if !errors.Is(err, ErrBusy) || !time.Now().Before(deadline) {
			return nil, err
		}
		var busy *BusyError
		if onWait != nil && errors.As(err, &busy) {
			onWait(busy)
			onWait = nil
		}
		time.Sleep(min(pollInterval, time.Until(deadline)))
	}
}

func dir(p string) string { return path.Dir(path.Clean("/" + p)) }

// tryAcquire makes one attempt; a held lock fails with a *BusyError.
func tryAcquire(fsys rootfs.FS, path string) (*Lock, error) {
	f, err := fsys.LockFile(path, 0o644)
	var nr *rootfs.NotRegularError
	switch {
	case errors.Is(err, rootfs.ErrLocked):
		msg := "another process"
		if fi, serr := fsys.Stat(path); serr == nil {
			msg = holder(procLocks, fi)
		}
		return nil, &BusyError{Path: path, Holder: msg}
	case errors.As(err, &nr):
		problem := nr.Error()
		if nr.Type&fs.ModeSymlink != 0 {
			problem = "is a symbolic link, which is never followed"
		}
		return nil, &FileError{Path: path, Problem: problem, Fix: "remove it, and the next run creates it anew", Err: err}
	case err != nil:
		if fe := accessError(path, "cannot be created or opened", err); fe != nil {
			return nil, fe
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file may have been replaced between open and flock: lock what the
	// path names now, or try again.
	cur, err := fsys.Stat(path)
	if fi, ferr := f.Stat(); err != nil || ferr != nil || !rootfs.SameFile(cur, fi) {
		f.Close()
		return nil, &FileError{Path: path, Problem: "was replaced while it was being locked",
			Fix: "retry; if it happens again, find what removes or replaces the file (only linux-librust should)", Err: ErrBusy}
	}
	return &Lock{f: f, path: path}, nil
}

// accessError is the FileError of a lock file that cannot be made or opened (what
// failed: the problem before its cause) because of who runs the tool or where:
// permission denied, or a read-only file system; nil for another err.
func accessError(path, what string, err error) *FileError {
	switch {
	case errors.Is(err, fs.ErrPermission) && euid() != 0:
		return &FileError{Path: path, Problem: what + ": permission denied",
			Fix: "this command changes the system: run it as root (status and verify need no root)", Err: err}
	case errors.Is(err, fs.ErrPermission):
		return &FileError{Path: path, Problem: what + ": permission denied, to root",
			Fix: "check the modes of " + dir(path) + " and what is in it, and lsattr for the immutable flag", Err: err}
	case errors.Is(err, syscall.EROFS):
		return &FileError{Path: path, Problem: what + ": the file system is read-only",
			Fix: "remount it read-write, or name a writable system with --root", Err: err}
	}
	return nil
}

// euid is the effective user the process runs as.
var euid = os.Geteuid

// procLocks is the kernel's table of file locks (proc(5)); it lists the pid of each
// lock's holder, so nothing has to be written to the lock file.
var procLocks = "/proc/locks"

// holder names the process holding a flock on the file fi, from the lock table;
// "another process" when the table is unreadable (a chroot without /proc).
func holder(table string, fi os.FileInfo) string {
	const unknown = "another process"
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return unknown
	}
	data, err := os.ReadFile(table)
	if err != nil {
		return unknown
	}
	// "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF": pid, then major:minor:inode.
	dev := uint64(st.Dev) // uint32 on mips
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), st.Ino)
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && f[5] == id {
			if pid, err := strconv.Atoi(f[4]); err == nil && pid > 0 {
				return "process " + strconv.Itoa(pid)
			}
		}
	}
	return unknown
}

// Release frees the lock. Releasing twice, or a nil Lock, does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}
