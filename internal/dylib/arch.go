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

// ArchOf returns the ELF identity for a GOARCH name.
func ArchOf(goarch string) (Arch, bool) {
	switch goarch {
	case "386":
		return Arch{elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB}, true
	case "amd64":
		return Arch{elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "arm":
		return Arch{elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB}, true
	case "arm64":
		return Arch{elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "loong64":
		return Arch{elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "mips":
		return Arch{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB}, true
	case "mipsle":
		return Arch{elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB}, true
	case "mips64":
		return Arch{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB}, true
	case "mips64le":
		return Arch{elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "ppc64":
		return Arch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB}, true
	case "ppc64le":
		return Arch{elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "riscv64":
		return Arch{elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB}, true
	case "s390x":
		return Arch{elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB}, true
	}
	return Arch{}, false
}

// CanLoad tells whether a process of architecture host can load a shared object of
// architecture obj: machine, class and byte order must all match.
func (host Arch) CanLoad(obj Arch) bool {
	return host == obj
}
