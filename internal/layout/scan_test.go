package layout

import (
	"path"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLinkTarget(t *testing.T) {
	for _, tt := range []struct{ link, to, want string }{
		{"/a/l", "/a/b/c", "b/c"},
		{"/a/b/l", "/a/x", "../x"},
		{"/l", "/a/b", "a/b"},
		{"/usr/src/linux-headers-X/rust/l", "/usr/lib/linux-librust-X/rust/l", "../../../lib/linux-librust-X/rust/l"},
		{"/a/l", "/a/x", "x"},
		{"/a/b/l", "/a/b", "../b"},
		{"/a/b/l", "/a", "../../a"},
		{"/a/l", "/b", "../b"},
		{"/a/b/l", "/ab/c", "../../ab/c"},
	} {
		got := LinkTarget(tt.link, tt.to)
		assert.Equal(t, tt.want, got, tt.link)
		assert.Equal(t, tt.to, path.Join(path.Dir(tt.link), got), "the target resolves to to from the link's directory")
	}
}

func TestScan(t *testing.T) {
	fsys := afero.NewMemMapFs()
	abis, err := Scan(fsys, HeadersPattern)
	require.NoError(t, err)
	assert.Empty(t, abis, "a missing directory holds no ABI")
	for _, d := range []string{"/usr/src/linux-headers-7.2.13+deb14-amd64", "/usr/src/linux-headers-", "/usr/src/linux-headers-bad name", "/usr/src/other", "/usr/src/linux-headers-7.2.13+deb14-common"} {
		require.NoError(t, fsys.MkdirAll(d, 0o755))
	}
	abis, err = Scan(fsys, HeadersPattern)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"7.2.13+deb14-amd64", "7.2.13+deb14-common"}, abis)
}
