package layout

import (
	"path"
	"sync"

	"github.com/spf13/afero"
)

// Which artifacts tree of an ABI serves this machine. A kernel's Rust crates pin the
// proc macros they were compiled with, and a rustc loads only proc macros of its own
// machine; so an arm64 kernel has a native set (built on arm64, proc macros for arm64)
// in NativeArtifacts and may have, for building on amd64, a set cross-built there (proc
// macros for amd64) in BuildArtifacts("x86_64-linux-gnu", abi). Both can be installed.

// Choose returns the tree to link and check: the set built for this machine when it is
// installed, else the native set. A native set that does not fit this machine is then
// reported by the checks, naming the package that does.
func Choose(native, build string, buildInstalled bool) string {
	if build != "" && buildInstalled {
		return build
	}
	return native
}

// sets is the choice of the running process: UseBuildSets sets it once.
var sets struct {
	sync.Mutex
	fs     afero.Fs
	tuple  string
	chosen map[string]string
}

// UseBuildSets makes Artifacts choose, inside the root fsys, between each ABI's native
// set and its set for the machine of multiarch tuple (Choose). An empty tuple, or a nil
// fsys, restores the native set alone. Each ABI's choice is made once.
func UseBuildSets(fsys afero.Fs, tuple string) {
	sets.Lock()
	defer sets.Unlock()
	sets.fs, sets.tuple, sets.chosen = fsys, tuple, map[string]string{}
	if fsys == nil {
		sets.tuple = ""
	}
}

// Artifacts returns the artifacts tree of abi that serves this machine (see Choose).
func Artifacts(abi string) string {
	sets.Lock()
	defer sets.Unlock()
	native := NativeArtifacts(abi)
	if sets.tuple == "" {
		return native
	}
	if a, ok := sets.chosen[abi]; ok {
		return a
	}
	build := BuildArtifacts(sets.tuple, abi)
	_, err := sets.fs.Stat(path.Join(build, ManifestName))
	a := Choose(native, build, err == nil)
	sets.chosen[abi] = a
	return a
}

// ArtifactsPatterns returns the patterns of the artifacts trees this machine may use,
// each with one %s for the ABI (for Scan).
func ArtifactsPatterns() []string {
	sets.Lock()
	defer sets.Unlock()
	ps := []string{ArtifactsPattern}
	if sets.tuple != "" {
		ps = append(ps, BuildArtifacts(sets.tuple, "%s"))
	}
	return ps
}
