package collector

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"lukechampine.com/blake3"

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

var update = flag.Bool("update", false, "rewrite golden files")

const samples = "../../testdata/rustc"

func sample(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, rel))
	require.NoError(t, err)
	return b
}

func sidVersion(t *testing.T) string { return string(sample(t, "sid/VERSION")) }

func config(version string, rust bool) string {
	r := "CONFIG_RUST=y\n"
	if !rust {
		r = "# CONFIG_RUST is not set\n"
	}
	return "#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 7.2.13 Kernel Configuration\n#\n" +
		"CONFIG_64BIT=y\n" + r +
		"CONFIG_RUSTC_VERSION_TEXT=\"" + strings.ReplaceAll(version, `"`, `\"`) + "\"\n"
}

// writeTree creates files (relative path → content) under dir.
func writeTree(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, content, 0o644))
	}
}

// buildTree is a miniature kernel build tree made of real rustc output.
func buildTree(t *testing.T) map[string][]byte {
	return map[string][]byte{
		".config":                       []byte(config(sidVersion(t), true)),
		"include/config/kernel.release": []byte("7.2.13+deb14-amd64\n"),
		"rust/libkernel.rmeta":          sample(t, "sid/libsample.rmeta"),
		"rust/libcore.rmeta":            sample(t, "sid/libnocore.rmeta"),
		"rust/libmacros.so":             sample(t, "sid/libsamplemacro.so"),
		"rust/libmacros.o":              []byte("not an artifact"),
		"rust/libcdylib.so":             sample(t, "sid/libsamplecdylib.so"),
		"scripts/gcc-plugins/plugin.so": sample(t, "sid/libsamplec.so"),
		"scripts/broken.so":             sample(t, "foreign/random.so"),
		"scripts/target.json":           sample(t, "sid/target.json"),
		"drivers/future/libnew.rmeta":   sample(t, "sid/libsample.rmeta"),
		"Makefile":                      []byte("all:\n"),
	}
}

func TestCollect(t *testing.T) {
	tmp := t.TempDir()
	build, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "out", "usr/lib/linux-librust-x")
	writeTree(t, build, buildTree(t))
	// A link out of the tree must not be followed by the walk.
	require.NoError(t, os.Symlink("/", filepath.Join(build, "source")))
	fsys, err := rootfs.New("/")
	require.NoError(t, err)

	tree, err := Open(fsys, build, dest)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"drivers/future/libnew.rmeta", "rust/libcore.rmeta", "rust/libkernel.rmeta",
		"rust/libmacros.so", "scripts/target.json",
	}, tree.Paths())
	assert.Equal(t, "7.2.13+deb14-amd64", tree.ABI)
	assert.Equal(t, "x86", tree.Arch)

	m, err := tree.Copy(fsys, dest, "", nil)
	require.NoError(t, err)
	assert.Equal(t, "7.2.13+deb14-amd64", m.ABI)
	got, err := os.ReadFile(filepath.Join(dest, "linux-librust.manifest"))
	require.NoError(t, err)
	golden(t, "collect.manifest", got)

	want := map[string]string{
		"/drivers":                     treedump.Dir(0o755),
		"/drivers/future":              treedump.Dir(0o755),
		"/drivers/future/libnew.rmeta": treedump.File(0o644, string(sample(t, "sid/libsample.rmeta"))),
		"/rust":                        treedump.Dir(0o755),
		"/rust/libcore.rmeta":          treedump.File(0o644, string(sample(t, "sid/libnocore.rmeta"))),
		"/rust/libkernel.rmeta":        treedump.File(0o644, string(sample(t, "sid/libsample.rmeta"))),
		"/rust/libmacros.so":           treedump.File(0o644, string(sample(t, "sid/libsamplemacro.so"))),
		"/scripts":                     treedump.Dir(0o755),
		"/scripts/target.json":         treedump.File(0o644, string(sample(t, "sid/target.json"))),
		"/linux-librust.manifest":      treedump.File(0o644, string(got)),
		"/SHA256SUMS":                  treedump.File(0o644, string(m.Sums())),
	}
	assert.Equal(t, want, treedump.Dump(t, dest))

	// Plain sha256sum accepts the checksums inside the tree.
	cmd := exec.Command("sha256sum", "--strict", "-c", "SHA256SUMS")
	cmd.Dir = dest
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	// The manifest reads back, and a second collect of the same input is byte-identical.
	back, err := manifest.Read(fsys, dest)
	require.NoError(t, err)
	assert.Equal(t, m.Artifacts, back.Artifacts)
	// Both digests are of the copied bytes.
	require.Len(t, back.Artifacts, 5)
	for _, a := range back.Artifacts {
		data, err := os.ReadFile(filepath.Join(dest, a.Path))
		require.NoError(t, err)
		s, b := sha256.Sum256(data), blake3.Sum256(data)
		assert.Equal(t, hex.EncodeToString(s[:]), a.SHA256, a.Path)
		assert.Equal(t, hex.EncodeToString(b[:]), a.BLAKE3, a.Path)
	}
	dest2 := filepath.Join(tmp, "again")
	tree2, err := Open(fsys, build, dest2)
	require.NoError(t, err)
	_, err = tree2.Copy(fsys, dest2, "", nil)
	require.NoError(t, err)
	again, err := os.ReadFile(filepath.Join(dest2, "linux-librust.manifest"))
	require.NoError(t, err)
	assert.Equal(t, string(got), string(again))
}

func TestCollectSkipsDestInsideBuildTree(t *testing.T) {
	build := t.TempDir()
	writeTree(t, build, buildTree(t))
	dest := filepath.Join(build, "debian/linux-librust-x/usr/lib/linux-librust-x")
	// Left over from an earlier run: must not be collected again.
	writeTree(t, dest+"-old", map[string][]byte{"rust/libstale.rmeta": sample(t, "sid/libsample.rmeta")})
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	tree, err := Open(fsys, build, dest)
	require.NoError(t, err)
	_, err = tree.Copy(fsys, dest, "", nil)
	require.NoError(t, err)
	tree, err = Open(fsys, build, dest)
	require.NoError(t, err)
	assert.NotContains(t, strings.Join(tree.Paths(), " "), "debian/linux-librust-x/usr/lib/linux-librust-x/")
	assert.Contains(t, tree.Paths(), "debian/linux-librust-x/usr/lib/linux-librust-x-old/rust/libstale.rmeta")
	assert.Empty(t, tree.Skipped, "the destination is skipped silently")

	// Collected again into another destination: the first set, which holds a
	// manifest, is an earlier collected set and no part of the build.
	other := filepath.Join(build, "out2")
	tree, err = Open(fsys, build, other)
	require.NoError(t, err)
	assert.Equal(t, []string{dest}, tree.Skipped)
	for _, p := range tree.Paths() {
		assert.False(t, strings.HasPrefix(p, "debian/linux-librust-x/usr/lib/linux-librust-x/"), "%s collected twice", p)
	}
	m, err := tree.Copy(fsys, other, "", nil)
	require.NoError(t, err)
	crates := map[string]string{}
	for _, a := range m.Artifacts {
		if strings.Contains(a.Path, "-old/") {
			continue // not an earlier collected set: no manifest
		}
		name := filepath.Base(a.Path)
		assert.Empty(t, crates[name], "%s and %s: one crate twice", crates[name], a.Path)
		crates[name] = a.Path
	}
}

func TestCollectRefuses(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(t *testing.T, files map[string][]byte)
		abi     string
		dest    map[string][]byte // present in dest before
		wantIs  error
		wantErr []string
	}{
		{
			name:    "no CONFIG_RUST",
			edit:    func(t *testing.T, f map[string][]byte) { f[".config"] = []byte(config(sidVersion(t), false)) },
			wantIs:  ErrNoRust,
			wantErr: []string{"/.config", "CONFIG_RUST is n"},
		},
		{
			name:    "no .config",
			edit:    func(t *testing.T, f map[string][]byte) { delete(f, ".config") },
			wantErr: []string{"/.config", "--build-dir"},
		},
		{
			name: "no artifacts",
			edit: func(t *testing.T, f map[string][]byte) {
				for p := range f {
					if p != ".config" && p != "Makefile" {
						delete(f, p)
					}
				}
			},
			wantIs:  ErrNoArtifacts,
			wantErr: []string{"make prepare"},
		},
		{
			name: "only a target specification",
			edit: func(t *testing.T, f map[string][]byte) {
				for p := range f {
					if strings.HasSuffix(p, ".rmeta") || strings.HasSuffix(p, ".so") {
						delete(f, p)
					}
				}
			},
			wantIs:  ErrNoArtifacts,
			wantErr: []string{"no crate metadata (.rmeta)", "no proc macro", "make prepare"},
		},
		{
			name:    "no proc macro",
			edit:    func(t *testing.T, f map[string][]byte) { delete(f, "rust/libmacros.so") },
			wantIs:  ErrNoArtifacts,
			wantErr: []string{"no proc macro", "make prepare"},
		},
		{
			name: "no crate metadata",
			edit: func(t *testing.T, f map[string][]byte) {
				for p := range f {
					if strings.HasSuffix(p, ".rmeta") {
						delete(f, p)
					}
				}
			},
			wantIs:  ErrNoArtifacts,
			wantErr: []string{"no crate metadata (.rmeta)"},
		},
		{
			name: "an artifact of another rustc",
			edit: func(t *testing.T, f map[string][]byte) {
				f["rust/libpin_init.rmeta"] = sample(t, "trixie/libsample.rmeta")
			},
			wantIs:  ErrMixed,
			wantErr: []string{"rust/libpin_init.rmeta (rustc 1.85.1", "make clean"},
		},
		{
			name:    "a proc macro of another rustc",
			edit:    func(t *testing.T, f map[string][]byte) { f["rust/libold.so"] = sample(t, "trixie/libsamplemacro.so") },
			wantIs:  ErrMixed,
			wantErr: []string{"rust/libold.so (rustc 1.85.1"},
		},
		{
			name: "a truncated rmeta",
			edit: func(t *testing.T, f map[string][]byte) {
				f["rust/libkernel.rmeta"] = sample(t, "sid/libsample.half.rmeta")
			},
			wantErr: []string{"/rust/libkernel.rmeta", "make prepare"},
		},
		{
			name: "a truncated proc macro",
			edit: func(t *testing.T, f map[string][]byte) {
				f["rust/libmacros.so"] = sample(t, "sid/libsamplemacro.truncated.so")
			},
			wantErr: []string{"/rust/libmacros.so: damaged ELF file", "make prepare"},
		},
		{
			name: "a proc macro cut to its ELF header",
			edit: func(t *testing.T, f map[string][]byte) {
				f["rust/libmacros.so"] = sample(t, "sid/libsamplemacro.header.so")
			},
			wantErr: []string{"/rust/libmacros.so: damaged ELF file"},
		},
		{
			name: "a .config without its header line",
			edit: func(t *testing.T, f map[string][]byte) {
				f[".config"] = []byte("CONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"" + sidVersion(t) + "\"\n")
			},
			wantErr: []string{"/.config has no header line", "Kernel Configuration"},
		},
		{
			name:    "a foreign rmeta",
			edit:    func(t *testing.T, f map[string][]byte) { f["rust/libkernel.rmeta"] = sample(t, "foreign/png.rmeta") },
			wantErr: []string{"/rust/libkernel.rmeta"},
		},
		{
			name:    "no kernel release and no --abi",
			edit:    func(t *testing.T, f map[string][]byte) { delete(f, "include/config/kernel.release") },
			wantErr: []string{"--abi"},
		},
		{
			name:    "a malformed ABI",
			abi:     "../etc",
			wantErr: []string{"invalid kernel ABI"},
		},
		{
			name:    "a destination that is not empty",
			dest:    map[string][]byte{"precious": []byte("keep me")},
			wantErr: []string{"is not empty", "nothing was copied"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			build, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "dest")
			files := buildTree(t)
			if tt.edit != nil {
				tt.edit(t, files)
			}
			writeTree(t, build, files)
			if tt.dest != nil {
				writeTree(t, dest, tt.dest)
			}
			before := treedump.Dump(t, tmp)
			fsys, err := rootfs.New("/")
			require.NoError(t, err)
			tree, err := Open(fsys, build, dest)
			if err == nil {
				_, err = tree.Copy(fsys, dest, tt.abi, nil)
			}
			require.Error(t, err)
			if tt.wantIs != nil {
				assert.True(t, errors.Is(err, tt.wantIs), "%v", err)
			}
			for _, w := range tt.wantErr {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, before, treedump.Dump(t, tmp), "nothing may change")
		})
	}
}

func TestCollectIgnoresUmask(t *testing.T) {
	tmp := t.TempDir()
	build, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "out")
	writeTree(t, build, buildTree(t))
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	tree, err := Open(fsys, build, dest)
	require.NoError(t, err)
	old := syscall.Umask(0o077)
	_, err = tree.Copy(fsys, dest, "", nil)
	syscall.Umask(old)
	require.NoError(t, err)
	for p, e := range treedump.Dump(t, dest) {
		assert.Regexp(t, `^(dir 0755|file 0644 )`, e, p)
	}
}

func TestCollectRefusesAFIFOConfig(t *testing.T) {
	build := t.TempDir()
	require.NoError(t, syscall.Mkfifo(filepath.Join(build, ".config"), 0o644))
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := Open(fsys, build, ""); done <- err }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "/.config: is a FIFO, not a regular file")
	case <-time.After(10 * time.Second):
		t.Fatal("collect hangs on a FIFO .config")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, got, 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err, "run go test -update to create %s", p)
	assert.Equal(t, string(want), string(got))
}

// TestStrippedRefusesFIFO: a strip that leaves a FIFO where the proc macro was gets an
// error at once, not a wait for a writer.
func TestStrippedRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	strip := func(string) error { return syscall.Mkfifo(filepath.Join(dir, "libmacros.so"), 0o644) }
	done := make(chan error, 1)
	go func() {
		err := stripped(fsys, "/libmacros.so", &manifest.Artifact{}, strip)
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, rootfs.ErrNotRegular)
	case <-time.After(5 * time.Second):
		t.Fatal("stripped waits on a FIFO")
	}
}
