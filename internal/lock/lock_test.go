package lock

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

const lockPath = "/var/lib/linux-librust/lock"

func newRoot(t *testing.T) (rootfs.FS, string) {
	t.Helper()
	syscall.Umask(0o022)
	dir := t.TempDir()
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	return fsys, dir
}

func lockedTree(content string) map[string]string {
	return map[string]string{
		"/var":                        "dir 0755",
		"/var/lib":                    "dir 0755",
		"/var/lib/linux-librust":      "dir 0755",
		"/var/lib/linux-librust/lock": treedump.File(0o644, content),
	}
}

func TestAcquireRelease(t *testing.T) {
	fsys, dir := newRoot(t)
	l, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)

	// Taking the lock writes nothing.
	assert.Equal(t, lockedTree(""), treedump.Dump(t, dir))

	require.NoError(t, l.Release())
	assert.Equal(t, lockedTree(""), treedump.Dump(t, dir))
	require.NoError(t, l.Release(), "second release")
	require.NoError(t, (*Lock)(nil).Release())

	l, err = Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err, "acquire after release")
	require.NoError(t, l.Release())
}

// wrapped is a file system wrapped as tests wrap it (fault injection): its files are not
// *os.File, and the lock works through it all the same.
type wrapped struct{ rootfs.FS }

func (w wrapped) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, err := w.FS.OpenFile(name, flag, perm)
	return struct{ afero.File }{f}, err
}

func TestAcquireThroughWrapper(t *testing.T) {
	fsys, dir := newRoot(t)
	l, err := Acquire(wrapped{fsys}, lockPath, 0, nil)
	require.NoError(t, err)
	_, err = Acquire(fsys, lockPath, 0, nil)
	require.ErrorIs(t, err, ErrBusy, "the wrapper's lock is the real one")
	require.NoError(t, l.Release())
	assert.Equal(t, lockedTree(""), treedump.Dump(t, dir))
}

func TestBusy(t *testing.T) {
	tests := []struct {
		name string
		wait time.Duration
	}{
		{"no wait", 0},
		{"negative wait", -time.Second},
		{"wait expires", 200 * time.Millisecond},
	}
	fsys, dir := newRoot(t)
	held, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	defer held.Release()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			l, err := Acquire(fsys, lockPath, tt.wait, nil)
			require.Nil(t, l)
			require.ErrorIs(t, err, ErrBusy)
			assert.Equal(t, "lock held by another process: "+lockPath+" is held by process "+
				strconv.Itoa(os.Getpid())+"; wait for it to finish, or check for a stuck linux-librust process", err.Error())
			assert.GreaterOrEqual(t, time.Since(start), tt.wait)
			assert.Less(t, time.Since(start), tt.wait+2*time.Second)
		})
	}
	assert.Equal(t, lockedTree(""), treedump.Dump(t, dir))
}

func TestWaitIsAnnouncedOnce(t *testing.T) {
	fsys, _ := newRoot(t)
	held, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	defer held.Release()
	var told []BusyError
	_, err = Acquire(fsys, lockPath, 300*time.Millisecond, func(b *BusyError) { told = append(told, *b) })
	require.ErrorIs(t, err, ErrBusy)
	assert.Equal(t, []BusyError{{Path: lockPath, Holder: "process " + strconv.Itoa(os.Getpid())}}, told)

	told = nil
	_, err = Acquire(fsys, lockPath, 0, func(b *BusyError) { told = append(told, *b) })
	require.ErrorIs(t, err, ErrBusy)
	assert.Empty(t, told, "no wait, nothing to announce")
}

func TestBusyWithoutLockTable(t *testing.T) {
	fsys, _ := newRoot(t)
	held, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	defer held.Release()
	saved := procLocks
	procLocks = filepath.Join(t.TempDir(), "missing")
	defer func() { procLocks = saved }()
	_, err = Acquire(fsys, lockPath, 0, nil)
	require.ErrorIs(t, err, ErrBusy)
	assert.Contains(t, err.Error(), lockPath+" is held by another process;")
}

func TestWaitForRelease(t *testing.T) {
	fsys, _ := newRoot(t)
	held, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	go func() {
		time.Sleep(150 * time.Millisecond)
		held.Release()
	}()
	start := time.Now()
	l, err := Acquire(fsys, lockPath, 10*time.Second, nil)
	require.NoError(t, err)
	defer l.Release()
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

// TestNotRegularRefused plants what is not a regular file at the lock's path: each is
// refused at once, never opened for good nor waited on, and left in place.
func TestNotRegularRefused(t *testing.T) {
	tests := []struct {
		name  string
		plant func(t *testing.T, fsys rootfs.FS, abs string)
		what  string
	}{
		{"symbolic link to a missing file", link("/etc/shadow-target"), "is a symbolic link, which is never followed"},
		{"symbolic link to a file", link("/victim"), "is a symbolic link, which is never followed"},
		{"relative symbolic link", link("../../../victim"), "is a symbolic link, which is never followed"},
		{"FIFO", func(t *testing.T, _ rootfs.FS, abs string) { require.NoError(t, syscall.Mkfifo(abs, 0o644)) }, "is a FIFO, not a regular file"},
		{"character device", func(t *testing.T, _ rootfs.FS, abs string) {
			if os.Geteuid() != 0 {
				t.Skip("mknod of a device needs root")
			}
			require.NoError(t, syscall.Mknod(abs, syscall.S_IFCHR|0o666, int(unix.Mkdev(1, 3)))) // as /dev/null
		}, "is a character device, not a regular file"},
		{"directory", func(t *testing.T, _ rootfs.FS, abs string) { require.NoError(t, os.Mkdir(abs, 0o755)) }, "is a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys, dir := newRoot(t)
			require.NoError(t, fsys.MkdirAll("/var/lib/linux-librust", 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "victim"), []byte("keep"), 0o600))
			tt.plant(t, fsys, filepath.Join(dir, lockPath))
			before := treedump.Dump(t, dir)

			type result struct {
				l   *Lock
				err error
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				l, err := Acquire(fsys, lockPath, time.Second, nil)
				done <- result{l, err}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Acquire blocked on what is at the lock's path")
			}
			assert.Less(t, time.Since(start), 500*time.Millisecond, "refused at once, not after the wait of 1s")
			require.Nil(t, r.l)
			require.ErrorIs(t, r.err, rootfs.ErrNotRegular)
			assert.NotErrorIs(t, r.err, ErrBusy)
			assert.Equal(t, "lock file "+lockPath+" "+tt.what+"; remove it, and the next run creates it anew", r.err.Error())
			assert.Equal(t, before, treedump.Dump(t, dir))
		})
	}
}

func link(target string) func(*testing.T, rootfs.FS, string) {
	return func(t *testing.T, fsys rootfs.FS, _ string) {
		require.NoError(t, fsys.SymlinkIfPossible(target, lockPath))
	}
}

// replacing is a file system on which the lock file is replaced by another between
// its open and the check after the flock.
type replacing struct {
	rootfs.FS
	dir   string
	tries *int
}

func (r replacing) LockFile(name string, perm os.FileMode) (afero.File, error) {
	*r.tries++
	f, err := r.FS.LockFile(name, perm)
	if err == nil {
		tmp := filepath.Join(r.dir, "new-lock")
		if werr := os.WriteFile(tmp, nil, 0o644); werr != nil {
			return nil, werr
		}
		if rerr := os.Rename(tmp, filepath.Join(r.dir, name)); rerr != nil {
			return nil, rerr
		}
	}
	return f, err
}

func TestReplacedWhileLocking(t *testing.T) {
	fsys, dir := newRoot(t)
	for _, wait := range []time.Duration{0, 200 * time.Millisecond} {
		tries := 0
		l, err := Acquire(replacing{fsys, dir, &tries}, lockPath, wait, nil)
		require.Nil(t, l)
		require.ErrorIs(t, err, ErrBusy)
		if wait == 0 {
			assert.Equal(t, 1, tries, "no wait: one try")
		} else {
			assert.Greater(t, tries, 1, "retried until the wait is over")
		}
		assert.Equal(t, "lock file "+lockPath+" was replaced while it was being locked; retry; "+
			"if it happens again, find what removes or replaces the file (only linux-librust should)", err.Error())
	}
	assert.Equal(t, lockedTree(""), treedump.Dump(t, dir))
}

func TestCreateDirectoryFails(t *testing.T) {
	fsys, dir := newRoot(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "var"), nil, 0o644))
	_, err := Acquire(fsys, lockPath, 0, nil)
	require.ErrorContains(t, err, "create lock directory for "+lockPath+": ")
	require.ErrorIs(t, err, syscall.ENOTDIR)
}

// TestReleasedOnClose shows the lock goes with its descriptor: closing the
// file without Release frees it.
func TestReleasedOnClose(t *testing.T) {
	fsys, _ := newRoot(t)
	held, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	require.NoError(t, held.f.Close())
	l, err := Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	require.NoError(t, l.Release())
}

const childEnv = "LINUX_LIBRUST_LOCK_TEST_ROOT"

// TestHelperHolder is not a test: run as a child process by
// TestReleasedOnDeath, it holds the lock until killed.
func TestHelperHolder(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("runs only as the child of TestReleasedOnDeath")
	}
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	_, err = Acquire(fsys, lockPath, 0, nil)
	require.NoError(t, err)
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Minute)
	t.Fatal("not killed")
}

func TestReleasedOnDeath(t *testing.T) {
	fsys, dir := newRoot(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHolder$", "-test.v")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer cmd.Process.Kill()

	done := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "locked" {
				done <- sc.Text()
				return
			}
		}
		done <- fmt.Sprintf("child ended without the lock: %v", sc.Err())
	}()
	select {
	case got := <-done:
		require.Equal(t, "locked", got)
	case <-time.After(30 * time.Second):
		t.Fatal("child did not take the lock")
	}

	_, err = Acquire(fsys, lockPath, 100*time.Millisecond, nil)
	require.ErrorIs(t, err, ErrBusy)
	assert.Contains(t, err.Error(), "held by process "+strconv.Itoa(cmd.Process.Pid)+";")

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	l, err := Acquire(fsys, lockPath, 5*time.Second, nil)
	require.NoError(t, err, "lock not released by the killed holder")
	require.NoError(t, l.Release())
}

// refusing fails every lock file open with err, and with mkdir set every directory
// made, as the kernel does for a user who may not write there or on a read-only file
// system.
type refusing struct {
	rootfs.FS
	err   error
	mkdir bool
}

func (r refusing) LockFile(name string, _ os.FileMode) (afero.File, error) {
	return nil, &os.PathError{Op: "open", Path: name, Err: r.err}
}

func (r refusing) Mkdir(name string, perm os.FileMode) error {
	if r.mkdir {
		return &os.PathError{Op: "mkdir", Path: name, Err: r.err}
	}
	return r.FS.Mkdir(name, perm)
}

// TestAccessRefused: a lock file, or its directory, that the process may not make
// names the cause and the fix (root; for root, the modes and the immutable flag; a
// writable system), and nothing is left behind.
func TestAccessRefused(t *testing.T) {
	const (
		asUser = "this command changes the system: run it as root (status and verify need no root)"
		asRoot = "check the modes of /var/lib/linux-librust and what is in it, and lsattr for the immutable flag"
		rofs   = "remount it read-write, or name a writable system with --root"
	)
	dirs := map[string]string{"/var": "dir 0755", "/var/lib": "dir 0755", "/var/lib/linux-librust": "dir 0755"}
	for _, tc := range []struct {
		name  string
		err   error
		uid   int
		mkdir bool
		want  string
		tree  map[string]string
	}{
		{"user", syscall.EACCES, 1000, false, "cannot be created or opened: permission denied; " + asUser, dirs},
		{"user, EPERM", syscall.EPERM, 1000, false, "cannot be created or opened: permission denied; " + asUser, dirs},
		{"root", syscall.EPERM, 0, false, "cannot be created or opened: permission denied, to root; " + asRoot, dirs},
		{"read-only", syscall.EROFS, 0, false, "cannot be created or opened: the file system is read-only; " + rofs, dirs},
		{"user, directory", syscall.EACCES, 1000, true, "its directory /var/lib/linux-librust cannot be made: permission denied; " + asUser, map[string]string{}},
		{"read-only, directory", syscall.EROFS, 0, true, "its directory /var/lib/linux-librust cannot be made: the file system is read-only; " + rofs, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := euid
			t.Cleanup(func() { euid = old })
			euid = func() int { return tc.uid }
			fsys, dir := newRoot(t)
			l, err := Acquire(refusing{fsys, tc.err, tc.mkdir}, lockPath, time.Second, nil)
			require.Nil(t, l)
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, "lock file "+lockPath+" "+tc.want, err.Error())
			assert.ErrorIs(t, err, tc.err)
			assert.Equal(t, tc.tree, treedump.Dump(t, dir))
		})
	}
}
