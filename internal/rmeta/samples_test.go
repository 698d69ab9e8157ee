package rmeta

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// samples is the real compiler output of testdata/rustc (see its README.md).
const samples = "../../testdata/rustc"

func sampleVersion(t *testing.T, suite string) string {
	v, err := os.ReadFile(filepath.Join(samples, suite, "VERSION"))
	require.NoError(t, err)
	return string(v)
}

func readSample(t *testing.T, name string) (*Info, error) {
	f, err := os.Open(filepath.Join(samples, name))
	require.NoError(t, err)
	defer f.Close()
	fi, err := f.Stat()
	require.NoError(t, err)
	return Read(f, fi.Size())
}

func TestSamples(t *testing.T) {
	suites := []struct {
		suite  string
		format byte
		footer bool
		root   int64
	}{
		{"bookworm", 6, false, 2799},
		{"trixie", 9, true, 2321},
		{"sid", 10, true, 2340},
	}
	for _, s := range suites {
		version := sampleVersion(t, s.suite)
		t.Run(s.suite+"/libsample.rmeta", func(t *testing.T) {
			info, err := readSample(t, s.suite+"/libsample.rmeta")
			require.NoError(t, err)
			assert.Equal(t, s.format, info.Format)
			assert.Equal(t, version, info.RustcVersion)
			assert.Equal(t, s.footer, info.HasFooter)
			assert.False(t, info.FooterUnknown)
			assert.Equal(t, s.root, info.Root)
			if s.format < 9 {
				assert.Nil(t, info.Crate)
				return
			}
			require.NoError(t, info.CrateErr)
			assert.Equal(t, &Crate{Target: "x86_64-unknown-linux-gnu", Name: "sample"}, info.Crate)
		})
		t.Run(s.suite+"/libnocore.rmeta", func(t *testing.T) {
			info, err := readSample(t, s.suite+"/libnocore.rmeta")
			require.NoError(t, err)
			assert.Equal(t, version, info.RustcVersion)
			if s.format < 9 {
				return
			}
			require.NoError(t, info.CrateErr)
			spec, err := os.ReadFile(filepath.Join(samples, s.suite, "target.json"))
			require.NoError(t, err)
			assert.Equal(t, &Crate{Target: "target", CustomTarget: true, TargetJSON: string(spec), Name: "nocore"}, info.Crate)
		})
		damaged := []struct {
			file string
			err  error // nil: undetectable in this format
		}{
			{"libsample.half.rmeta", ErrTruncated},
			{"libsample.header.rmeta", ErrTruncated},
			{"libsample.padded.rmeta", ErrTrailing},
		}
		for _, d := range damaged {
			t.Run(s.suite+"/"+d.file, func(t *testing.T) {
				info, err := readSample(t, s.suite+"/"+d.file)
				if d.err == ErrTrailing && !s.footer {
					// Formats without a footer cannot tell padding from data, nor can rustc.
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, d.err)
				assert.Nil(t, info)
				var fe *FormatError
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, s.format, fe.Format)
				assert.Equal(t, version, fe.Version)
			})
		}
		for _, so := range []string{"libsamplemacro.so", "libsamplec.so"} {
			t.Run(s.suite+"/"+so, func(t *testing.T) {
				_, err := readSample(t, s.suite+"/"+so)
				require.ErrorIs(t, err, ErrNotMetadata)
			})
		}
	}
	for _, name := range []string{"empty.rmeta", "png.rmeta", "random.rmeta", "text.rmeta", "empty.so", "random.so"} {
		t.Run("foreign/"+name, func(t *testing.T) {
			_, err := readSample(t, "foreign/"+name)
			require.ErrorIs(t, err, ErrNotMetadata)
		})
	}
}
