// Package rootfs gives an afero file system confined to a root directory: every path,
// and every symbolic link met while resolving it, stays inside the root.
package rootfs

import (
	"os"
	"path/filepath"

	"github.com/spf13/afero"
)

// FS is what linux-librust needs from a file system: afero with symbolic links.
// Paths are absolute and interpreted inside the root.
type FS interface {
	afero.Fs
	afero.Symlinker
}

// New returns an FS rooted at dir.
//
// TODO: stub without confinement; replaced by the openat2 implementation.
func New(dir string) (FS, error) {
	return &stub{afero.NewBasePathFs(afero.NewOsFs(), dir).(*afero.BasePathFs), dir}, nil
}

type stub struct {
	*afero.BasePathFs
	dir string
}

func (s *stub) SymlinkIfPossible(oldname, newname string) error {
	return os.Symlink(oldname, filepath.Join(s.dir, newname))
}

func (s *stub) ReadlinkIfPossible(name string) (string, error) {
	return os.Readlink(filepath.Join(s.dir, name))
}
