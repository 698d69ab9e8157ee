package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// resolveCounter counts the calls of Resolve.
type resolveCounter struct {
	rootfs.FS
	n int
}

func (c *resolveCounter) Resolve(name string) (string, error) {
	c.n++
	return c.FS.Resolve(name)
}

// TestHeadersDir: the headers tree below real directories is where Headers names it,
// found without resolving anything; below a link, where the link leads.
func TestHeadersDir(t *testing.T) {
	const abi = "7.2.13+deb14-amd64"
	tests := []struct {
		name     string
		setup    func(t *testing.T, root string)
		want     string
		resolves bool
	}{
		{"real directories", func(t *testing.T, root string) {
			require.NoError(t, os.MkdirAll(filepath.Join(root, Headers(abi)), 0o755))
		}, Headers(abi), false},
		{"missing /usr/src", func(t *testing.T, root string) {}, Headers(abi), false},
		{"/usr/src a link", func(t *testing.T, root string) {
			require.NoError(t, os.MkdirAll(filepath.Join(root, "srv/src/linux-headers-"+abi), 0o755))
			require.NoError(t, os.MkdirAll(filepath.Join(root, "usr"), 0o755))
			require.NoError(t, os.Symlink("../srv/src", filepath.Join(root, "usr/src")))
		}, "/srv/src/linux-headers-" + abi, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			fsys, err := rootfs.New(root)
			require.NoError(t, err)
			c := &resolveCounter{FS: fsys}
			got, err := HeadersDir(c, abi)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.resolves, c.n > 0, "resolved %d times", c.n)
		})
	}
}
