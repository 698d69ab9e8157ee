package dylib

import (
	"debug/elf"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// samples is the real compiler output of testdata/rustc (see its README.md).
const samples = "../../testdata/rustc"

func readSample(t *testing.T, name string) (*Info, error) {
	f, err := os.Open(filepath.Join(samples, name))
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	return Read(f, fi.Size())
}

func TestSamples(t *testing.T) {
	x86 := Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}
	suites := []struct {
		suite      string
		format     byte
		compressed bool
		unstripped bool
	}{
		{"bookworm", 6, true, false},
		{"trixie", 9, false, false},
		{"sid", 10, false, true},
	}
	for _, s := range suites {
		v, err := os.ReadFile(filepath.Join(samples, s.suite, "VERSION"))
		require.NoError(t, err)
		version := string(v)
		macros := []string{"libsamplemacro.so"}
		if s.unstripped {
			macros = append(macros, "libsamplemacro.unstripped.so")
		}
		for _, name := range macros {
			t.Run(s.suite+"/"+name, func(t *testing.T) {
				info, err := readSample(t, s.suite+"/"+name)
				require.NoError(t, err)
				assert.Equal(t, x86, info.Arch)
				assert.True(t, info.IsProcMacro())
				assert.Regexp(t, `^__rustc_proc_macro_decls_[0-9a-f]{8,16}__$`, info.ProcMacroSymbol)
				assert.Equal(t, "samplemacro", info.CrateName)
				assert.True(t, info.HasRustc)
				assert.Equal(t, s.format, info.SectionFormat)
				assert.Equal(t, s.compressed, info.Compressed)
				require.NoError(t, info.MetadataErr)
				assert.Equal(t, s.format, info.Metadata.Format)
				assert.Equal(t, version, info.Metadata.RustcVersion)
				if s.format >= 9 {
					require.NoError(t, info.Metadata.CrateErr)
					assert.True(t, info.Metadata.Crate.IsProcMacro)
					assert.Equal(t, "samplemacro", info.Metadata.Crate.Name)
					assert.Equal(t, "x86_64-unknown-linux-gnu", info.Metadata.Crate.Target)
				}
			})
		}
		for _, name := range []string{"libsamplec.so", "libsamplecdylib.so"} {
			t.Run(s.suite+"/"+name, func(t *testing.T) {
				info, err := readSample(t, s.suite+"/"+name)
				require.NoError(t, err)
				assert.Equal(t, &Info{Arch: x86}, info)
			})
		}
		for _, name := range []string{"libsamplemacro.header.so", "libsample.rmeta"} {
			t.Run(s.suite+"/"+name, func(t *testing.T) {
				_, err := readSample(t, s.suite+"/"+name)
				require.ErrorIs(t, err, ErrNotELF)
			})
		}
	}
	for _, name := range []string{"sid/libsamplemacro.truncated.so", "foreign/empty.so", "foreign/random.so"} {
		t.Run(name, func(t *testing.T) {
			_, err := readSample(t, name)
			require.ErrorIs(t, err, ErrNotELF)
		})
	}
}

// TestSampleCrossBuilt reads sid's proc macro cross-built for aarch64 (an arm64 kernel's
// rust/libmacros.so): what this machine sees of it must not depend on this machine.
func TestSampleCrossBuilt(t *testing.T) {
	v, err := os.ReadFile(filepath.Join(samples, "sid", "VERSION"))
	require.NoError(t, err)
	info, err := readSample(t, "sid/libsamplemacro.aarch64.so")
	require.NoError(t, err)
	arm64 := Arch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}
	assert.Equal(t, arm64, info.Arch)
	assert.True(t, info.IsProcMacro())
	assert.Regexp(t, `^__rustc_proc_macro_decls_[0-9a-f]{8,16}__$`, info.ProcMacroSymbol)
	assert.Equal(t, "samplemacro", info.CrateName)
	assert.True(t, info.HasRustc)
	assert.Equal(t, byte(10), info.SectionFormat)
	assert.False(t, info.Compressed)
	require.NoError(t, info.MetadataErr)
	assert.Equal(t, byte(10), info.Metadata.Format)
	assert.Equal(t, string(v), info.Metadata.RustcVersion)
	require.NoError(t, info.Metadata.CrateErr)
	assert.True(t, info.Metadata.Crate.IsProcMacro)
	assert.Equal(t, "samplemacro", info.Metadata.Crate.Name)
	assert.Equal(t, "aarch64-unknown-linux-gnu", info.Metadata.Crate.Target)

	x86 := Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}
	assert.False(t, x86.CanLoad(info.Arch), "an x86_64 rustc cannot load it")
	assert.True(t, arm64.CanLoad(info.Arch), "an arm64 rustc can")
	host, ok := ArchOf("arm64")
	require.True(t, ok)
	assert.Equal(t, arm64, host, "GOARCH arm64 names this machine")
}
