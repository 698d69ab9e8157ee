// Package cpuid takes the place of github.com/klauspost/cpuid/v2 in this build (go.mod
// replaces that module with this directory, debian/rules puts it first on GOPATH). It
// answers the only question lukechampine.com/blake3 asks of it, whether the CPU and
// the kernel support AVX2 and AVX-512F, from golang.org/x/sys/cpu.
//
// The module it replaces detects every CPU feature, cache and core count in its init,
// with some 55 CPUID instructions. Under a hypervisor each one traps, and each
// linux-librust process, the no-op kernel hook included, spent 0.4–0.7 ms on them;
// golang.org/x/sys/cpu asks six.
package cpuid

import "golang.org/x/sys/cpu"

// FeatureID names a CPU feature.
type FeatureID int

// The features lukechampine.com/blake3 looks for.
const (
	AVX2    FeatureID = iota + 1 // AVX2, with the kernel saving the AVX state
	AVX512F                      // AVX-512 Foundation, with the kernel saving its state
)

// CPUInfo describes the CPU this process runs on.
type CPUInfo struct{}

// CPU is the CPU this process runs on.
var CPU CPUInfo

// Supports reports whether the CPU and the kernel support all of ids. It reports
// false for a feature this package does not know.
func (CPUInfo) Supports(ids ...FeatureID) bool {
	for _, id := range ids {
		var has bool
		switch id {
		case AVX2:
			has = cpu.X86.HasAVX2
		case AVX512F:
			has = cpu.X86.HasAVX512F
		}
		if !has {
			return false
		}
	}
	return true
}
