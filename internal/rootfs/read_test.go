package rootfs

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "small"), []byte("hello"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big"), make([]byte, 100), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "dir"), 0o755))
	fsys, err := New(dir)
	require.NoError(t, err)

	tests := []struct {
		name, want, wantErr string
	}{
		{"/small", "hello", ""},
		{"/big", "", "larger than 10 bytes"},
		{"/fifo", "", "is a FIFO, not a regular file"},
		{"/dir", "", "is a directory, not a regular file"},
		{"/missing", "", "no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			var data []byte
			var err error
			go func() {
				data, err = ReadFile(fsys, tt.name, 10)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("ReadFile(%s) hangs", tt.name)
			}
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(data))
		})
	}
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	require.NoError(t, os.Symlink("file", filepath.Join(dir, "link")))
	fsys, err := New(dir)
	require.NoError(t, err)

	tests := []struct {
		name    string
		flag    int
		wantErr string
	}{
		{"/file", os.O_WRONLY | os.O_APPEND | syscall.O_NOFOLLOW, ""},
		{"/new", os.O_WRONLY | os.O_CREATE | syscall.O_NOFOLLOW, ""},
		{"/link", os.O_RDONLY, ""},
		{"/link", os.O_RDONLY | syscall.O_NOFOLLOW, "is a symbolic link, not a regular file"},
		{"/link", os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NOFOLLOW, "is a symbolic link, not a regular file"},
		{"/fifo", os.O_WRONLY | os.O_APPEND | os.O_CREATE | syscall.O_NOFOLLOW, "is a FIFO, not a regular file"},
		{"/fifo", os.O_RDONLY, "is a FIFO, not a regular file"},
		{"/", os.O_RDONLY, "is a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				f, err := OpenRegular(fsys, tt.name, tt.flag, 0o644)
				if tt.wantErr != "" {
					assert.ErrorIs(t, err, ErrNotRegular)
					assert.EqualError(t, err, tt.wantErr)
					return
				}
				if assert.NoError(t, err) {
					f.Close()
				}
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("OpenRegular(%s) hangs", tt.name)
			}
		})
	}
}

// TestReadFileIn: ReadFileIn reads a name of a held directory with ReadFile's bound, and
// refuses a link there.
func TestReadFileIn(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "small"), []byte("hello"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big"), make([]byte, 100), 0o644))
	require.NoError(t, os.Symlink("small", filepath.Join(dir, "link")))
	fsys, err := New(dir)
	require.NoError(t, err)
	d, err := fsys.OpenDir("/")
	require.NoError(t, err)
	defer d.Close()

	data, err := ReadFileIn(d, "small", 10)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	_, err = ReadFileIn(d, "big", 10)
	assert.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "larger than 10 bytes")
	_, err = ReadFile(fsys, "/big", 10)
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = ReadFileIn(d, "link", 10)
	assert.ErrorIs(t, err, ErrNotRegular)
}

// TestReadAllSizeHint: the size fstat said only shapes the buffer; a file that grew or
// shrank since is read to its end, and the limit holds whatever it said.
func TestReadAllSizeHint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(p, []byte("0123456789"), 0o644))
	for _, tt := range []struct {
		size, limit int64
		want, err   string
	}{
		{10, 100, "0123456789", ""},
		{-1, 100, "0123456789", ""},
		{0, 100, "0123456789", ""},    // grew since
		{3, 100, "0123456789", ""},    // grew since
		{5000, 100, "0123456789", ""}, // shrank since
		{0, 9, "", "larger than 9 bytes"},
		{10, 10, "0123456789", ""},
	} {
		f, err := os.Open(p)
		require.NoError(t, err)
		data, err := readAll(f, tt.limit, tt.size)
		if tt.err != "" {
			require.ErrorContains(t, err, tt.err, "size %d", tt.size)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(data), "size %d", tt.size)
		// The hint never makes the buffer larger than the limit allows.
		assert.LessOrEqual(t, int64(cap(data)), max(tt.limit, int64(len(data)))+2*bytes.MinRead, "size %d", tt.size)
	}
}
