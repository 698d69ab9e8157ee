package cli

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A FIFO planted where a file is read must not hang the tool (a hang inside a dpkg
// hook hangs dpkg): it is reported like any unreadable file.
func TestFIFOsDoNotHang(t *testing.T) {
	tests := []struct {
		name, at string
		args     []string
		want     string
	}{
		{"headers .config", "usr/src/linux-headers-" + abi + "/.config", []string{"verify", abi}, "config-unreadable"},
		{"manifest, verify", "usr/lib/linux-librust-" + abi + "/linux-librust.manifest", []string{"verify", abi}, "not a regular file"},
		{"manifest, status", "usr/lib/linux-librust-" + abi + "/linux-librust.manifest", []string{"status", abi}, abi + ": conflict "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			p := filepath.Join(root, tt.at)
			require.NoError(t, os.Remove(p))
			require.NoError(t, syscall.Mkfifo(p, 0o644))
			done := make(chan result, 1)
			go func() { done <- run(t, nil, append([]string{"--root", root}, tt.args...)...) }()
			select {
			case r := <-done:
				assert.Equal(t, ExitProblems, r.code, r.stdout+r.stderr)
				assert.Contains(t, r.stdout+r.stderr, tt.want)
			case <-time.After(10 * time.Second):
				t.Fatalf("%v hangs on a FIFO at %s", tt.args, tt.at)
			}
		})
	}
}
