// Package lock serializes linux-librust instances with an exclusive flock(2)
// on a lock file. The kernel drops the lock when its holder exits, however it
// exits, so a lock is never left stale; the file itself stays and holds the
// holder's pid for messages.
package lock

import (
	"errors"
	"fmt"
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

// pollInterval is how often Acquire retries a held lock.
const pollInterval = 50 * time.Millisecond

// Lock is a held lock; Release frees it.
type Lock struct {
	f    *os.File
	path string
}

type fder interface {
	Fd() uintptr
}

// Acquire takes the exclusive lock on path (inside fsys), creating the file
// (0644) and its parent directory (0755) if needed. While another process holds
// it, Acquire retries every 50ms until wait has passed (wait <= 0 tries once),
// then fails with an error matching ErrBusy that names the holder's pid. A
// symbolic link at path is refused, never followed.
func Acquire(fsys rootfs.FS, path string, wait time.Duration) (*Lock, error) {
	if err := fsys.MkdirAll(dir(path), 0o755); err != nil {
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
		time.Sleep(min(pollInterval, time.Until(deadline)))
	}
}

func dir(p string) string { return path.Dir(path.Clean("/" + p)) }

// tryAcquire makes one attempt; a held lock fails with ErrBusy.
func tryAcquire(fsys rootfs.FS, path string) (*Lock, error) {
	af, err := fsys.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, fmt.Errorf("open lock file %s: it is a symbolic link, which is never followed; remove it and retry: %w", path, err)
		}
		return nil, fmt.Errorf("open lock file %s: %w", path, err)
	}
	f, ok := af.(*os.File)
	if !ok {
		af.Close()
		return nil, fmt.Errorf("lock %s: file system %s cannot lock files", path, fsys.Name())
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if err == unix.EWOULDBLOCK {
		msg := holder(f)
		f.Close()
		return nil, fmt.Errorf("%w: %s is held by %s; wait for it to finish, or check for a stuck linux-librust process", ErrBusy, path, msg)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, &os.PathError{Op: "flock", Path: path, Err: err})
	}
	// The file may have been replaced between open and flock: lock what the
	// path names now, or try again.
	cur, err := fsys.Stat(path)
	if fi, ferr := f.Stat(); err != nil || ferr != nil || !os.SameFile(cur, fi) {
		f.Close()
		return nil, fmt.Errorf("%w: %s was replaced while locking", ErrBusy, path)
	}
	if err := writePid(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("write pid to lock file %s: %w", path, err)
	}
	return &Lock{f: f, path: path}, nil
}

// holder describes the process whose pid is in the lock file.
func holder(f *os.File) string {
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return "another process"
	}
	return "process " + strconv.Itoa(pid)
}

func writePid(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// Path is the lock file, as given to Acquire.
func (l *Lock) Path() string { return l.path }

// Release frees the lock. Releasing twice, or a nil Lock, does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	_ = f.Truncate(0) // the pid is stale once released
	if err := f.Close(); err != nil {
		return fmt.Errorf("release lock %s: %w", l.path, err)
	}
	return nil
}
