package verifier

import (
	"debug/elf"
	"path"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/manifest"
)

// An arm64 kernel's sets, with sid's real proc macros: the native one (built on arm64,
// an aarch64 proc macro) and the one cross-built on amd64 (an x86_64 proc macro), each
// checked on an amd64 and on an arm64 machine. What an arm64 machine sees is only
// provable there; Options.Host stands in for it, with the same real files.
func TestVerifyCrossSets(t *testing.T) {
	const (
		armABI  = "7.2.13+deb14-arm64"
		armHdr  = "/usr/src/linux-headers-" + armABI
		native  = "/usr/lib/linux-librust-" + armABI
		forAmd  = "/usr/lib/x86_64-linux-gnu/linux-librust-" + armABI
		amdFix  = "install linux-librust-" + armABI + "-for-amd64 (the set built on amd64), or build modules on a EM_AARCH64 64-bit little-endian machine"
		armFix  = "install linux-librust-" + armABI + " (the set built on arm64), or build modules on a EM_X86_64 64-bit little-endian machine"
		foreign = "procmacro-foreign-machine"
	)
	amd64 := &dylib.Arch{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}
	arm64 := &dylib.Arch{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}
	tests := []struct {
		name     string
		tree     string
		macro    string // sample
		machine  string
		pmArch   string // Proc-Macro-Architecture
		host     *dylib.Arch
		wantCode string
		wantFix  string
		unlisted bool // a file the manifest does not list is in the tree
	}{
		{"native set on arm64", native, "sid/libsamplemacro.aarch64.so", "EM_AARCH64", "", arm64, "", "", false},
		{"native set on amd64", native, "sid/libsamplemacro.aarch64.so", "EM_AARCH64", "", amd64, foreign, amdFix, false},
		{"set for amd64 on amd64", forAmd, "sid/libsamplemacro.so", "EM_X86_64", "amd64", amd64, "", "", false},
		{"set for amd64 on arm64", forAmd, "sid/libsamplemacro.so", "EM_X86_64", "amd64", arm64, foreign, armFix, false},
		{"set for amd64, an unlisted file", forAmd, "sid/libsamplemacro.so", "EM_X86_64", "amd64", amd64, "unlisted-artifact",
			"remove it, or reinstall linux-librust-" + armABI + "-for-amd64", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newRoot(t)
			sid := version(t, "sid")
			cfg := strings.Replace(config(sid), "Linux/x86 ", "Linux/arm64 ", 1)
			s := set{
				"rust/libsample.rmeta": {manifest.KindRmeta, sample(t, "sid/libsample.rmeta")},
				"rust/libmacros.so":    {manifest.KindProcMacro, sample(t, tt.macro)},
			}
			m := manifestOf(s, sid, cfg)
			m.ABI, m.Arch, m.ProcMacroArch = armABI, "arm64", tt.pmArch
			for i := range m.Artifacts {
				if m.Artifacts[i].Kind == manifest.KindProcMacro {
					m.Artifacts[i].Machine = tt.machine
				}
			}
			for p, f := range s {
				require.NoError(t, fsys.MkdirAll(path.Dir(path.Join(tt.tree, p)), 0o755))
				require.NoError(t, afero.WriteFile(fsys, path.Join(tt.tree, p), f.data, 0o644))
			}
			require.NoError(t, manifest.Write(fsys, tt.tree, m))
			if tt.unlisted {
				require.NoError(t, afero.WriteFile(fsys, path.Join(tt.tree, "rust/libextra.rmeta"), sample(t, "sid/libsample.rmeta"), 0o644))
			}
			require.NoError(t, fsys.MkdirAll(armHdr, 0o755))
			require.NoError(t, afero.WriteFile(fsys, path.Join(armHdr, ".config"), []byte(cfg), 0o644))

			rep := Verify(fsys, Options{Headers: armHdr, Artifacts: tt.tree, Host: tt.host, RustcVersion: rustcIs(sid)})
			if tt.wantCode == "" {
				assert.Empty(t, rep.Findings)
				return
			}
			at := "rust/libmacros.so"
			if tt.unlisted {
				at = "rust/libextra.rmeta"
			}
			require.Equal(t, []string{tt.wantCode + " " + path.Join(tt.tree, at)}, codes(rep.Findings))
			assert.Equal(t, tt.wantFix, rep.Findings[0].Fix)
		})
	}
}

func codes(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code+" "+f.Path)
	}
	return out
}
