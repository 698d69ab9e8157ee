package debarch

import (
	"debug/elf"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/kconfig"
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

// TestPackage names the set whose proc macros run on the machine, for the kernel its
// .config describes: SRCARCH x86 alone does not tell amd64 from i386.
func TestPackage(t *testing.T) {
	const amd64ABI, arm64ABI = "7.2.13+deb14-amd64", "7.2.13+deb14-arm64"
	x86_64, x86_32, x86 := Kernel{"x86", 64}, Kernel{"x86", 32}, Kernel{"x86", 0}
	tests := []struct {
		host   string
		abi    string
		kernel Kernel
		want   string
	}{
		{"amd64", amd64ABI, x86_64, "linux-librust-" + amd64ABI},
		{"amd64", amd64ABI, x86, "linux-librust-" + amd64ABI},
		{"i386", amd64ABI, x86_64, "linux-librust-" + amd64ABI + "-for-i386"}, // i386 userland, amd64 kernel
		{"i386", amd64ABI, x86, "linux-librust-" + amd64ABI + "-for-i386"},    // no .config: x86 Rust kernels are 64-bit
		{"i386", "7.2.13+deb14-686", x86_32, "linux-librust-7.2.13+deb14-686"},
		{"amd64", "7.2.13+deb14-686", x86_32, "linux-librust-7.2.13+deb14-686-for-amd64"},
		{"amd64", arm64ABI, Kernel{"arm64", 64}, "linux-librust-" + arm64ABI + "-for-amd64"},
		{"arm64", arm64ABI, Kernel{"arm64", 64}, "linux-librust-" + arm64ABI},
		{"arm64", arm64ABI, Kernel{"arm64", 0}, "linux-librust-" + arm64ABI},
		{"arm64", amd64ABI, x86_64, "linux-librust-" + amd64ABI + "-for-arm64"},
		{"armhf", "7.2.13+deb14-armmp", Kernel{"arm", 32}, "linux-librust-7.2.13+deb14-armmp"},
		{"armhf", "7.2.13+deb14-armmp", Kernel{"arm", 0}, "linux-librust-7.2.13+deb14-armmp"},
		{"amd64", "7.2.13+deb14-sparc64", Kernel{"sparc", 64}, "linux-librust-7.2.13+deb14-sparc64-for-amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.host+" "+tt.abi+" "+tt.kernel.SrcArch, func(t *testing.T) {
			h, ok := Named(tt.host)
			require.True(t, ok)
			assert.Equal(t, tt.want, h.Package(tt.abi, tt.kernel))
		})
	}
}

func TestKernelOf(t *testing.T) {
	tests := []struct {
		name, config string
		want         Kernel
		arch         string // the Debian architecture native to it
	}{
		{"amd64", "# Linux/x86 7.2.13 Kernel Configuration\nCONFIG_64BIT=y\nCONFIG_X86_64=y\n", Kernel{"x86", 64}, "amd64"},
		{"686", "# Linux/x86 7.2.13 Kernel Configuration\n# CONFIG_64BIT is not set\nCONFIG_X86_32=y\n", Kernel{"x86", 32}, "i386"},
		{"x86, word size not said", "# Linux/x86 7.2.13 Kernel Configuration\nCONFIG_RUST=y\n", Kernel{"x86", 0}, "amd64"},
		{"arm64", "# Linux/arm64 7.2.13 Kernel Configuration\nCONFIG_64BIT=y\n", Kernel{"arm64", 64}, "arm64"},
		{"armmp", "# Linux/arm 7.2.13 Kernel Configuration\nCONFIG_ARM=y\n", Kernel{"arm", 0}, "armhf"},
		{"armmp, 64-bit said", "# Linux/arm 7.2.13 Kernel Configuration\nCONFIG_64BIT=y\n", Kernel{"arm", 64}, ""},
		{"no header", "CONFIG_64BIT=y\n", Kernel{"", 64}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := kconfig.ParseSymbols(strings.NewReader(tt.config), Config64Bit)
			require.NoError(t, err)
			k := KernelOf(c)
			assert.Equal(t, tt.want, k)
			a, ok := k.Arch()
			assert.Equal(t, tt.arch != "", ok)
			assert.Equal(t, tt.arch, a.Name)
		})
	}
}

func TestHost(t *testing.T) {
	h, ok := Host()
	want := map[string]string{"amd64": "amd64", "arm64": "arm64", "386": "i386", "ppc64le": "ppc64el", "riscv64": "riscv64", "s390x": "s390x", "loong64": "loong64"}[runtime.GOARCH]
	assert.Equal(t, want != "", ok)
	assert.Equal(t, want, h.Name)
}

// TestKnownELFNames holds the written-out machine and class names to debug/elf's.
func TestKnownELFNames(t *testing.T) {
	want := map[string]struct {
		machine elf.Machine
		class   elf.Class
	}{
		"amd64": {elf.EM_X86_64, elf.ELFCLASS64}, "arm64": {elf.EM_AARCH64, elf.ELFCLASS64},
		"armhf": {elf.EM_ARM, elf.ELFCLASS32}, "i386": {elf.EM_386, elf.ELFCLASS32},
		"loong64": {elf.EM_LOONGARCH, elf.ELFCLASS64}, "ppc64el": {elf.EM_PPC64, elf.ELFCLASS64},
		"riscv64": {elf.EM_RISCV, elf.ELFCLASS64}, "s390x": {elf.EM_S390, elf.ELFCLASS64},
	}
	require.Len(t, known, len(want))
	for _, a := range known {
		w, ok := want[a.Name]
		require.True(t, ok, a.Name)
		assert.Equal(t, w.machine.String(), a.Machine, a.Name)
		assert.Equal(t, w.class.String(), a.Class, a.Name)
	}
}
