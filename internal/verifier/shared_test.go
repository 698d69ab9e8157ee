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
	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

const cloud = "7.2.13+deb14-cloud-amd64"

var x86Arch = dylib.Arch{Machine: elf.EM_X86_64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}

// installDebian lays out a flavour as Debian ships it, scripts a link into the shared
// linux-kbuild-7.2 tree, with its artifacts tree.
func installDebian(t *testing.T, fsys rootfs.FS, flavour string, s set, cfg, rustc string) {
	h, a := layout.Headers(flavour), layout.Artifacts(flavour)
	require.NoError(t, fsys.MkdirAll("/usr/lib/linux-kbuild-7.2/scripts/basic", 0o755))
	require.NoError(t, afero.WriteFile(fsys, "/usr/lib/linux-kbuild-7.2/scripts/basic/fixdep", []byte("fixdep"), 0o644))
	require.NoError(t, fsys.MkdirAll(h, 0o755))
	require.NoError(t, fsys.SymlinkIfPossible("../../lib/linux-kbuild-7.2/scripts", h+"/scripts"))
	require.NoError(t, afero.WriteFile(fsys, h+"/Makefile", []byte("include x\n"), 0o644))
	require.NoError(t, afero.WriteFile(fsys, h+"/.config", []byte(cfg), 0o644))
	for p, f := range s {
		require.NoError(t, fsys.MkdirAll(path.Dir(path.Join(a, p)), 0o755))
		require.NoError(t, afero.WriteFile(fsys, path.Join(a, p), f.data, 0o644))
	}
	m := manifestOf(s, rustc, cfg)
	m.ABI = flavour
	require.NoError(t, manifest.Write(fsys, a, m))
}

// linkDebian makes the links link makes for the set s of a flavour installed with
// installDebian: one per file below rust/, and, when shared, the one at the shared path
// below linux-kbuild-7.2/scripts into this flavour.
func linkDebian(t *testing.T, fsys rootfs.FS, flavour string, s set, shared bool) {
	h, a := layout.Headers(flavour), layout.Artifacts(flavour)
	for p := range s {
		rest, below := strings.CutPrefix(p, "scripts/")
		switch {
		case below && shared:
			sp := "/usr/lib/linux-kbuild-7.2/scripts/" + rest
			require.NoError(t, fsys.SymlinkIfPossible(kbuild.Target(sp, flavour, p), sp))
		case !below:
			l := path.Join(h, p)
			require.NoError(t, fsys.MkdirAll(path.Dir(l), 0o755))
			require.NoError(t, fsys.SymlinkIfPossible(layout.LinkTarget(l, path.Join(a, p)), l))
		}
	}
}

func TestVerifyShared(t *testing.T) {
	sid := version(t, "sid")
	cfg := config(sid)
	other := sidSet(t)
	other["scripts/target.json"] = setFile{manifest.KindTargetSpec, sample(t, "trixie/target.json")}
	tests := []struct {
		name      string
		cloudSet  func(t *testing.T) set
		full      bool
		amd, clou []string
	}{
		{"agreeing, quick", sidSet, false, nil, nil},
		{"agreeing, full", sidSet, true, nil, nil},
		// Neither flavour gets any link: a kernel with a problem is linked all or nothing.
		{"disagreeing", func(*testing.T) set { return other }, false,
			append([]string{"shared-conflict /usr/lib/linux-kbuild-7.2/scripts/target.json"}, missing(abi)...),
			// trixie's spec is not the one the sid crates were built for: also a finding.
			append([]string{"shared-conflict /usr/lib/linux-kbuild-7.2/scripts/target.json", "target-spec-mismatch " + layout.Artifacts(cloud) + "/scripts/target.json"},
				missing(cloud)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := newRoot(t)
			installDebian(t, fsys, abi, sidSet(t), cfg, sid)
			installDebian(t, fsys, cloud, tt.cloudSet(t), cfg, sid)
			// Flavours that agree are linked; ones that disagree, each with a problem,
			// get no link at all.
			if agreeing := tt.amd == nil; agreeing {
				linkDebian(t, fsys, abi, sidSet(t), true)
				linkDebian(t, fsys, cloud, sidSet(t), false)
			}
			for _, c := range []struct {
				abi  string
				want []string
			}{{abi, tt.amd}, {cloud, tt.clou}} {
				rep := Verify(fsys, Options{Headers: layout.Headers(c.abi), Artifacts: layout.Artifacts(c.abi), Links: true, Full: tt.full,
					RustcVersion: rustcIs(sid), Host: &x86Arch})
				var got []string
				for _, f := range rep.Findings {
					if f.Severity > Note {
						got = append(got, f.Code+" "+f.Path)
					}
				}
				assert.Equal(t, c.want, got, c.abi)
				for _, f := range rep.Findings {
					if f.Code == "shared-conflict" {
						assert.Contains(t, f.Message, "the flavours "+abi+" and "+cloud+" of linux-kbuild-7.2 need different scripts/target.json (")
						assert.Contains(t, f.Message, abi+": sha256 "+sum(sample(t, "sid/target.json")))
						assert.Contains(t, f.Message, cloud+": sha256 "+sum(sample(t, "trixie/target.json")))
					}
				}
			}
		})
	}

	// amd64 was linked alone; cloud arrives with another target.json: amd64 keeps the
	// link and verifies clean, cloud alone is the conflict.
	t.Run("newcomer", func(t *testing.T) {
		fsys := newRoot(t)
		installDebian(t, fsys, abi, sidSet(t), cfg, sid)
		linkDebian(t, fsys, abi, sidSet(t), true)
		installDebian(t, fsys, cloud, other, cfg, sid) // a conflict: no link
		codes := func(a string) ([]string, []Finding) {
			rep := Verify(fsys, Options{Headers: layout.Headers(a), Artifacts: layout.Artifacts(a), Links: true,
				RustcVersion: rustcIs(sid), Host: &x86Arch})
			var got []string
			var shared []Finding
			for _, f := range rep.Findings {
				if f.Severity > Note {
					got = append(got, f.Code+" "+f.Path)
				}
				if f.Code == "shared-conflict" {
					shared = append(shared, f)
				}
			}
			return got, shared
		}
		got, _ := codes(abi)
		assert.Empty(t, got, "the flavour served verifies clean")
		got, shared := codes(cloud)
		// Its headers reach amd64's file through the link that stays.
		want := append([]string{"shared-conflict /usr/lib/linux-kbuild-7.2/scripts/target.json", "target-spec-mismatch " + layout.Artifacts(cloud) + "/scripts/target.json"},
			missing(cloud)[:3]...)
		assert.Equal(t, append(want, "link-foreign "+layout.Headers(cloud)+"/scripts/target.json"), got)
		require.Len(t, shared, 1)
		assert.Equal(t, cloud+" needs another scripts/target.json (sha256 "+sum(sample(t, "trixie/target.json"))+") than the flavours "+abi+
			" of linux-kbuild-7.2 (sha256 "+sum(sample(t, "sid/target.json"))+"), which /usr/lib/linux-kbuild-7.2/scripts/target.json serves; only flavours that agree can be installed with Rust artifacts at once",
			shared[0].Message)
		assert.Equal(t, "remove linux-librust-"+cloud+", or linux-librust-"+abi+" then run linux-librust repair: keep the Rust artifacts of flavours that agree", shared[0].Fix)
	})

	// The shared link reaches cloud's file from amd64's headers: a copy of another size
	// there is caught, and in full mode one of the same size but other content.
	t.Run("tampered", func(t *testing.T) {
		for _, full := range []bool{false, true} {
			fsys := newRoot(t)
			installDebian(t, fsys, abi, sidSet(t), cfg, sid)
			installDebian(t, fsys, cloud, sidSet(t), cfg, sid)
			linkDebian(t, fsys, abi, sidSet(t), true)
			linkDebian(t, fsys, cloud, sidSet(t), false)
			// The link serves amd64; cloud reaches amd64's file.
			spec := sample(t, "sid/target.json")
			bad := append([]byte{}, spec...)
			bad[len(bad)-2] ^= 1
			if !full {
				bad = append(bad, ' ')
			}
			require.NoError(t, afero.WriteFile(fsys, layout.Artifacts(abi)+"/scripts/target.json", bad, 0o644))
			rep := Verify(fsys, Options{Headers: layout.Headers(cloud), Artifacts: layout.Artifacts(cloud), Links: true, Full: full,
				RustcVersion: rustcIs(sid), Host: &x86Arch})
			assert.Contains(t, rep.Codes(), "link-foreign", "full=%v", full)
		}
	})
}

// missing lists the link-missing findings of a sid set that has no link at all.
func missing(abi string) []string {
	var out []string
	for _, p := range []string{"rust/libnocore.rmeta", "rust/libsample.rmeta", "rust/libsamplemacro.so", "scripts/target.json"} {
		out = append(out, "link-missing "+layout.Headers(abi)+"/"+p)
	}
	return out
}
