package debarch

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOfELF(t *testing.T) {
	tests := []struct {
		machine, class, name, tuple string
	}{
		{"EM_X86_64", "ELFCLASS64", "amd64", "x86_64-linux-gnu"},
		{"EM_AARCH64", "ELFCLASS64", "arm64", "aarch64-linux-gnu"},
		{"EM_386", "ELFCLASS32", "i386", "i386-linux-gnu"},
		{"EM_ARM", "ELFCLASS32", "armhf", "arm-linux-gnueabihf"},
		{"EM_PPC64", "ELFCLASS64", "ppc64el", "powerpc64le-linux-gnu"},
		{"EM_X86_64", "ELFCLASS32", "", ""}, // x32: no Debian kernel
		{"EM_SPARCV9", "ELFCLASS64", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.machine+" "+tt.class, func(t *testing.T) {
			a, ok := OfELF(tt.machine, tt.class)
			assert.Equal(t, tt.name != "", ok)
			assert.Equal(t, tt.name, a.Name)
			assert.Equal(t, tt.tuple, a.Tuple)
			if ok {
				b, ok := Named(tt.name)
				require.True(t, ok)
				assert.Equal(t, a, b)
			}
		})
	}
}

func TestPackage(t *testing.T) {
	amd64, _ := Named("amd64")
	arm64, _ := Named("arm64")
	assert.Equal(t, "linux-librust-7.2.13+deb14-amd64", amd64.Package("7.2.13+deb14-amd64", "x86"))
	assert.Equal(t, "linux-librust-7.2.13+deb14-arm64-for-amd64", amd64.Package("7.2.13+deb14-arm64", "arm64"))
	assert.Equal(t, "linux-librust-7.2.13+deb14-arm64", arm64.Package("7.2.13+deb14-arm64", "arm64"))
	assert.Equal(t, "linux-librust-7.2.13+deb14-amd64-for-arm64", arm64.Package("7.2.13+deb14-amd64", "x86"))
}

func TestHost(t *testing.T) {
	h, ok := Host()
	want := map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "i386", "ppc64le": "ppc64el", "riscv64": "riscv64", "s390x": "s390x", "loong64": "loong64"}[runtime.GOARCH]
	assert.Equal(t, want != "", ok)
	assert.Equal(t, want, h.Name)
}
