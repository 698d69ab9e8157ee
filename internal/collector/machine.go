package collector

import (
	"fmt"
	"sort"
	"strings"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/manifest"
)

// procMacroArch returns the Debian architecture whose rustc loads the proc macros of as,
// when it is not native to the kernel k (a set cross-built for building modules on
// another machine, i386 proc macros for an amd64 kernel included), else "". Proc macros
// of two machines are refused: one build's proc macros all run on the machine that
// built it.
func procMacroArch(as []manifest.Artifact, k debarch.Kernel) (string, error) {
	machines := map[string][2]string{}
	for _, a := range as {
		if a.Kind == manifest.KindProcMacro {
			machines[a.Machine+" "+a.Class] = [2]string{a.Machine, a.Class}
		}
	}
	if len(machines) > 1 {
		var names []string
		for n := range machines {
			names = append(names, n)
		}
		sort.Strings(names)
		return "", fmt.Errorf("proc macros for %s: built on more than one machine; rebuild the tree on one machine (make clean, then make prepare)", strings.Join(names, " and "))
	}
	for _, mc := range machines {
		if a, ok := debarch.OfELF(mc[0], mc[1]); ok && !a.Native(k) {
			return a.Name, nil
		}
	}
	return "", nil
}
