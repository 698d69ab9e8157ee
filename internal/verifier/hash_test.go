package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// lyingFile reports a size larger than the file has, as a file truncated after Stat.
type lyingFile struct {
	*os.File
	size int64
}

type lyingInfo struct {
	os.FileInfo
	size int64
}

func (i lyingInfo) Size() int64 { return i.size }

func (f lyingFile) Stat() (os.FileInfo, error) {
	fi, err := f.File.Stat()
	return lyingInfo{fi, f.size}, err
}

func TestHashMapped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	data := make([]byte, 3<<20+5)
	for i := range data {
		data[i] = byte(i * 31)
	}
	require.NoError(t, os.WriteFile(p, data, 0o644))
	want := sha256.Sum256(data)

	// The mapped and the read path agree with the plain digest.
	for _, min := range []int64{1, 1 << 40} {
		saved := minMapped
		minMapped = min
		sum, err := hashFile(afero.NewOsFs(), p, make([]byte, 4096))
		minMapped = saved
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString(want[:]), sum)
	}

	// A file that shrank after Stat faults inside the mapping: an error, not a crash.
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	ok, err := hashMapped(h, lyingFile{f, 64 << 20})
	assert.True(t, ok)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "changed while it was read")
}

// TestHashFileRefusesFIFO: a FIFO put where an artifact was (after its check) is
// refused at once, not waited on for a writer that never comes.
func TestHashFileRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := hashFile(fsys, "/fifo", make([]byte, hashBufSize))
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, rootfs.ErrNotRegular)
	case <-time.After(5 * time.Second):
		t.Fatal("hashFile waits on a FIFO")
	}
}
