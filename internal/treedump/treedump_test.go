package treedump_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

func TestDump(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(os.MkdirAll(filepath.Join(dir, "a/b"), 0o755))
	must(os.Chmod(filepath.Join(dir, "a/b"), os.ModeSticky|0o750))
	must(os.WriteFile(filepath.Join(dir, "a/f"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "a/e"), nil, 0o600))
	must(os.Chmod(filepath.Join(dir, "a/e"), 0o600))
	must(os.Chmod(filepath.Join(dir, "a/f"), 0o644))
	must(os.Symlink("../x", filepath.Join(dir, "a/l")))
	must(os.Symlink("/etc", filepath.Join(dir, "etc")))
	must(syscall.Mkfifo(filepath.Join(dir, "p"), 0o600))
	must(os.Chmod(filepath.Join(dir, "p"), 0o640))

	require.Equal(t, map[string]string{
		"/a":   "dir 0755",
		"/a/b": "dir 1750",
		"/a/e": "file 0600 empty",
		"/a/f": "file 0644 2cf24dba", // sha256("hello") = 2cf24dba5fb0a30e…
		"/a/l": "symlink ../x",
		"/etc": "symlink /etc",
		"/p":   "fifo 0640",
	}, treedump.Dump(t, dir))
	require.Equal(t, "file 0644 2cf24dba", treedump.File(0o644, "hello"))
	require.Equal(t, "dir 0755", treedump.Dir(0o755))
	require.Equal(t, "symlink /x", treedump.Symlink("/x"))
}

func TestDumpEmpty(t *testing.T) {
	require.Equal(t, map[string]string{}, treedump.Dump(t, t.TempDir()))
}
