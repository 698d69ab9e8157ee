package linker

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/manifest"
)

func TestMachineProblem(t *testing.T) {
	amd64, _ := debarch.Named("amd64")
	arm64, _ := debarch.Named("arm64")
	i386, _ := debarch.Named("i386")
	set := func(abi, srcarch, machine string) *manifest.Manifest {
		class := "ELFCLASS64"
		if machine == "EM_386" {
			class = "ELFCLASS32"
		}
		return &manifest.Manifest{ABI: abi, Arch: srcarch, Artifacts: []manifest.Artifact{
			{Path: "rust/libcore.rmeta", Kind: manifest.KindRmeta},
			{Path: "rust/libmacros.so", Kind: manifest.KindProcMacro, Machine: machine, Class: class},
		}}
	}
	tests := []struct {
		name string
		m    *manifest.Manifest
		host debarch.Arch
		want string
	}{
		{"native arm64 set on arm64", set("7.2.13+deb14-arm64", "arm64", "EM_AARCH64"), arm64, ""},
		{"native arm64 set on amd64", set("7.2.13+deb14-arm64", "arm64", "EM_AARCH64"), amd64,
			"the proc macros of this set run on arm64, not on this amd64 machine: install linux-librust-7.2.13+deb14-arm64-for-amd64, the set built for amd64"},
		{"arm64 set for amd64 on amd64", set("7.2.13+deb14-arm64", "arm64", "EM_X86_64"), amd64, ""},
		{"arm64 set for amd64 on arm64", set("7.2.13+deb14-arm64", "arm64", "EM_X86_64"), arm64,
			"the proc macros of this set run on amd64, not on this arm64 machine: install linux-librust-7.2.13+deb14-arm64, the set built for arm64"},
		// SRCARCH x86 is amd64 and i386 alike; the Rust kernels of x86 are amd64's.
		{"native amd64 set on an i386 userland", set("7.2.13+deb14-amd64", "x86", "EM_X86_64"), i386,
			"the proc macros of this set run on amd64, not on this i386 machine: install linux-librust-7.2.13+deb14-amd64-for-i386, the set built for i386"},
		{"amd64 set for i386 on amd64", set("7.2.13+deb14-amd64", "x86", "EM_386"), amd64,
			"the proc macros of this set run on i386, not on this amd64 machine: install linux-librust-7.2.13+deb14-amd64, the set built for amd64"},
		{"unknown machine", set("7.2.13+deb14-sparc64", "sparc", "EM_SPARCV9"), amd64,
			"the proc macros of this set run on EM_SPARCV9 ELFCLASS64, not on this amd64 machine: install linux-librust-7.2.13+deb14-sparc64-for-amd64, the set built for amd64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, bad := machineProblem(tt.m, tt.host)
			assert.Equal(t, tt.want != "", bad)
			assert.Equal(t, tt.want, msg)
		})
	}
}
