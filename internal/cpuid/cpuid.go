// Package cpuid takes the place of github.com/klauspost/cpuid/v2 in this build: go.mod
// replaces that module with this directory, and debian/rules puts it first on GOPATH.
// It answers the one question lukechampine.com/blake3 asks of it, whether the CPU and
// the kernel support AVX2 and AVX-512F, from golang.org/x/sys/cpu, which asks the CPU
// with six CPUID instructions where the module it replaces runs some fifty in every
// process's init (debian/README.source says why that counts). As x/sys/cpu does, it
// honours GODEBUG=cpu.avx2=off and cpu.avx512f=off.
package cpuid

import "golang.org/x/sys/cpu"

// FeatureID names a CPU feature.
type FeatureID int

// The features lukechampine.com/blake3 looks for.
const (
	AVX2    FeatureID = iota + 1 // AVX and AVX2, with the kernel saving the AVX state
	AVX512F                      // AVX-512 Foundation, with the kernel saving its state
)

// CPUInfo describes the CPU this process runs on.
type CPUInfo struct{}

// CPU is the CPU this process runs on.
var CPU CPUInfo

// Supports reports whether the CPU and the kernel support all of ids. It reports
// false for a feature this package does not know.
func (CPUInfo) Supports(ids ...FeatureID) bool {
	return supports(cpu.X86.HasAVX && cpu.X86.HasAVX2, cpu.X86.HasAVX512F, ids)
}

// supports is Supports on a CPU that has AVX2 and AVX-512F as avx2 and avx512f say.
func supports(avx2, avx512f bool, ids []FeatureID) bool {
	for _, id := range ids {
		var has bool
		switch id {
		case AVX2:
			has = avx2
		case AVX512F:
			has = avx512f
		}
		if !has {
			return false
		}
	}
	return true
}
