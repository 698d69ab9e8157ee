package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/dkms"
)

// TestDKMSPrebuild runs the command a Rust module's dkms.conf runs as PRE_BUILD, in
// each state a kernel can be in: the exit status is what DKMS acts on (77: skipped),
// and every problem is one line naming its fix.
func TestDKMSPrebuild(t *testing.T) {
	headers := "usr/src/linux-headers-" + abi
	tests := []struct {
		name    string
		setup   func(t *testing.T) string // returns the root
		code    int
		lines   []string // each must appear in standard error
		without []string // none may
	}{
		{
			name:  "no headers",
			setup: func(t *testing.T) string { return t.TempDir() },
			code:  dkms.ExitSkipped,
			lines: []string{"W: " + abi + ": the kernel's headers are not installed: no module can be built for it; fix: install linux-headers-" + abi},
		},
		{
			name: "no Rust support",
			setup: func(t *testing.T) string {
				root := t.TempDir()
				writeTree(t, root, map[string]string{headers + "/Makefile": "", headers + "/.config": "# CONFIG_RUST is not set\n"})
				return root
			},
			code:  dkms.ExitSkipped,
			lines: []string{"W: " + abi + ": the kernel is built without Rust support (CONFIG_RUST)"},
		},
		{
			name: ".config is a FIFO",
			setup: func(t *testing.T) string {
				root := t.TempDir()
				writeTree(t, root, map[string]string{headers + "/Makefile": ""})
				require.NoError(t, syscall.Mkfifo(filepath.Join(root, headers, ".config"), 0o644))
				return root
			},
			code: ExitProblems,
			lines: []string{
				"E: " + abi + ": error: config-unreadable: /" + headers + "/.config: is a FIFO, not a regular file; fix: reinstall linux-headers-" + abi + "\n",
				"E: " + abi + ": Rust modules cannot be built: fix the above",
			},
			without: []string{"not installed", "skipped"},
		},
		{
			name: ".config is a directory",
			setup: func(t *testing.T) string {
				root := t.TempDir()
				writeTree(t, root, map[string]string{headers + "/Makefile": "", headers + "/.config/x": ""})
				return root
			},
			code:    ExitProblems,
			lines:   []string{"E: " + abi + ": error: config-unreadable: /" + headers + "/.config: is a directory, not a regular file; fix: reinstall linux-headers-" + abi + "\n"},
			without: []string{"not installed", "skipped"},
		},
		{
			name:  "headers without artifacts",
			setup: func(t *testing.T) string { _, root := system(t); return root },
			code:  dkms.ExitSkipped,
			lines: []string{
				"W: " + abi + ": Rust modules need the kernel's Rust artifacts, and linux-librust-" + abi + " is not installed; fix: apt install linux-librust-" + abi + " (DKMS then builds its modules by itself)\n",
				"I: " + abi + ": not building Rust modules for this kernel now (exit 77: skipped)",
			},
		},
		{
			// SRCARCH x86 alone does not tell amd64 from i386: CONFIG_64BIT does.
			name: "headers of a 32-bit x86 kernel without artifacts, on amd64",
			setup: func(t *testing.T) string {
				if h, _ := debarch.Host(); h.Name != "amd64" {
					t.Skip("names the set built for amd64")
				}
				root := t.TempDir()
				writeTree(t, root, map[string]string{headers + "/Makefile": "",
					headers + "/.config": "# Linux/x86 7.2.13 Kernel Configuration\n# CONFIG_64BIT is not set\nCONFIG_RUST=y\n"})
				return root
			},
			code:  dkms.ExitSkipped,
			lines: []string{"fix: apt install linux-librust-" + abi + "-for-amd64 (DKMS then builds"},
		},
		{
			name:  "artifacts not linked",
			setup: collected,
			code:  ExitProblems,
			lines: []string{
				"E: " + abi + ": error: link-missing: /" + headers + "/rust/libcore.rmeta",
				"E: " + abi + ": Rust modules cannot be built: fix the above",
			},
		},
		{
			name: "ready",
			setup: func(t *testing.T) string {
				root := collected(t)
				require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
				return root
			},
			code: ExitOK,
			lines: []string{"I: " + abi + ": the kernel's Rust artifacts are in place for a module build",
				"W: " + abi + ": rustc is no longer installed"},
			without: []string{"E: "},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tt.setup(t)
			r := run(t, nil, "--root", root, "dkms-prebuild", abi)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Empty(t, r.stdout)
			for _, l := range tt.lines {
				assert.Contains(t, r.stderr, l)
			}
			for _, l := range tt.without {
				assert.NotContains(t, r.stderr, l)
			}
		})
	}
}

// TestDKMSPrebuildRustc runs the root's rustc (a stand-in): the one that built the
// set passes silently; another one is the rustc trigger's warning, naming E0514 and the
// version needed, and the build goes on (exit 0) so that rustc's own error follows.
func TestDKMSPrebuildRustc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chroot needs root")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go to build the stand-in rustc")
	}
	const need = "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"
	for _, tt := range []struct {
		name, prints string
		warn         bool
	}{
		{"the kernel's rustc", need, false},
		{"another rustc", "rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			require.Equal(t, ExitOK, run(t, nil, "--root", root, "link", abi).code)
			src := filepath.Join(t.TempDir(), "main.go")
			require.NoError(t, os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\""+tt.prints+"\") }\n"), 0o644))
			build := exec.Command("go", "build", "-o", filepath.Join(root, "usr/bin/rustc"), src)
			build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
			out, err := build.CombinedOutput()
			require.NoError(t, err, "%s", out)

			r := run(t, nil, "--root", root, "dkms-prebuild", abi)
			assert.Equal(t, ExitOK, r.code, r.stderr)
			assert.NotContains(t, r.stderr, "E: ")
			if !tt.warn {
				assert.NotContains(t, r.stderr, "W: ")
				return
			}
			assert.Contains(t, r.stderr, "W: "+abi+": needs the rustc that prints \""+need+"\", but the installed one prints \""+tt.prints+"\"")
			assert.Contains(t, r.stderr, "E0514")
		})
	}
}
