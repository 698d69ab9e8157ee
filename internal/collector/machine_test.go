package collector

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// A set records the machine its proc macros run on when that is not the kernel's own:
// real proc macros for x86_64 and for aarch64 (cross-built by sid's rustc), with the
// .config of an x86 and of an arm64 kernel.
func TestCollectProcMacroArchitecture(t *testing.T) {
	x86, arm64 := "sid/libsamplemacro.so", "sid/libsamplemacro.aarch64.so"
	tests := []struct {
		name, srcarch string
		macros        map[string]string // build-tree path → sample
		want, err     string            // Proc-Macro-Architecture, or the error
	}{
		{"amd64 kernel, native", "x86", map[string]string{"rust/libmacros.so": x86}, "", ""},
		{"arm64 kernel, native", "arm64", map[string]string{"rust/libmacros.so": arm64}, "", ""},
		{"arm64 kernel built on amd64", "arm64", map[string]string{"rust/libmacros.so": x86, "rust/libpin_init_internal.so": x86}, "amd64", ""},
		{"amd64 kernel built on arm64", "x86", map[string]string{"rust/libmacros.so": arm64}, "arm64", ""},
		{"two machines", "arm64", map[string]string{"rust/libmacros.so": x86, "rust/libother.so": arm64},
			"", "proc macros for EM_AARCH64 ELFCLASS64 and EM_X86_64 ELFCLASS64: built on more than one machine"},
	}
	fsys, err := rootfs.New("/")
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			build, dest := filepath.Join(tmp, "build"), filepath.Join(tmp, "set")
			files := map[string][]byte{
				".config":            []byte(strings.Replace(config(sidVersion(t), true), "Linux/x86 ", "Linux/"+tt.srcarch+" ", 1)),
				"rust/libcore.rmeta": sample(t, "sid/libsample.rmeta"),
			}
			for p, s := range tt.macros {
				files[p] = sample(t, s)
			}
			writeTree(t, build, files)
			tree, err := Open(fsys, build, dest)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.srcarch, tree.Arch)
			m, err := tree.Copy(fsys, dest, "7.2.13+deb14-"+map[string]string{"x86": "amd64", "arm64": "arm64"}[tt.srcarch], nil)
			require.NoError(t, err)
			assert.Equal(t, tt.want, m.ProcMacroArch)
			got, err := os.ReadFile(filepath.Join(dest, "linux-librust.manifest"))
			require.NoError(t, err)
			header, _, _ := strings.Cut(string(got), "\n\n")
			if tt.want == "" {
				assert.NotContains(t, header, "Proc-Macro-Architecture")
			} else {
				assert.Contains(t, header+"\n", "\nProc-Macro-Architecture: "+tt.want+"\n")
			}
			want := map[string]string{
				"/rust":                   treedump.Dir(0o755),
				"/rust/libcore.rmeta":     treedump.File(0o644, string(files["rust/libcore.rmeta"])),
				"/linux-librust.manifest": treedump.File(0o644, string(got)),
				"/SHA256SUMS":             treedump.File(0o644, string(m.Sums())),
			}
			for p := range tt.macros {
				want["/"+p] = treedump.File(0o644, string(files[p]))
			}
			assert.Equal(t, want, treedump.Dump(t, dest))
		})
	}
}

// TestProcMacroArch: whether a set is the kernel's native one follows the kernel's
// .config, SRCARCH and CONFIG_64BIT: x86 is amd64 or i386.
func TestProcMacroArch(t *testing.T) {
	macro := func(machine, class string) []manifest.Artifact {
		return []manifest.Artifact{
			{Path: "rust/libcore.rmeta", Kind: manifest.KindRmeta},
			{Path: "rust/libmacros.so", Kind: manifest.KindProcMacro, Machine: machine, Class: class},
		}
	}
	x86_64, i386 := macro("EM_X86_64", "ELFCLASS64"), macro("EM_386", "ELFCLASS32")
	tests := []struct {
		name   string
		as     []manifest.Artifact
		kernel debarch.Kernel
		want   string
	}{
		{"amd64 kernel, built on amd64", x86_64, debarch.Kernel{SrcArch: "x86", Bits: 64}, ""},
		{"amd64 kernel, built on an i386 userland", i386, debarch.Kernel{SrcArch: "x86", Bits: 64}, "i386"},
		{"686 kernel, built on i386", i386, debarch.Kernel{SrcArch: "x86", Bits: 32}, ""},
		{"686 kernel, built on amd64", x86_64, debarch.Kernel{SrcArch: "x86", Bits: 32}, "amd64"},
		{"x86 kernel, word size not said, built on i386", i386, debarch.Kernel{SrcArch: "x86"}, "i386"},
		{"arm64 kernel, built on amd64", x86_64, debarch.Kernel{SrcArch: "arm64", Bits: 64}, "amd64"},
		{"no proc macro", x86_64[:1], debarch.Kernel{SrcArch: "x86", Bits: 64}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := procMacroArch(tt.as, tt.kernel)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
