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

// hostArchs maps GOARCH to the ELF identity of its native shared objects.
var hostArchs = map[string]Arch{
	"386":      {elf.EM_386, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"amd64":    {elf.EM_X86_64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"arm":      {elf.EM_ARM, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"arm64":    {elf.EM_AARCH64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"loong64":  {elf.EM_LOONGARCH, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"mips":     {elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2MSB},
	"mipsle":   {elf.EM_MIPS, elf.ELFCLASS32, elf.ELFDATA2LSB},
	"mips64":   {elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"mips64le": {elf.EM_MIPS, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"ppc64":    {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2MSB},
	"ppc64le":  {elf.EM_PPC64, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"riscv64":  {elf.EM_RISCV, elf.ELFCLASS64, elf.ELFDATA2LSB},
	"s390x":    {elf.EM_S390, elf.ELFCLASS64, elf.ELFDATA2MSB},
}

// HostMachine returns the ELF identity of shared objects the running machine loads
// natively (rustc loads proc macros into itself); ok is false for an unknown GOARCH.
func HostMachine() (a Arch, ok bool) {
	return ArchOf(runtime.GOARCH)
}

// ArchOf returns the ELF identity for a GOARCH name.
func ArchOf(goarch string) (a Arch, ok bool) {
	a, ok = hostArchs[goarch]
	return a, ok
}

// CanLoad tells whether a process of architecture host can load a shared object of
// architecture obj: machine, class and byte order must all match.
func (host Arch) CanLoad(obj Arch) bool {
	return host == obj
}
