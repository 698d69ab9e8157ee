// Package debarch names Debian architectures: for the ELF identity of a proc macro (the
// machine whose rustc can load it), the Debian architecture, its multiarch tuple and the
// kernel's SRCARCH; and the names of the artifacts packages built for each.
package debarch

import (
	"debug/elf"

	"github.com/linux-librust/linux-librust/internal/dylib"
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
var known = []Arch{
	{"amd64", "x86_64-linux-gnu", "x86", elf.EM_X86_64.String(), elf.ELFCLASS64.String()},
	{"arm64", "aarch64-linux-gnu", "arm64", elf.EM_AARCH64.String(), elf.ELFCLASS64.String()},
	{"armhf", "arm-linux-gnueabihf", "arm", elf.EM_ARM.String(), elf.ELFCLASS32.String()},
	{"i386", "i386-linux-gnu", "x86", elf.EM_386.String(), elf.ELFCLASS32.String()},
	{"loong64", "loongarch64-linux-gnu", "loongarch", elf.EM_LOONGARCH.String(), elf.ELFCLASS64.String()},
	{"ppc64el", "powerpc64le-linux-gnu", "powerpc", elf.EM_PPC64.String(), elf.ELFCLASS64.String()},
	{"riscv64", "riscv64-linux-gnu", "riscv", elf.EM_RISCV.String(), elf.ELFCLASS64.String()},
	{"s390x", "s390x-linux-gnu", "s390", elf.EM_S390.String(), elf.ELFCLASS64.String()},
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

// Native reports whether a runs the kernel of SRCARCH srcarch natively: a set whose proc
// macros are for a is then the kernel's native set.
func (a Arch) Native(srcarch string) bool { return a.SrcArch == srcarch }

// Package returns the name of the package of abi's Rust artifacts whose proc macros run
// on a: linux-librust-<ABI> when a is native to the kernel's SRCARCH srcarch, else
// linux-librust-<ABI>-for-<a>.
func (a Arch) Package(abi, srcarch string) string {
	if a.Native(srcarch) {
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
