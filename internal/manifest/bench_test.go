package manifest

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The benchmarks parse the manifest files of Debian's 7.2.13 amd64 artifacts set (18
// artifacts), read once in every run of link and verify.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/debian-7.2.13-amd64.manifest")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSums(b *testing.B) {
	data, err := os.ReadFile("testdata/debian-7.2.13-amd64.SHA256SUMS")
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseSums(data); err != nil {
			b.Fatal(err)
		}
	}
}
