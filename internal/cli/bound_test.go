package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

// TestVerifyFullBoundedMemory runs verify --full as a process on a set whose largest
// .rmeta became a huge sparse file that the manifest agrees with: its peak memory stays
// bounded (it is hashed in windows), and one larger than any real artifact is not read.
func TestVerifyFullBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 768 MiB in a child process")
	}
	for _, tc := range []struct {
		size int64
		want string
	}{
		{768 << 20, "error: checksum-mismatch: /usr/lib/linux-librust-" + abi + "/rust/libcore.rmeta"},
		{2 << 30, "error: artifact-too-large: /usr/lib/linux-librust-" + abi + "/rust/libcore.rmeta: 2147483648 bytes"},
	} {
		root := collected(t)
		require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
		fsys, err := rootfs.New(root)
		require.NoError(t, err)
		arts := layout.Artifacts(abi)
		require.NoError(t, os.Truncate(filepath.Join(root, arts, "rust/libcore.rmeta"), tc.size))
		m, err := manifest.Read(fsys, arts)
		require.NoError(t, err)
		for i := range m.Artifacts {
			if m.Artifacts[i].Path == "rust/libcore.rmeta" {
				m.Artifacts[i].Size = tc.size
			}
		}
		require.NoError(t, manifest.Write(fsys, arts, m))

		cmd := exec.Command(os.Args[0], "--root", root, "verify", "--full", abi)
		cmd.Env = append(os.Environ(), "LINUX_LIBRUST_RUN_CLI=1")
		out, err := cmd.Output()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		assert.Equal(t, ExitProblems, ee.ExitCode())
		assert.Contains(t, string(out), tc.want)
		peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
		assert.Less(t, peak, int64(128<<20), "peak RSS %d MiB for a %d MiB artifact", peak>>20, tc.size>>20)
	}
}

// TestVerifyFullUnreadableByUsers: root can read an artifact of mode 000, a module build
// as a user cannot: verify --full says so and exits 1.
func TestVerifyFullUnreadableByUsers(t *testing.T) {
	root := collected(t)
	require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
	p := layout.Artifacts(abi) + "/rust/libcore.rmeta"
	require.NoError(t, os.Chmod(filepath.Join(root, p), 0))
	r := run(t, nil, "--root", root, "verify", "--full", abi)
	assert.Equal(t, ExitProblems, r.code, r.stdout)
	assert.Contains(t, r.stdout, abi+": warning: artifact-not-world-readable: "+p+": mode 0000: module builds as a user other than root cannot read it; fix: chmod a+r "+p)
	assert.NotContains(t, r.stdout, "ok (")
}

// TestLinkUsesTheCheckCache: a run of the program keeps what the quick checks found in
// the root's check cache, and the next link still sees an artifact damaged in place
// since (same size, same modification time).
func TestLinkUsesTheCheckCache(t *testing.T) {
	old := rootfs.SettleTime
	rootfs.SettleTime = -time.Hour // the files were just made: let the cache keep them
	t.Cleanup(func() { rootfs.SettleTime = old })
	root := collected(t)
	runCached := func(args ...string) result {
		var out, errb bytes.Buffer
		a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LockWait: 5 * time.Second,
			Getenv: func(string) string { return "" }, CheckCache: true}
		code := a.Run(append([]string{"linux-librust", "--root", root}, args...))
		return result{code, out.String(), errb.String()}
	}
	r := runCached("link", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	cache := filepath.Join(root, verifier.CacheFile)
	require.FileExists(t, cache)
	filled, err := os.Stat(cache)
	require.NoError(t, err)
	require.Equal(t, ExitOK, runCached("link", abi).code)
	again, err := os.Stat(cache)
	require.NoError(t, err)
	assert.Equal(t, filled.ModTime(), again.ModTime(), "answered from the cache")

	time.Sleep(20 * time.Millisecond) // past the tick of the change times kept
	p := filepath.Join(root, layout.Artifacts(abi), "rust/libkernel.rmeta")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("x"), 0)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
	require.NoError(t, os.Remove(filepath.Join(root, layout.Headers(abi), "rust/libkernel.rmeta")))
	r = runCached("link", abi)
	assert.Equal(t, ExitProblems, r.code, r.stderr)
	assert.Contains(t, r.stderr, "rmeta-not-metadata")
}
