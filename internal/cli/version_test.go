package cli

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The binary says its version, as given at link time.
func TestVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "linux-librust")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/linux-librust/linux-librust/internal/cli.Version=9.8.7-test",
		"-o", bin, "../../cmd/linux-librust")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, args := range [][]string{{"--version"}, {"--root", "/nonexistent", "--version"}} {
		cmd := exec.Command(bin, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), stderr.String())
		assert.Equal(t, "linux-librust 9.8.7-test\n", stdout.String())
		assert.Empty(t, stderr.String())
	}
}

// Without arguments there is nothing to do: the usage goes to stderr, exit 2, as
// update-alternatives does.
func TestNoArguments(t *testing.T) {
	for _, args := range [][]string{{}, {"-v"}, {"--root", "/nonexistent"}} {
		r := run(t, nil, args...)
		assert.Equal(t, ExitUsage, r.code, "%v", args)
		assert.Empty(t, r.stdout)
		assert.Contains(t, r.stderr, "Usage: linux-librust [GLOBAL FLAGS] COMMAND [ARG...]\nCommands: collect, dkms-prebuild, hook, link, repair, status, unlink, verify\n")
		assert.Contains(t, r.stderr, "E: no command given")
	}
	r := run(t, nil, "--help")
	assert.Equal(t, ExitOK, r.code)
	assert.Contains(t, r.stdout, "Usage:")
}

// Shell completion offers the kernels under the root that have Rust artifacts.
func TestCompleteABIs(t *testing.T) {
	root := collected(t)
	writeTree(t, root, map[string]string{
		"usr/lib/linux-librust-7.1.0-1-amd64/linux-librust.manifest": "",
		"usr/src/linux-headers-7.2.13+deb14-common/Makefile":         "",
	})
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"__complete", "--root", root, "link", ""}, "7.1.0-1-amd64\n" + abi + "\n:4\n"},
		{nil, []string{"__complete", "--root", root, "status", "7.2"}, abi + "\n:4\n"},
		{map[string]string{"DPKG_ROOT": root}, []string{"__complete", "verify", "--full", ""}, "7.1.0-1-amd64\n" + abi + "\n:4\n"},
		{nil, []string{"__complete", "--root", root, "unlink", abi, ""}, "7.1.0-1-amd64\n:4\n"},
	} {
		r := run(t, tt.env, tt.args...)
		assert.Equal(t, ExitOK, r.code, r.stderr)
		assert.Equal(t, tt.want, r.stdout, "%v", tt.args)
	}
}
