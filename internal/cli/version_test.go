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
