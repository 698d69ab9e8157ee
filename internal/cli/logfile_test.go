package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// runProcess runs the command line in a child process with env added, killing it
// after timeout.
func runProcess(t *testing.T, timeout time.Duration, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "LINUX_LIBRUST_RUN_CLI=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v still runs after %s: %s", args, timeout, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return result{code, out.String(), errb.String()}
}

// Something other than a regular file at the log's place is refused at once and
// never waited on, and it never fails the command: the log is a record, not the job.
func TestBadLogFileIsRefusedNotWaitedOn(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	const logRel = "var/log/linux-librust.log"
	tests := []struct {
		name string
		make func(t *testing.T, p string)
		want string
	}{
		{"fifo", func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o644)) }, "is a FIFO"},
		{"device", func(t *testing.T, p string) {
			if err := unix.Mknod(p, unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))); err != nil {
				t.Skipf("cannot make a device node: %v", err)
			}
		}, "is a character device"},
		{"symlink", func(t *testing.T, p string) { require.NoError(t, os.Symlink("../../etc/passwd", p)) }, "is a symbolic link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, c := range []struct {
				env  []string
				args []string
			}{
				{nil, []string{"link", abi}},
				{nil, []string{"repair", abi}},
				{[]string{"DEB_MAINT_PARAMS=configure"}, []string{"hook", "header_postinst.d", abi}},
			} {
				root := collected(t)
				logFile := filepath.Join(root, logRel)
				require.NoError(t, os.MkdirAll(filepath.Dir(logFile), 0o755))
				require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0\n"), 0o644))
				tt.make(t, logFile)
				before, err := os.Lstat(logFile)
				require.NoError(t, err)

				r := runProcess(t, 20*time.Second, append(c.env, "DPKG_ROOT="+root), c.args...)
				assert.Equal(t, ExitOK, r.code, "%v: %s", c.args, r.stderr)
				assert.Equal(t, 1, strings.Count(r.stderr, "W: "), "%v warns once: %s", c.args, r.stderr)
				assert.Contains(t, r.stderr, "W: cannot open log /"+logRel+": "+tt.want)
				assert.Contains(t, r.stderr, "remove it")
				assert.Contains(t, r.stderr, "I: link ", "%v still links", c.args)
				after, err := os.Lstat(logFile)
				require.NoError(t, err)
				assert.Equal(t, before.Mode(), after.Mode(), "the object at the log's place is left alone")
				passwd, err := os.ReadFile(filepath.Join(root, "etc/passwd"))
				require.NoError(t, err)
				assert.Equal(t, "root:x:0:0\n", string(passwd), "nothing is written through a link")
			}
		})
	}
}
