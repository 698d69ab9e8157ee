package toolchain

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TestMain makes the test binary the helper when it is re-executed as one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == HelperArg {
		os.Exit(Helper(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

func TestJudge(t *testing.T) {
	const v = "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"
	for _, tc := range []struct {
		name       string
		need, have string
		err        error
		want       Verdict
	}{
		{"same text", v, v, nil, Matches},
		{"another version", v, "rustc 1.96.0 (ac68faa20 2026-05-25)", nil, Differs},
		{"same release, other build", v, "rustc 1.97.1 (8bab26f4f 2026-07-14)", nil, Differs},
		{"no rustc", v, "", ErrNotInstalled, NotInstalled},
		{"a missing file", v, "", fs.ErrNotExist, NotInstalled},
		{"rustc fails", v, "", ErrUnusable, Unusable},
		{"set unknown", "", v, nil, Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Judge(tc.need, tc.have, tc.err))
		})
	}
}

var (
	plantedOnce sync.Once
	planted     string
	plantedErr  error
)

// plantedRustc builds testdata/planted.go.txt into a static program.
func plantedRustc(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go to build the planted rustc")
	}
	plantedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "planted-rustc.")
		if err != nil {
			plantedErr = err
			return
		}
		src, err := os.ReadFile("testdata/planted.go.txt")
		if err != nil {
			plantedErr = err
			return
		}
		if plantedErr = os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); plantedErr != nil {
			return
		}
		planted = filepath.Join(dir, "rustc")
		build := exec.Command("go", "build", "-o", planted, "main.go")
		build.Dir = dir
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=", "GO111MODULE=off")
		if out, err := build.CombinedOutput(); err != nil {
			plantedErr = errors.New(string(out))
		}
	})
	require.NoError(t, plantedErr)
	return planted
}

// plantRoot makes a root with the planted rustc at /usr/bin/rustc in the given mode,
// and returns it and the host path the program tries to write.
func plantRoot(t *testing.T, mode string) (root, outside string) {
	bin := plantedRustc(t)
	root = filepath.Join(t.TempDir(), "root")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755))
	require.NoError(t, os.Chmod(filepath.Dir(root), 0o755))
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(root, Path), data, 0o755))
	outside = filepath.Join(t.TempDir(), "escaped")
	require.NoError(t, os.WriteFile(filepath.Join(root, "outside"), []byte(outside), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "mode"), []byte(mode), 0o644))
	return root, outside
}

func rustcOf(root string) *Rustc {
	fsys, err := rootfs.New(root)
	if err != nil {
		panic(err)
	}
	return &Rustc{Root: root, FS: fsys, Timeout: 5 * time.Second}
}

// TestPlantedRustcRunsUnprivileged runs a hostile program planted as the root's rustc:
// it must run as nobody, without supplementary groups, with no_new_privs, unable to
// write files, with a clean environment, and must not get out of the root.
func TestPlantedRustcRunsUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the hooks run")
	}
	root, outside := plantRoot(t, "report")
	v, err := rustcOf(root).Version()
	require.NoError(t, err)
	assert.Equal(t, "rustc 9.9.9 uid=65534 euid=65534 gid=65534 groups=[] nnp=1 fsize=0 cwd=/ env=PATH=/usr/bin:/bin escaped=no", v)
	assert.NoFileExists(t, outside)
	assert.NoDirExists(t, filepath.Join(root, "esc"))
}

func TestRustcFailures(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the hooks run")
	}
	for _, tc := range []struct {
		mode string
		want string
	}{
		{"hang", "did not finish within 300ms"},
		{"chatty", "printed more than 4096 bytes"},
		{"fail", "usr/bin/rustc --version: error: no sysroot"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			root, _ := plantRoot(t, tc.mode)
			r := rustcOf(root)
			if tc.mode == "hang" {
				r.Timeout = 300 * time.Millisecond // the others finish: keep rustcOf's generous limit
			}
			_, err := r.Version()
			require.ErrorIs(t, err, ErrUnusable)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

func TestRustcNotInstalled(t *testing.T) {
	root := t.TempDir()
	_, err := rustcOf(root).Version()
	assert.ErrorIs(t, err, ErrNotInstalled)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	r := &Rustc{Root: "/", LookPath: func(string) (string, error) { return "", exec.ErrNotFound }}
	_, err = r.Version()
	assert.ErrorIs(t, err, ErrNotInstalled)
}

// TestRustcAskedOnce: a second Version does not run rustc again.
func TestRustcAskedOnce(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the hooks run")
	}
	root, _ := plantRoot(t, "report")
	r := rustcOf(root)
	v1, err := r.Version()
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(root, Path)))
	v2, err := r.Version()
	require.NoError(t, err)
	assert.Equal(t, v1, v2)
}
