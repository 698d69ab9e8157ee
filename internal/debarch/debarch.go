// Package debarch names Debian architectures: for the ELF identity of a proc macro (the
// machine whose rustc can load it), the Debian architecture, its multiarch tuple and the
// kernel's SRCARCH; the architecture native to a kernel, from its .config; and the
// names of the artifacts packages built for each.
package debarch

import (
	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/kconfig"
)

// Arch is a Debian architecture.
type Arch struct {
	Name    string // dpkg's name, e.g. amd64
	Tuple   string // multiarch tuple, e.g. x86_64-linux-gnu
	SrcArch string // the kernel's SRCARCH for this machine, e.g. x86
	Machine string // elf.Machine String() of its shared objects, e.g. EM_X86_64
	Class   string // elf.Class String(), e.g. ELFCLASS64
}

// known are Debian's release architectures with Linux kernels, and loong64. Machine and
// class identify each uniquely among them (the big-endian ppc64 port is not listed).
// Machine and class are written out (they equal debug/elf's String()) so that nothing
// is computed when the program starts.
var known = []Arch{
	{"amd64", "x86_64-linux-gnu", "x86", "EM_X86_64", "ELFCLASS64"},
	{"arm64", "aarch64-linux-gnu", "arm64", "EM_AARCH64", "ELFCLASS64"},
	{"armhf", "arm-linux-gnueabihf", "arm", "EM_ARM", "ELFCLASS32"},
	{"i386", "i386-linux-gnu", "x86", "EM_386", "ELFCLASS32"},
	{"loong64", "loongarch64-linux-gnu", "loongarch", "EM_LOONGARCH", "ELFCLASS64"},
	{"ppc64el", "powerpc64le-linux-gnu", "powerpc", "EM_PPC64", "ELFCLASS64"},
	{"riscv64", "riscv64-linux-gnu", "riscv", "EM_RISCV", "ELFCLASS64"},
	{"s390x", "s390x-linux-gnu", "s390", "EM_S390", "ELFCLASS64"},
}

// OfELF returns the architecture whose shared objects have ELF machine and class (as
// the manifest records them, e.g. EM_AARCH64, ELFCLASS64).
func OfELF(machine, class string) (Arch, bool) {
	for _, a := range known {
		if a.Machine == machine && a.Class == class {
			return a, true
		}
	}
	return Arch{}, false
}

// Named returns the architecture dpkg calls name.
func Named(name string) (Arch, bool) {
	for _, a := range known {
		if a.Name == name {
			return a, true
		}
	}
	return Arch{}, false
}

// Host returns the architecture of the running machine: the one whose proc macros its
// rustc loads.
func Host() (Arch, bool) {
	h, ok := dylib.HostMachine()
	if !ok {
		return Arch{}, false
	}
	return OfELF(h.Machine.String(), h.Class.String())
}

// Config64Bit is the .config symbol that tells a 64-bit kernel from a 32-bit one of the
// same SRCARCH (x86: amd64 from i386); a reader of the .config keeps it for KernelOf.
const Config64Bit = "CONFIG_64BIT"

// Kernel is what a kernel's .config says of its architecture.
type Kernel struct {
	SrcArch string // SRCARCH, from the header line, e.g. x86
	Bits    int    // 64 or 32 as CONFIG_64BIT says; 0 when not known
}

// KernelOf returns the architecture of the kernel whose .config is c (parsed keeping
// Config64Bit).
func KernelOf(c *kconfig.Config) Kernel {
	k := Kernel{SrcArch: c.Arch()}
	switch b, err := c.Bool(Config64Bit); {
	case err != nil || b == kconfig.Absent:
	case b == kconfig.Yes:
		k.Bits = 64
	default:
		k.Bits = 32
	}
	return k
}

// Arch returns the Debian architecture native to k: of its SRCARCH and word size. An
// unknown word size is the 64-bit one where the SRCARCH has both (x86: amd64, as
// only x86_64 kernels have Rust: HAVE_RUST).
func (k Kernel) Arch() (Arch, bool) {
	var found Arch
	for _, a := range known {
		if a.SrcArch != k.SrcArch {
			continue
		}
		bits := 32
		if a.Class == "ELFCLASS64" {
			bits = 64
		}
		if bits == k.Bits || k.Bits == 0 && (found.Name == "" || bits == 64) {
			found = a
		}
	}
	return found, found.Name != ""
}

// Native reports whether a is the Debian architecture native to the kernel k: a set
// whose proc macros are for a is then the kernel's native set.
func (a Arch) Native(k Kernel) bool {
	n, ok := k.Arch()
	return ok && n.Name == a.Name
}

// Package returns the name of the package of abi's Rust artifacts whose proc macros run
// on a: linux-librust-<ABI> when a is native to the kernel k, else
// linux-librust-<ABI>-for-<a>.
func (a Arch) Package(abi string, k Kernel) string {
	if a.Native(k) {
		return SetPackage(abi, "")
	}
	return SetPackage(abi, a.Name)
}

// SetPackage names the package of abi's Rust artifacts built for building on the Debian
// architecture forArch: linux-librust-<ABI>-for-<forArch>, or linux-librust-<ABI> for the
// kernel's native set (forArch empty).
func SetPackage(abi, forArch string) string {
	if forArch == "" {
		return "linux-librust-" + abi
	}
	return "linux-librust-" + abi + "-for-" + forArch
}
