package verifier

import (
	"errors"
	"path"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/toolchain"
)

// TestMatchRustc: the version text an ABI needs is the headers' .config's, else the
// manifest's, and the installed rustc must print exactly it.
func TestMatchRustc(t *testing.T) {
	v := version(t, "sid")
	other := version(t, "trixie")
	for _, tc := range []struct {
		name      string
		config    string // "" no headers tree
		manifest  string
		installed func() (string, error)
		want      RustcMatch
		message   string
	}{
		{"matches", config(v), v, func() (string, error) { return v, nil },
			RustcMatch{ABI: abi, Need: v, Have: v, Verdict: toolchain.Matches}, abi + ": the installed rustc still matches (" + v + ")"},
		{"config decides", config(other), v, func() (string, error) { return v, nil },
			RustcMatch{ABI: abi, Need: other, Have: v, Verdict: toolchain.Differs}, abi + `: needs the rustc that prints "` + other + `"`},
		{"no headers: the manifest decides", "", v, func() (string, error) { return other, nil },
			RustcMatch{ABI: abi, Need: v, Have: other, Verdict: toolchain.Differs}, abi + `: needs the rustc that prints "` + v + `", but the installed one prints "` + other + `"`},
		{"not installed", config(v), v, func() (string, error) { return "", toolchain.ErrNotInstalled },
			RustcMatch{ABI: abi, Need: v, Err: toolchain.ErrNotInstalled, Verdict: toolchain.NotInstalled}, abi + ": rustc is no longer installed"},
		{"unusable", config(v), v, func() (string, error) { return "", toolchain.ErrUnusable },
			RustcMatch{ABI: abi, Need: v, Err: toolchain.ErrUnusable, Verdict: toolchain.Unusable}, abi + ": cannot run rustc (rustc --version failed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := newRoot(t)
			s := sidSet(t)
			text := tc.config
			if text == "" {
				text = config(v)
			}
			install(t, fsys, s, manifestOf(s, tc.manifest, text), text)
			if tc.config == "" {
				require.NoError(t, fsys.RemoveAll(headers))
			}
			got := MatchRustc(fsys, abi, tc.installed)
			assert.Equal(t, tc.want, got)
			assert.Contains(t, got.Message(), tc.message)
		})
	}
}

// TestCheckRustc: kernels without artifacts need no rustc; one without a readable
// manifest cannot tell; rustc is asked once.
func TestCheckRustc(t *testing.T) {
	v := version(t, "sid")
	fsys := newRoot(t)
	s := sidSet(t)
	install(t, fsys, s, manifestOf(s, v, config(v)), config(v))
	require.NoError(t, fsys.MkdirAll(layout.Headers("7.1.0+deb14-amd64"), 0o755))
	require.NoError(t, fsys.MkdirAll(layout.Artifacts("7.2.0+deb14-amd64"), 0o755))
	calls := 0
	installed := func() (string, error) { calls++; return "", errors.New("boom") }
	got := CheckRustc(fsys, []string{"7.1.0+deb14-amd64", "7.2.0+deb14-amd64", abi, abi}, installed)
	require.Len(t, got, 3)
	assert.Equal(t, RustcMatch{ABI: "7.2.0+deb14-amd64", Verdict: toolchain.Unknown}, got[0])
	assert.Equal(t, toolchain.Unusable, got[1].Verdict)
	assert.Equal(t, 1, calls)
}

func TestRustABIs(t *testing.T) {
	fsys := newRoot(t)
	require.NoError(t, fsys.MkdirAll(layout.Headers("a"), 0o755))
	require.NoError(t, fsys.MkdirAll(layout.Headers("b"), 0o755))
	require.NoError(t, fsys.MkdirAll(layout.Artifacts("b"), 0o755))
	require.NoError(t, fsys.MkdirAll(layout.StateDir, 0o755))
	require.NoError(t, afero.WriteFile(fsys, path.Join(layout.StateDir, "c"), nil, 0o644))
	assert.Equal(t, []string{"b", "c"}, RustABIs(fsys, []string{"a", "b", "c", "d"}))
}
