package layout

import (
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChoose(t *testing.T) {
	tests := []struct {
		name           string
		build          string
		buildInstalled bool
		want           string
	}{
		{"no set for this machine", "/b", false, "/n"},
		{"the set for this machine", "/b", true, "/b"},
		{"no tuple known", "", true, "/n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Choose("/n", tt.build, tt.buildInstalled))
		})
	}
}

// Artifacts picks, inside the root, the set for this machine when its manifest is
// there; each ABI is decided once per process.
func TestArtifactsChoosesInstalledBuildSet(t *testing.T) {
	t.Cleanup(func() { UseBuildSets(nil, "") })
	fsys := afero.NewMemMapFs()
	const cross, native = "7.2.13+deb14-arm64", "7.2.13+deb14-amd64"
	require.NoError(t, afero.WriteFile(fsys, "/usr/lib/x86_64-linux-gnu/linux-librust-"+cross+"/"+ManifestName, nil, 0o644))
	require.NoError(t, fsys.MkdirAll("/usr/lib/x86_64-linux-gnu/linux-librust-"+native, 0o755))

	assert.Equal(t, "/usr/lib/linux-librust-"+cross, Artifacts(cross), "without UseBuildSets: the native set")
	assert.Equal(t, []string{ArtifactsPattern}, ArtifactsPatterns())

	UseBuildSets(fsys, "x86_64-linux-gnu")
	assert.Equal(t, "/usr/lib/x86_64-linux-gnu/linux-librust-"+cross, Artifacts(cross))
	assert.Equal(t, "/usr/lib/linux-librust-"+native, Artifacts(native), "a directory without manifest is no set")
	assert.Equal(t, []string{ArtifactsPattern, "/usr/lib/x86_64-linux-gnu/linux-librust-%s"}, ArtifactsPatterns())

	UseBuildSets(nil, "x86_64-linux-gnu")
	assert.Equal(t, "/usr/lib/linux-librust-"+cross, Artifacts(cross))
}
