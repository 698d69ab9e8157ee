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
