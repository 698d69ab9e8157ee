package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// nobody is the ordinary user the access tests run the tool as.
const nobody = 65534

// becomeUser drops the child of runAs to the user uid (its group too, no other
// groups) before it runs the tool: the kernel then checks its access for real.
func becomeUser(uid string) {
	n, err := strconv.Atoi(uid)
	if err == nil {
		err = syscall.Setgroups(nil)
	}
	if err == nil {
		err = syscall.Setgid(n)
	}
	if err == nil {
		err = syscall.Setuid(n)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "become user %s: %v\n", uid, err)
		os.Exit(99)
	}
}

// runAs runs the command line in a child process as the user uid, with env added.
func runAs(t *testing.T, uid int, env []string, args ...string) result {
	t.Helper()
	r := runProcess(t, 30*time.Second, append(env, "LINUX_LIBRUST_TEST_UID="+strconv.Itoa(uid)), args...)
	if r.code == 99 && strings.HasPrefix(r.stderr, "become user ") {
		t.Skipf("cannot run a child as another user here: %s", r.stderr)
	}
	return r
}

// openUp lets every user search the directories from dir up to the temporary
// directory the test made it in.
func openUp(t *testing.T, dir string) {
	t.Helper()
	tmp := filepath.Clean(os.TempDir())
	for d := dir; strings.HasPrefix(d, tmp+"/"); d = filepath.Dir(d) {
		require.NoError(t, os.Chmod(d, 0o755))
	}
}

// TestAsAnotherUser runs the tool as an ordinary user on a linked system, with the
// kernel checking access for real: what that user may not read or change is named
// with a fix about access (chmod, or root), never reported as damage to repair or
// reinstall, and nothing changes.
func TestAsAnotherUser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root, to run a child as another user")
	}
	const (
		artifacts = "/usr/lib/linux-librust-" + abi
		headers   = "/usr/src/linux-headers-" + abi
	)
	tests := []struct {
		name    string
		change  func(t *testing.T, root string)
		args    []string
		env     []string
		code    int
		lines   []string // each found in stderr
		without []string
	}{
		{
			name: "status of an intact system",
			args: []string{"status", abi}, code: ExitOK,
		},
		{
			name: "link takes the lock",
			args: []string{"link", abi}, code: ExitProblems,
			lines: []string{"E: lock file /var/lib/linux-librust/lock cannot be created or opened: permission denied; " +
				"this command changes the system: run it as root (status and verify need no root)\n"},
		},
		{
			name: "unlink takes the lock",
			args: []string{"unlink", abi}, code: ExitProblems,
			lines: []string{"E: lock file /var/lib/linux-librust/lock cannot be created or opened: permission denied; " +
				"this command changes the system: run it as root (status and verify need no root)\n"},
		},
		{
			name: "repair takes the lock",
			args: []string{"repair", "--all"}, code: ExitProblems,
			lines: []string{"E: lock file /var/lib/linux-librust/lock cannot be created or opened: permission denied; " +
				"this command changes the system: run it as root (status and verify need no root)\n"},
		},
		{
			name: "a kernel hook takes the lock",
			args: []string{"hook", "header_postinst.d", abi}, env: []string{"DEB_MAINT_PARAMS=configure"}, code: ExitProblems,
			lines: []string{"E: repair " + abi + ": lock file /var/lib/linux-librust/lock cannot be created or opened: permission denied; " +
				"this command changes the system: run it as root (status and verify need no root)\n"},
		},
		{
			name:   "an artifact only root may read",
			change: func(t *testing.T, root string) { chmod(t, root, artifacts+"/rust/libmacros.so", 0o600) },
			args:   []string{"verify", abi}, code: ExitProblems,
			lines: []string{
				abi + ": warning: artifact-not-world-readable: " + artifacts + "/rust/libmacros.so: mode 0600",
				abi + ": error: artifact-unreadable: " + artifacts + "/rust/libmacros.so: open " + artifacts +
					"/rust/libmacros.so: permission denied; fix: let module builds as this user read it (chmod a+r " +
					artifacts + "/rust/libmacros.so, and a+x on each directory above it that lacks it), or run linux-librust as root\n",
			},
		},
		{
			name: "a directory only root may search",
			change: func(t *testing.T, root string) {
				chmod(t, root, artifacts+"/rust", 0o700)
				// A link into the artifacts tree the manifest does not list, left by an
				// older set: it leads somewhere, but not for this user.
				require.NoError(t, os.Symlink("../../../lib/linux-librust-"+abi+"/rust/libcore.rmeta",
					filepath.Join(root, headers, "rust/libold.rmeta")))
			},
			args: []string{"verify", abi}, code: ExitProblems,
			lines: []string{
				abi + ": warning: directory-not-searchable: " + artifacts + "/rust: mode 0700",
				abi + ": error: link-unreachable: " + headers + "/rust/libmacros.so: cannot be followed by this user: ",
				"fix: let module builds as this user read it (chmod a+r " + artifacts + "/rust/libmacros.so, and a+x",
			},
			without: []string{"link-dangling", "repair"},
		},
		{
			name:   "status with a directory only root may search",
			change: func(t *testing.T, root string) { chmod(t, root, artifacts+"/rust", 0o700) },
			args:   []string{"status", abi}, code: ExitProblems,
			lines: []string{"E: inspect " + artifacts + "/rust/libcore.rmeta: lstat " + artifacts + "/rust/libcore.rmeta: " +
				"permission denied; fix: let this user reach it (a+x on each directory above " + artifacts +
				"/rust/libcore.rmeta that lacks it), or run linux-librust status as root\n"},
		},
		{
			name:   "a .config only root may read",
			change: func(t *testing.T, root string) { chmod(t, root, headers+"/.config", 0o600) },
			args:   []string{"verify", abi}, code: ExitProblems,
			lines: []string{abi + ": error: config-unreadable: " + headers + "/.config: open " + headers +
				"/.config: permission denied; fix: let module builds as this user read it (chmod a+r " + headers +
				"/.config, and a+x on each directory above it that lacks it), or run linux-librust as root; " +
				"reinstalling linux-headers-" + abi + " restores its mode\n"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build, root := system(t)
			r := run(t, nil, "collect", "--build-dir", build, "--abi", abi, "--dest", filepath.Join(root, artifacts))
			require.Equal(t, ExitOK, r.code, r.stderr)
			r = run(t, nil, "--root", root, "link", abi)
			require.Equal(t, ExitOK, r.code, r.stderr)
			if tt.change != nil {
				tt.change(t, root)
			}
			openUp(t, root)
			before := treedump.Dump(t, root)
			r = runAs(t, nobody, tt.env, append([]string{"--root", root}, tt.args...)...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			for _, l := range tt.lines {
				assert.Contains(t, r.stderr+r.stdout, l)
			}
			for _, w := range tt.without {
				assert.NotContains(t, r.stderr+r.stdout, w)
			}
			assert.Equal(t, before, treedump.Dump(t, root), "nothing changed")
		})
	}
}

func chmod(t *testing.T, root, p string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.Chmod(filepath.Join(root, p), mode))
}
