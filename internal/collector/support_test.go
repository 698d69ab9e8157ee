package collector

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// The rule and the lines of scripts/rust_is_available.sh that name other files, as in
// Linux 7.2.
const (
	makefile72 = `PHONY += rustavailable
rustavailable:
	+$(Q)$(CONFIG_SHELL) $(srctree)/scripts/rust_is_available.sh && echo "Rust is available!"

# Documentation target
htmldocs:
	$(Q)$(MAKE) $(build)=$(srctree)/Documentation
`
	script72 = `#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
set -e
min_tool_version=$(dirname $0)/min-tool-version.sh
	LC_ALL=C "$BINDGEN" $(dirname $0)/rust_is_available_bindgen_libclang.h 2>&1 >/dev/null
	if ! "$BINDGEN" $(dirname $0)/rust_is_available_bindgen_libclang_22.h | grep -q 'pub foo'; then
cc_name=$($(dirname $0)/cc-version.sh $CC | cut -f1 -d' ')
min_tool_version=$(dirname $0)/min-tool-version.sh
`
)

func TestRecipeFiles(t *testing.T) {
	tests := []struct {
		name, mk, target string
		want             []string
	}{
		{"linux 7.2", makefile72, "rustavailable", []string{"scripts/rust_is_available.sh"}},
		{"other target", makefile72, "htmldocs", []string{"Documentation"}},
		{"no such target", makefile72, "rustfmt", nil},
		{"prerequisites and blank lines", "rustavailable: FORCE\n\n\t$(srctree)/a.sh\n\t${srctree}/b/c.h $(srctree)/a.sh\nx:\n\t$(srctree)/no\n", "rustavailable", []string{"a.sh", "b/c.h"}},
		{"a variable of the same name", "rustavailable:= $(srctree)/no\n", "rustavailable", nil},
		{"paths that leave the tree", "rustavailable:\n\t$(srctree)/../etc/passwd $(srctree)//etc/x\n", "rustavailable", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, RecipeFiles([]byte(tt.mk), tt.target))
		})
	}
}

func TestSiblingFiles(t *testing.T) {
	assert.Equal(t, []string{"min-tool-version.sh", "rust_is_available_bindgen_libclang.h",
		"rust_is_available_bindgen_libclang_22.h", "cc-version.sh"}, SiblingFiles([]byte(script72)))
	assert.Equal(t, []string{"q.sh", "r.h"}, SiblingFiles([]byte(`x=$(dirname "$0")/q.sh; y="$(dirname "$0")"/r.h; $(dirname $0)/..`)))
	assert.Empty(t, SiblingFiles([]byte("#!/bin/sh\necho $0\n")))
}

// supportTree adds the Rust availability check of Linux 7.2 to a build tree's files.
func supportTree(files map[string][]byte) map[string][]byte {
	files["Makefile"] = []byte(makefile72)
	files["scripts/rust_is_available.sh"] = []byte(script72)
	files["scripts/min-tool-version.sh"] = []byte("#!/bin/sh\necho 1.78.0\n")
	files["scripts/cc-version.sh"] = []byte("#!/bin/sh\necho GCC 150000\n")
	files["scripts/rust_is_available_bindgen_libclang.h"] = []byte("#pragma message(\"clang version \" __clang_version__)\n")
	files["scripts/rust_is_available_bindgen_libclang_22.h"] = []byte("struct foo { int a; };\n")
	return files
}

// TestCollectSupport collects the check's files from an in-tree build and from an O=
// build whose source link leads to the kernel source, with their modes.
func TestCollectSupport(t *testing.T) {
	for _, objtree := range []bool{false, true} {
		name := map[bool]string{false: "in-tree", true: "O= build"}[objtree]
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			build, src, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "build"), filepath.Join(tmp, "dest")
			files := buildTree(t)
			if objtree {
				src = filepath.Join(tmp, "src")
				writeTree(t, src, supportTree(map[string][]byte{}))
				writeTree(t, build, files)
				require.NoError(t, os.Symlink("../src", filepath.Join(build, "source")))
			} else {
				writeTree(t, build, supportTree(files))
			}
			for _, s := range []string{"rust_is_available.sh", "min-tool-version.sh", "cc-version.sh"} {
				require.NoError(t, os.Chmod(filepath.Join(src, "scripts", s), 0o755))
			}
			fsys, err := rootfs.New("/")
			require.NoError(t, err)
			tree, err := Open(fsys, build, "")
			require.NoError(t, err)
			m, err := tree.Copy(fsys, dest, "", nil)
			require.NoError(t, err)
			var support []string
			for _, a := range m.Artifacts {
				if a.Kind == manifest.KindSupport {
					support = append(support, a.Path)
				}
			}
			assert.Equal(t, []string{"scripts/cc-version.sh", "scripts/min-tool-version.sh", "scripts/rust_is_available.sh",
				"scripts/rust_is_available_bindgen_libclang.h", "scripts/rust_is_available_bindgen_libclang_22.h"}, support)
			got := treedump.Dump(t, filepath.Join(dest, "scripts"))
			want := map[string]string{
				"/cc-version.sh":                           treedump.File(0o755, "#!/bin/sh\necho GCC 150000\n"),
				"/min-tool-version.sh":                     treedump.File(0o755, "#!/bin/sh\necho 1.78.0\n"),
				"/rust_is_available.sh":                    treedump.File(0o755, script72),
				"/rust_is_available_bindgen_libclang.h":    treedump.File(0o644, "#pragma message(\"clang version \" __clang_version__)\n"),
				"/rust_is_available_bindgen_libclang_22.h": treedump.File(0o644, "struct foo { int a; };\n"),
				"/target.json":                             treedump.File(0o644, string(sample(t, "sid/target.json"))),
			}
			assert.Equal(t, want, got)
		})
	}
}

// TestCollectSupportMissing: a file the check uses is missing from the source: the
// set would be incomplete, so nothing is collected.
func TestCollectSupportMissing(t *testing.T) {
	build := t.TempDir()
	files := supportTree(buildTree(t))
	delete(files, "scripts/cc-version.sh")
	writeTree(t, build, files)
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	_, err = Open(fsys, build, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `the kernel's "rustavailable" check uses scripts/cc-version.sh`)
}

func FuzzRecipeFiles(f *testing.F) {
	f.Add([]byte(makefile72), "rustavailable")
	f.Add([]byte("a:\n\t$(srctree)/x ${srctree}/../y\n"), "a")
	f.Fuzz(func(t *testing.T, mk []byte, target string) {
		for _, p := range RecipeFiles(mk, target) {
			if manifest.CheckPath(p) != nil {
				t.Fatalf("RecipeFiles returned %q, not a clean relative path", p)
			}
		}
	})
}

func FuzzSiblingFiles(f *testing.F) {
	f.Add([]byte(script72))
	f.Add([]byte(`$(dirname "$0")"/a $(dirname $0)/..`))
	f.Fuzz(func(t *testing.T, sh []byte) {
		for _, n := range SiblingFiles(sh) {
			if n == "" || n == "." || n == ".." || filepath.Base(n) != n {
				t.Fatalf("SiblingFiles returned %q, not a file name", n)
			}
		}
	})
}
