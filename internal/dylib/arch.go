package dylib

import (
	"debug/elf"
	"fmt"
	"runtime"
)

// Arch is what decides whether a process can load a shared object.
type Arch struct {
	Machine elf.Machine
	Class   elf.Class
	Data    elf.Data
}

func (a Arch) String() string {
	return fmt.Sprintf("%s %s %s", a.Machine, a.Class, a.Data)
}

// HostMachine returns the ELF identity of shared objects the running machine loads
// natively (rustc loads proc macros into itself); ok is false for an unknown GOARCH.
func HostMachine() (a Arch, ok bool) {
	return ArchOf(runtime.GOARCH)
}

// hostArchs is the ELF identity of each GOARCH's native shared objects (an array of
// constants, laid out at build time: no work at start-up).
var hostArchs = [...]struct {
	goarch string
	arch   Arch
}{
	{"386", Arch{elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB}},
	{"amd64", Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"arm", Arch{elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB}},
	{"arm64", Arch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"loong64", Arch{elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"mips", Arch{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB}},
	{"mipsle", Arch{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB}},
	{"mips64", Arch{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB}},
	{"mips64le", Arch{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"ppc64", Arch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB}},
	{"ppc64le", Arch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"riscv64", Arch{elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB}},
	{"s390x", Arch{elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB}},
}

// ArchOf returns the ELF identity for a GOARCH name.
func ArchOf(goarch string) (Arch, bool) {
	for _, h := range hostArchs {
		if h.goarch == goarch {
			return h.arch, true
		}
	}
	return Arch{}, false
}

// CanLoad tells whether a process of architecture host can load a shared object of
// architecture obj: machine, class and byte order must all match.
func (host Arch) CanLoad(obj Arch) bool {
	return host == obj
}
