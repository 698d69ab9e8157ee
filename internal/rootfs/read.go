package rootfs

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/spf13/afero"
)

// ReadFile reads the regular file name, at most limit bytes. Anything else at name (a
// FIFO, a device, a directory) is refused without blocking on it, and a larger file is
// an error: configuration and manifests read with it are small and a hostile one must
// not hang or exhaust the tool.
func ReadFile(fsys afero.Fs, name string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
	f, err := fsys.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
