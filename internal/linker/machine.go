package linker

import (
	"fmt"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/manifest"
)

// machineProblem tells, from the manifest alone, whether the set's proc macros are for
// another machine than host, whose rustc then cannot load them; the message names the
// package of the set that fits host (for the kernel of the manifest's SRCARCH: amd64 for
// x86, whose Rust kernels are all 64-bit). status reports it (link and repair learn it from
// Engine.Check, which reads the files themselves).
func machineProblem(m *manifest.Manifest, host debarch.Arch) (string, bool) {
	for _, a := range m.Artifacts {
		if a.Kind != manifest.KindProcMacro || a.Machine == host.Machine && a.Class == host.Class {
			continue
		}
		built := a.Machine + " " + a.Class
		if b, ok := debarch.OfELF(a.Machine, a.Class); ok {
			built = b.Name
		}
		return fmt.Sprintf("the proc macros of this set run on %s, not on this %s machine: install %s, the set built for %s",
			built, host.Name, host.Package(m.ABI, debarch.Kernel{SrcArch: m.Arch}), host.Name), true
	}
	return "", false
}
