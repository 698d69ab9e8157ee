package kbuild

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

const (
	amd64 = "7.2.13+deb14-amd64"
	cloud = "7.2.13+deb14-cloud-amd64"
	rt    = "7.2.13+deb14-rt-amd64"
	kb    = "/usr/lib/linux-kbuild-7.2"
	sp    = kb + "/scripts/target.json"
)

func TestOwner(t *testing.T) {
	for _, tt := range []struct {
		target, abi, rel string
	}{
		{"../../linux-librust-" + amd64 + "/scripts/target.json", amd64, "scripts/target.json"},
		{"../../linux-librust-" + amd64 + "/target.json", amd64, "target.json"},
		{"../../linux-librust-" + amd64 + "/scripts/other.json", "", ""},     // another name
		{"/usr/lib/linux-librust-" + amd64 + "/scripts/target.json", "", ""}, // absolute
		{"../../linux-librust-" + amd64 + "/./scripts/target.json", "", ""},  // not exact
		{"../../linux-librust-bad name/scripts/target.json", "", ""},
		{"../../linux-librust-/scripts/target.json", "", ""},
		{"../../../lib/linux-librust-" + amd64 + "/scripts/target.json", "", ""},
		{"", "", ""},
	} {
		a, rel, ok := Owner(sp, tt.target)
		assert.Equal(t, tt.abi != "", ok, tt.target)
		assert.Equal(t, tt.abi, a, tt.target)
		assert.Equal(t, tt.rel, rel, tt.target)
		if ok {
			assert.Equal(t, tt.target, Target(sp, a, rel), "Target is Owner's inverse")
		}
	}
}

// A link into the set built for this machine (a cross build's) is the tool's too, once
// that set is installed; a link into a native set that is not the one chosen is not.
func TestOwnerOfBuildSet(t *testing.T) {
	t.Cleanup(func() { layout.UseBuildSets(nil, "") })
	const arm = "7.2.13+deb14-arm64"
	fsys := afero.NewMemMapFs()
	require.NoError(t, afero.WriteFile(fsys, "/usr/lib/x86_64-linux-gnu/linux-librust-"+arm+"/"+layout.ManifestName, nil, 0o644))
	layout.UseBuildSets(fsys, "x86_64-linux-gnu")
	sp := kb + "/scripts/rust_is_available.sh"
	for _, tt := range []struct {
		target, abi string
	}{
		{"../../x86_64-linux-gnu/linux-librust-" + arm + "/scripts/rust_is_available.sh", arm},
		{"../../linux-librust-" + arm + "/scripts/rust_is_available.sh", ""},
		{"../../linux-librust-" + amd64 + "/scripts/rust_is_available.sh", amd64},
		{"../../aarch64-linux-gnu/linux-librust-" + arm + "/scripts/rust_is_available.sh", ""},
	} {
		a, rel, ok := Owner(sp, tt.target)
		assert.Equal(t, tt.abi != "", ok, tt.target)
		assert.Equal(t, tt.abi, a, tt.target)
		if ok {
			assert.Equal(t, "scripts/rust_is_available.sh", rel)
			assert.Equal(t, tt.target, Target(sp, a, rel), "Target is Owner's inverse")
		}
	}
}

func TestDir(t *testing.T) {
	for p, want := range map[string]string{
		sp:                           kb,
		kb:                           kb,
		"/usr/lib/linux-kbuild-":     "",
		"/usr/lib/other/scripts":     "",
		"/usr/lib/linux-kbuild-7.2x": "/usr/lib/linux-kbuild-7.2x",
	} {
		assert.Equal(t, want, Dir(p), p)
	}
}

// root is a real root with linux-kbuild-7.2 and flavours whose headers link scripts
// into it.
type root struct {
	t   *testing.T
	dir string
	fs  rootfs.FS
}

func newRoot(t *testing.T) *root {
	dir := t.TempDir()
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	r := &root{t: t, dir: dir, fs: fsys}
	r.write(kb+"/scripts/basic/fixdep", "fixdep")
	return r
}

func (r *root) write(p, content string) {
	require.NoError(r.t, r.fs.MkdirAll(path.Dir(p), 0o755))
	require.NoError(r.t, afero.WriteFile(r.fs, p, []byte(content), 0o644))
}

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// flavour installs abi's headers (scripts a link into the kbuild tree unless real) and
// artifacts with the target.json spec.
func (r *root) flavour(abi, spec string, real bool) {
	h, a := layout.Headers(abi), layout.Artifacts(abi)
	r.write(h+"/Makefile", "include x\n")
	if real {
		r.write(h+"/scripts/basic/fixdep", "fixdep")
	} else {
		require.NoError(r.t, r.fs.SymlinkIfPossible("../../lib/linux-kbuild-7.2/scripts", h+"/scripts"))
	}
	m := &manifest.Manifest{Format: 1, ABI: abi, Arch: "x86", RustcVersion: "rustc 1.97.1", ConfigSHA256: sum("config")}
	for p, c := range map[string]string{"rust/libcore.rmeta": "core", "scripts/target.json": spec} {
		r.write(path.Join(a, p), c)
		k, rv := manifest.KindRmeta, "rustc 1.97.1"
		if strings.HasSuffix(p, ".json") {
			k, rv = manifest.KindTargetSpec, ""
		}
		m.Artifacts = append(m.Artifacts, manifest.Artifact{Path: p, Kind: k, Size: int64(len(c)), SHA256: sum(c), RustcVersion: rv})
	}
	require.NoError(r.t, manifest.Write(r.fs, a, m))
}

func TestShared(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(r *root)
		abi     string
		wantSP  string
		members []string // "abi sha-of-content"
	}{
		{"one flavour", func(r *root) { r.flavour(amd64, "A", false) }, amd64, sp, []string{amd64 + " A"}},
		{"two agreeing, one with real scripts", func(r *root) {
			r.flavour(amd64, "A", false)
			r.flavour(cloud, "A", false)
			r.flavour(rt, "A", true)
		}, cloud, sp, []string{amd64 + " A", cloud + " A"}},
		{"disagreeing", func(r *root) {
			r.flavour(amd64, "A", false)
			r.flavour(cloud, "B", false)
		}, amd64, sp, []string{amd64 + " A", cloud + " B"}},
		{"real scripts: no shared path", func(r *root) { r.flavour(rt, "A", true) }, rt, "", nil},
		{"artifact missing: no member", func(r *root) {
			r.flavour(amd64, "A", false)
			r.flavour(cloud, "A", false)
			require.NoError(r.t, r.fs.Remove(layout.Artifacts(cloud)+"/scripts/target.json"))
		}, amd64, sp, []string{amd64 + " A"}},
		{"damaged manifest: no member", func(r *root) {
			r.flavour(amd64, "A", false)
			r.flavour(cloud, "A", false)
			r.write(layout.Artifacts(cloud)+"/"+layout.ManifestName, "garbage")
		}, amd64, sp, []string{amd64 + " A"}},
		{"headers without Makefile: no member", func(r *root) {
			r.flavour(amd64, "A", false)
			r.flavour(cloud, "A", false)
			require.NoError(r.t, r.fs.Remove(layout.Headers(cloud)+"/Makefile"))
		}, amd64, sp, []string{amd64 + " A"}},
		{"kbuild package gone: no members", func(r *root) {
			r.flavour(amd64, "A", false)
			require.NoError(r.t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(r.t, r.fs.SymlinkIfPossible("../../linux-librust-"+amd64+"/scripts/target.json", sp))
		}, amd64, sp, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoot(t)
			tt.setup(r)
			before := treedump.Dump(t, r.dir)
			got, ms, err := NewView(r.fs).Shared(tt.abi, "scripts/target.json")
			require.NoError(t, err)
			assert.Equal(t, tt.wantSP, got)
			var want []Member
			for _, m := range tt.members {
				a, c, _ := strings.Cut(m, " ")
				want = append(want, Member{ABI: a, Path: "scripts/target.json", SHA256: sum(c), Kind: manifest.KindTargetSpec})
			}
			assert.Equal(t, want, ms)
			assert.Equal(t, before, treedump.Dump(t, r.dir), "a View changes nothing")
		})
	}
}

func TestGone(t *testing.T) {
	link := "../../linux-librust-" + amd64 + "/scripts/target.json"
	tests := []struct {
		name  string
		setup func(r *root)
		want  bool
	}{
		{"installed", func(r *root) {}, false},
		{"only the link", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(t, r.fs.SymlinkIfPossible(link, sp))
		}, true},
		{"the link and the tool's leftovers", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			for _, n := range []string{sp, sp + layout.TempSuffix, sp + layout.BackupSuffix} {
				require.NoError(t, r.fs.SymlinkIfPossible(link, n))
			}
		}, true},
		{"directories only, the link removed by an interrupted run", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
		}, true},
		{"another file", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(t, r.fs.SymlinkIfPossible(link, sp))
			r.write(kb+"/README", "x")
		}, false},
		{"the link and the tool's link at a sibling shared path", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(t, r.fs.SymlinkIfPossible(link, sp))
			require.NoError(t, r.fs.SymlinkIfPossible("../../linux-librust-"+amd64+"/scripts/rust_is_available.sh", kb+"/scripts/rust_is_available.sh"))
		}, true},
		{"a foreign link next to the link", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(t, r.fs.SymlinkIfPossible(link, sp))
			require.NoError(t, r.fs.SymlinkIfPossible("../../linux-librust-"+amd64+"/scripts/other.sh", kb+"/scripts/rust_is_available.sh"))
		}, false},
		{"a file next to the link", func(r *root) {
			require.NoError(t, r.fs.RemoveAll(kb+"/scripts/basic"))
			require.NoError(t, r.fs.SymlinkIfPossible(link, sp))
			r.write(kb+"/scripts/Makefile.build", "x")
		}, false},
		{"no kbuild tree", func(r *root) { require.NoError(t, r.fs.RemoveAll(kb)) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRoot(t)
			tt.setup(r)
			got, err := NewView(r.fs).Gone(sp)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// readlinkCounter counts the names read as links.
type readlinkCounter struct {
	rootfs.FS
	n int
}

func (c *readlinkCounter) ReadlinkIfPossible(name string) (string, error) {
	c.n++
	return c.FS.ReadlinkIfPossible(name)
}

// TestGoneInstalledReadsOneName: on an installed kbuild tree, whose scripts/ holds many
// files next to the shared path, Gone stops at the first of them: the hook's no-op run
// does not read every name there as a link.
func TestGoneInstalledReadsOneName(t *testing.T) {
	r := newRoot(t)
	for i := range 20 {
		r.write(fmt.Sprintf("%s/scripts/tool%d", kb, i), "x")
	}
	require.NoError(t, r.fs.SymlinkIfPossible("../../linux-librust-"+amd64+"/scripts/target.json", sp))
	c := &readlinkCounter{FS: r.fs}
	gone, err := NewView(c).Gone(sp)
	require.NoError(t, err)
	assert.False(t, gone)
	assert.LessOrEqual(t, c.n, 1)
}

func TestServed(t *testing.T) {
	r := newRoot(t)
	r.flavour(amd64, "A", false)
	r.flavour(cloud, "A", false)
	r.flavour(rt, "A", true)
	h := layout.Headers(cloud) + "/scripts/target.json"
	_, ok := NewView(r.fs).Served(h)
	assert.False(t, ok, "nothing at the shared path")
	require.NoError(t, r.fs.SymlinkIfPossible("../../linux-librust-"+amd64+"/scripts/target.json", sp))
	got, ok := NewView(r.fs).Served(h)
	assert.True(t, ok)
	assert.Equal(t, sp, got)
	_, ok = NewView(r.fs).Served(layout.Headers(rt) + "/scripts/target.json")
	assert.False(t, ok, "real scripts directory")
	require.NoError(t, r.fs.Remove(sp))
	require.NoError(t, r.fs.SymlinkIfPossible("/elsewhere", sp))
	_, ok = NewView(r.fs).Served(h)
	assert.False(t, ok, "a foreign link")
}

func TestChoose(t *testing.T) {
	a, c, r := Member{ABI: amd64, SHA256: "X"}, Member{ABI: cloud, SHA256: "X"}, Member{ABI: rt, SHA256: "Y"}
	early := Member{ABI: "7.2.13+deb14-aaa-amd64", SHA256: "Y"}
	set := func(abis ...string) func(string) bool {
		return func(abi string) bool {
			for _, x := range abis {
				if x == abi {
					return true
				}
			}
			return false
		}
	}
	all := func(string) bool { return true }
	tests := []struct {
		name     string
		ms       []Member
		owner    string
		leaving  func(string) bool
		valid    func(string) bool
		sum      string
		into     string
		serve    []Member
		conflict []Member
	}{
		{"none", nil, "", nil, nil, "", "", nil, nil},
		{"agreeing", []Member{a, c}, "", nil, nil, "X", amd64, []Member{a, c}, nil},
		{"disagreeing, no link: every member a conflict", []Member{a, c, r}, "", nil, nil, "", "", nil, []Member{a, c, r}},
		{"the newcomer disagrees: the served content stays", []Member{a, c, r}, amd64, nil, nil, "X", amd64, []Member{a, c}, []Member{r}},
		{"a newcomer lexically first disagrees: the content served stays", []Member{early, a, c}, cloud, nil, nil, "X", amd64, []Member{a, c}, []Member{early}},
		{"a newcomer failing its checks takes no part", []Member{a, c, r}, "", nil, set(amd64, cloud), "X", amd64, []Member{a, c}, []Member{r}},
		{"only failing sets: what is served stays", []Member{a, r}, amd64, nil, set(), "X", amd64, []Member{a}, []Member{r}},
		{"only failing sets that disagree, no link: nothing", []Member{a, r}, "", nil, set(), "", "", nil, []Member{a, r}},
		{"served content needed by nobody valid: the valid decide", []Member{a, r}, amd64, nil, set(rt), "Y", rt, []Member{r}, []Member{a}},
		{"owner leaving, another needs its content", []Member{a, c, r}, amd64, set(amd64), all, "X", cloud, []Member{c}, []Member{r}},
		{"owner leaving, the rest agree on another", []Member{a, r}, amd64, set(amd64), all, "Y", rt, []Member{r}, nil},
		{"every member leaving", []Member{a, c}, amd64, set(amd64, cloud), all, "", "", nil, nil},
		{"agreeing: no check is asked", []Member{a, c}, "", nil, func(string) bool { panic("asked") }, "X", amd64, []Member{a, c}, nil},
		{"disagreeing: the link goes into a valid member", []Member{a, c, r}, amd64, nil, set(cloud), "X", cloud, []Member{a, c}, []Member{r}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Choose(tt.ms, tt.owner, tt.leaving, tt.valid)
			assert.Equal(t, tt.sum, got.SHA256)
			if tt.into == "" {
				assert.Nil(t, got.Into)
			} else if assert.NotNil(t, got.Into) {
				assert.Equal(t, tt.into, got.Into.ABI)
			}
			assert.Equal(t, tt.serve, got.Serve)
			assert.Equal(t, tt.conflict, got.Conflict)
		})
	}
}

func TestServing(t *testing.T) {
	r := newRoot(t)
	v := NewView(r.fs)
	got, err := v.Serving(sp)
	require.NoError(t, err)
	assert.Equal(t, "", got)
	require.NoError(t, r.fs.SymlinkIfPossible("../../linux-librust-"+cloud+"/scripts/target.json", sp))
	got, err = NewView(r.fs).Serving(sp)
	require.NoError(t, err)
	assert.Equal(t, cloud, got)
}

// lstatRecorder records the names its Lstat is asked (LstatAll asks a wrapper one name
// at a time).
type lstatRecorder struct {
	rootfs.FS
	names []string
}

func (c *lstatRecorder) Lstat(name string) (os.FileInfo, error) {
	c.names = append(c.names, name)
	return c.FS.Lstat(name)
}

// TestMembersLookAtTheSharedArtifactOnly: finding the members of a shared path looks at
// the one artifact of each other flavour that reaches it, not at all of its artifacts
// (a no-op link of one flavour runs this for the others).
func TestMembersLookAtTheSharedArtifactOnly(t *testing.T) {
	r := newRoot(t)
	r.flavour(amd64, "A", false)
	r.flavour(cloud, "A", false)
	c := &lstatRecorder{FS: r.fs}
	ms, err := NewView(c).Members(sp)
	require.NoError(t, err)
	require.Len(t, ms, 2)
	var other []string
	for _, n := range c.names {
		if strings.HasPrefix(n, layout.Artifacts(cloud)+"/") {
			other = append(other, strings.TrimPrefix(n, layout.Artifacts(cloud)+"/"))
		}
	}
	assert.Equal(t, []string{layout.ManifestName, "scripts", "scripts/target.json"}, other)
}
