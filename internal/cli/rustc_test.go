package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInstalledRustcInsideRoot runs the root's own /usr/bin/rustc, a static program
// standing in for rustc, confined to the root and as nobody, never as root.
func TestInstalledRustcInsideRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go to build the stand-in rustc")
	}
	root := collected(t)
	require.NoError(t, os.Chmod(root, 0o755)) // as / is: nobody runs rustc
	r := run(t, nil, "--root", root, "link", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)

	// Without a rustc in the root the check is skipped with a note.
	r = run(t, nil, "--root", root, "verify", abi)
	assert.Equal(t, ExitOK, r.code, r.stdout)
	assert.Contains(t, r.stdout, "note: rustc-not-installed")

	src := filepath.Join(t.TempDir(), "main.go")
	require.NoError(t, os.WriteFile(src, []byte(`package main

import (
	"fmt"
	"os"
)

func main() { fmt.Printf("rustc 1.96.0 (ac68faa20 2026-05-25) (uid %d gid %d)\n", os.Getuid(), os.Getgid()) }
`), 0o644))
	bin := filepath.Join(root, "usr/bin/rustc")
	build := exec.Command("go", "build", "-o", bin, src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	r = run(t, nil, "--root", root, "verify", abi)
	assert.Equal(t, ExitProblems, r.code, r.stdout)
	assert.Contains(t, r.stdout, `error: rustc-installed-mismatch: the installed rustc prints "rustc 1.96.0 (ac68faa20 2026-05-25) (uid 65534 gid 65534)"`)
	assert.Contains(t, r.stdout, `fix: install the rustc that prints "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"`)
}
