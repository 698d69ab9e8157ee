package verifier

import (
	"path"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAccessFindingText: what a build user cannot read is named with its mode and fix.
func TestAccessFindingText(t *testing.T) {
	fsys := newRoot(t)
	sid := version(t, "sid")
	s := sidSet(t)
	install(t, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
	require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust/libsample.rmeta"), 0o640))
	require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust"), 0o700))
	rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, RustcVersion: rustcIs(sid)})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.String())
	}
	assert.Equal(t, []string{
		"warning: directory-not-searchable: " + artifacts + "/rust: mode 0700: module builds as a user other than root cannot reach the artifacts in it; " +
			"fix: chmod a+x " + artifacts + "/rust, or reinstall linux-librust-" + abi + " (or rerun collect from the kernel build tree)",
		"warning: artifact-not-world-readable: " + artifacts + "/rust/libsample.rmeta: mode 0640: module builds as a user other than root cannot read it; " +
			"fix: chmod a+r " + artifacts + "/rust/libsample.rmeta, or reinstall linux-librust-" + abi + " (or rerun collect from the kernel build tree)",
	}, got)
	assert.False(t, rep.Clean(), "verify exits 1")
}
