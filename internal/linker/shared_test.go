package linker

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// The Debian fixture: two flavours of 7.2 whose headers have
// scripts -> ../../lib/linux-kbuild-7.2/scripts.
const (
	amd64 = "7.2.13+deb14-amd64"
	cloud = "7.2.13+deb14-cloud-amd64"
	kb    = "/usr/lib/linux-kbuild-7.2"
	sp    = kb + "/scripts/target.json" // the shared path
	spKey = "usr/lib/linux-kbuild-7.2/scripts/target.json"
)

// targetSpec is the real 7.2.13 amd64 scripts/target.json, shared by amd64, cloud-amd64
// and rt-amd64 (testdata/e2e/README.md).
const targetSpec = `{
    "arch": "x86_64",
    "rustc-abi": "x86-softfloat",
    "data-layout": "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-i128:128-f80:128-n8:16:32:64-S128",
    "features": "-mmx,+soft-float,+retpoline-external-thunk,+retpoline-indirect-branches,+retpoline-indirect-calls,+harden-sls-ijmp,+harden-sls-ret",
    "llvm-target": "x86_64-linux-gnu",
    "supported-sanitizers": ["kcfi","kernel-address"],
    "target-pointer-width": 64,
    "emit-debug-gdb-scripts": false,
    "frame-pointer": "may-omit",
    "stack-probes": {"kind": "none"}
}
`

// debianSet is an artifact set with the real target spec; spec replaces it when set.
func debianSet(spec string) map[string]string {
	s := clone(artifactSet)
	s["scripts/target.json"] = targetSpec
	if spec != "" {
		s["scripts/target.json"] = spec
	}
	return s
}

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// debianFixture lays out linux-kbuild-7.2 with a few files and, for each flavour, its
// headers and artifacts trees (spec: the flavour's target.json, "" the real one).
func debianFixture(t *testing.T, specs map[string]string) *fixture {
	f := newFixture(t)
	f.write(kb+"/scripts/basic/fixdep", "fixdep")
	f.write(kb+"/scripts/Makefile.build", "# build")
	f.write(kb+"/scripts/module.lds", "SECTIONS {}")
	f.write(kb+"/tools/objtool/objtool", "objtool")
	for abi, spec := range specs {
		f.headers(abi, true)
		f.artifacts(abi, debianSet(spec))
	}
	return f
}

var rustPaths = []string{"rust/kernel/sub/another.rmeta", "rust/kernel/sub/deep.rmeta", "rust/libcore.rmeta", "rust/libkernel.rmeta", "rust/libmacros.so"}

// debianLinked returns tree with abi's headers links and, when into is not empty, the
// shared link into that ABI, recorded there with the backup when backup is set.
func debianLinked(tree map[string]string, abis []string, into string, backup bool) map[string]string {
	out := clone(tree)
	for _, a := range abis {
		out = linked(out, a, rustPaths, createdDirs, nil)
	}
	if into == "" {
		return out
	}
	out[sp] = treedump.Symlink("../../linux-librust-" + into + "/scripts/target.json")
	r := state.Record{}
	if contains(abis, into) {
		for _, d := range createdDirs {
			r.Add(state.Dir, d)
		}
		for _, p := range rustPaths {
			r.Add(state.Link, p)
		}
	}
	r.Add(state.Shared, spKey)
	if backup {
		r.Add(state.SharedBackup, spKey)
		out[sp+layout.BackupSuffix] = tree[sp]
	}
	addStateDir(out)
	out[state.Path(into)] = treedump.File(0o644, string(r.Marshal()))
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// requireNoWrites runs fn on a counting file system and asserts nothing was written.
func requireNoWrites(t *testing.T, f *fixture, force bool, fn func(e *Engine) error) {
	t.Helper()
	ff := faultfs.New(f.fs, 0)
	require.NoError(t, fn(&Engine{FS: ff, Force: force}))
	assert.Empty(t, ff.Ops(), "a second run must write nothing")
}

func lines(t *testing.T, e *Engine, abis ...string) []string {
	var out []string
	for _, a := range abis {
		st, err := e.Status(a)
		require.NoError(t, err)
		out = append(out, st.Line())
	}
	return out
}

// TestSharedOneFlavour: the Debian layout with one flavour links target.json in the
// kbuild tree; unlink gives back every tree as before.
func TestSharedOneFlavour(t *testing.T) {
	f := debianFixture(t, map[string]string{amd64: ""})
	before := f.dump()
	e := f.engine()
	r, err := e.Link(amd64)
	require.NoError(t, err)
	assert.Empty(t, r.Problems)
	want := debianLinked(before, []string{amd64}, amd64, false)
	requireTree(t, want, f.dump())
	assert.Equal(t, treedump.File(0o644, "linux-librust-state 1\ndir rust\ndir rust/kernel\ndir rust/kernel/sub\n"+
		"link rust/kernel/sub/another.rmeta\nlink rust/kernel/sub/deep.rmeta\nlink rust/libcore.rmeta\n"+
		"link rust/libkernel.rmeta\nlink rust/libmacros.so\nshared "+spKey+"\n"), want[state.Path(amd64)])
	// The build sees the real file through the headers' scripts link.
	data, err := os.ReadFile(filepath.Join(f.root, layout.Headers(amd64), "scripts/target.json"))
	require.NoError(t, err)
	assert.Equal(t, targetSpec, string(data))
	assert.Equal(t, []string{amd64 + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0"}, lines(t, e, amd64))

	requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.Link(amd64); return err })
	requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.RepairAll(); return err })

	_, err = e.Unlink(amd64)
	require.NoError(t, err)
	requireTree(t, stateDir(before), f.dump())
}

// TestSharedAgreeing: two flavours with the same target.json share one link into the
// lexically first; it moves when that flavour goes.
func TestSharedAgreeing(t *testing.T) {
	f := debianFixture(t, map[string]string{cloud: ""})
	original := f.dump()
	e := f.engine()

	// cloud first: the link serves it; then amd64 comes and takes it over.
	_, err := e.Link(cloud)
	require.NoError(t, err)
	requireTree(t, debianLinked(original, []string{cloud}, cloud, false), f.dump())
	f.headers(amd64, true)
	f.artifacts(amd64, debianSet(""))
	// Both flavours installed, nothing linked.
	before := debianFixture(t, map[string]string{amd64: "", cloud: ""}).dump()
	r, err := e.Link(amd64)
	require.NoError(t, err)
	assert.Empty(t, r.Problems)
	both := debianLinked(before, []string{amd64, cloud}, amd64, false)
	requireTree(t, both, f.dump())
	assert.Equal(t, []string{
		amd64 + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0",
		cloud + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0",
	}, lines(t, e, amd64, cloud))
	for _, a := range []string{amd64, cloud} {
		requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.Link(a); return err })
	}
	requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.RepairAll(); return err })

	// Removing linux-librust-amd64 (prerm: unlink, then dpkg removes the tree)
	// re-points the link to cloud.
	remove(t, f, amd64)
	before = without(before, layout.Artifacts(amd64))
	requireTree(t, debianLinked(before, []string{cloud}, cloud, false), f.dump())
	remove(t, f, cloud)
	requireTree(t, stateDir(without(before, layout.Artifacts(cloud))), f.dump())
}

// remove does what removing linux-librust-<abi> does: prerm unlink, then dpkg removes
// the artifacts tree.
func remove(t *testing.T, f *fixture, abi string) {
	t.Helper()
	r, err := (&Engine{FS: f.fs}).Unlink(abi)
	require.NoError(t, err)
	require.Empty(t, r.Problems)
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts(abi)))
}

// TestSharedDisagreeing: flavours installed at once that need different files get no
// link, a problem each naming both digests, and status conflict. A flavour arriving
// with another file than the one linked for a flavour already installed is the
// conflict alone: the link stays.
func TestSharedDisagreeing(t *testing.T) {
	other := strings.Replace(targetSpec, "+retpoline-external-thunk,", "", 1)
	f := debianFixture(t, map[string]string{amd64: "", cloud: other})
	before := f.dump()
	e := f.engine()
	msg := fmt.Sprintf("the flavours %s (sha256 %s), %s (sha256 %s) of linux-kbuild-7.2 need different scripts/target.json; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
		amd64, sha(targetSpec), cloud, sha(other), sp)
	reports, err := e.RepairAll()
	require.NoError(t, err)
	require.Len(t, reports, 2)
	for _, r := range reports {
		require.Equal(t, []Problem{{Kind: ProblemSharedConflict, Path: sp, Message: msg}}, r.Problems, r.ABI)
	}
	// Neither flavour, with a problem, gets any link.
	requireTree(t, stateDir(before), f.dump())
	for _, a := range []string{amd64, cloud} {
		st, err := e.Status(a)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("%s: conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0", a), st.Line())
		assert.Equal(t, []Problem{{Kind: ProblemSharedConflict, Path: sp, Message: msg}}, st.Problems)
	}
	requireNoWrites(t, f, true, func(e *Engine) error { _, err := e.RepairAll(); return err })

	// linux-librust-cloud goes: unlink, then dpkg removes its tree; amd64 is linked.
	_, err = e.Unlink(cloud)
	require.NoError(t, err)
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts(cloud)))
	_, err = e.RepairAll()
	require.NoError(t, err)
	alone := debianLinked(without(before, layout.Artifacts(cloud)), []string{amd64}, amd64, false)
	requireTree(t, alone, f.dump())

	// cloud comes back with its other file: it is the conflict, amd64 keeps its links.
	f.artifacts(cloud, debianSet(other))
	withCloud := f.dump()
	r, err := e.Link(cloud)
	require.NoError(t, err)
	newcomer := fmt.Sprintf("%s needs another scripts/target.json (sha256 %s) than the flavours %s of linux-kbuild-7.2 (sha256 %s), which %s serves; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
		cloud, sha(other), amd64, sha(targetSpec), sp, cloud)
	require.Equal(t, []Problem{{Kind: ProblemSharedConflict, Path: sp, Message: newcomer}}, r.Problems)
	requireTree(t, withCloud, f.dump())
	assert.Equal(t, []string{
		amd64 + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0",
		cloud + ": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0",
	}, lines(t, e, amd64, cloud))
	requireNoWrites(t, f, true, func(e *Engine) error { _, err := e.RepairAll(); return err })
}

// TestSharedOwnerRemoved: dpkg removed the artifacts tree the link points into without
// unlink; repair re-points the link to the other flavour, or removes it when none is
// left.
func TestSharedOwnerRemoved(t *testing.T) {
	for _, all := range []bool{true, false} {
		t.Run(fmt.Sprintf("all=%v", all), func(t *testing.T) {
			f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
			original := f.dump()
			e := f.engine()
			_, err := e.Repair([]string{amd64, cloud})
			require.NoError(t, err)
			require.NoError(t, f.fs.RemoveAll(layout.Artifacts(amd64)))
			before := f.dump()
			st, err := e.Status(amd64)
			require.NoError(t, err)
			assert.Equal(t, amd64+": stale headers=yes artifacts=no links=0/0 conflicts=0 stale=5", st.Line())
			if all {
				_, err = e.RepairAll()
			} else {
				_, err = e.Repair([]string{amd64})
			}
			require.NoError(t, err)
			// amd64's headers as shipped; cloud linked and serving the shared path.
			want := debianLinked(without(original, layout.Artifacts(amd64)), []string{cloud}, cloud, false)
			requireTree(t, want, f.dump())
			requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.RepairAll(); return err })

			// The last one goes too: the link goes.
			require.NoError(t, f.fs.RemoveAll(layout.Artifacts(cloud)))
			_, err = e.RepairAll()
			require.NoError(t, err)
			_, err = lstatRoot(f, sp)
			assert.True(t, os.IsNotExist(err), "the shared link is removed")
			assert.Equal(t, before[kb+"/scripts/basic/fixdep"], f.dump()[kb+"/scripts/basic/fixdep"])
		})
	}
}

func lstatRoot(f *fixture, p string) (os.FileInfo, error) { return os.Lstat(filepath.Join(f.root, p)) }

// TestSharedKbuildRemoved: dpkg removed linux-kbuild-7.2 (and the headers that depend
// on it), leaving its directories because of the link; repair removes the link and
// them. Also when the headers stayed (dpkg --force-depends).
func TestSharedKbuildRemoved(t *testing.T) {
	for _, headersToo := range []bool{true, false} {
		t.Run(fmt.Sprintf("headers=%v", headersToo), func(t *testing.T) {
			f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
			original := f.dump()
			e := f.engine()
			_, err := e.RepairAll()
			require.NoError(t, err)
			// What dpkg removes of linux-kbuild-7.2: its files and its empty directories.
			for _, p := range []string{"/scripts/basic", "/scripts/Makefile.build", "/scripts/module.lds", "/tools"} {
				require.NoError(t, f.fs.RemoveAll(kb+p))
			}
			gone := []string{kb}
			if headersToo {
				for _, a := range []string{amd64, cloud} {
					h := layout.Headers(a)
					for _, p := range []string{"/Makefile", "/.config", "/include", "/scripts"} {
						require.NoError(t, f.fs.RemoveAll(h+p))
					}
					gone = append(gone, h)
				}
			}
			_, err = e.RepairAll()
			require.NoError(t, err)
			want := stateDir(original)
			if !headersToo {
				want = debianLinked(original, []string{amd64, cloud}, "", false)
			}
			for _, g := range gone {
				want = without(want, g)
			}
			requireTree(t, want, f.dump())
			requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.RepairAll(); return err })
		})
	}
}

// TestSharedForeign: a file at the shared path that the tool did not make is reported
// and left alone; --force moves it aside, and it comes back when the last flavour is
// unlinked.
func TestSharedForeign(t *testing.T) {
	for _, what := range []string{"file", "link"} {
		t.Run(what, func(t *testing.T) {
			f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
			if what == "file" {
				f.write(sp, "shipped by someone")
			} else {
				f.symlink("../../linux-librust-"+amd64+"/rust/libcore.rmeta", sp) // not the tool's: wrong artifact
			}
			before := f.dump()
			e := f.engine()
			for _, a := range []string{amd64, cloud} {
				r, err := e.Link(a)
				require.NoError(t, err)
				require.Equal(t, []string{"conflict " + sp}, problemKinds(r))
				assert.Contains(t, r.Problems[0].Message, "conflict: "+sp+" is a ")
				assert.Contains(t, r.Problems[0].Message, "; scripts/target.json not linked; use --force to move it aside")
			}
			requireTree(t, stateDir(before), f.dump(), "nothing is linked while a problem remains")
			assert.Equal(t, []string{
				amd64 + ": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0",
				cloud + ": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0",
			}, lines(t, e, amd64, cloud))

			// --force for cloud moves the object aside and links into amd64 (the first
			// flavour); amd64, without a problem now, is then linked without --force.
			e.Force = true
			r, err := e.Link(cloud)
			require.NoError(t, err)
			assert.Empty(t, r.Problems)
			e.Force = false
			r, err = e.Link(amd64)
			require.NoError(t, err)
			assert.Empty(t, r.Problems)
			want := debianLinked(before, []string{amd64, cloud}, amd64, true)
			requireTree(t, want, f.dump())
			requireNoWrites(t, f, true, func(e *Engine) error { _, err := e.RepairAll(); return err })

			// linux-librust-amd64 goes: the link and the backup's entry move to cloud.
			remove(t, f, amd64)
			before = without(before, layout.Artifacts(amd64))
			requireTree(t, debianLinked(before, []string{cloud}, cloud, true), f.dump())
			remove(t, f, cloud)
			requireTree(t, stateDir(without(before, layout.Artifacts(cloud))), f.dump())
		})
	}
}

// TestSharedSupport: a support file (the kernel's Rust availability check) is linked
// into the kbuild tree like target.json where the kbuild package lacks it; where the
// package ships the file, also after the tool linked it, that file serves: no link, no
// conflict, and nothing of the package's is touched.
func TestSharedSupport(t *testing.T) {
	const script = "scripts/rust_is_available.sh"
	ssp := kb + "/" + script
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		f.write(kb+"/scripts/Makefile.build", "# build")
		f.headers(amd64, true)
		set := debianSet("")
		set[script] = "#!/bin/sh\n# the check\n"
		f.artifacts(amd64, set)
		return f
	}
	status := []string{amd64 + ": linked headers=yes artifacts=yes links=7/7 conflicts=0 stale=0"}

	t.Run("kbuild lacks it", func(t *testing.T) {
		f := setup(t)
		before := f.dump()
		e := f.engine()
		r, err := e.Link(amd64)
		require.NoError(t, err)
		assert.Empty(t, r.Problems)
		got := f.dump()
		assert.Equal(t, treedump.Symlink("../../linux-librust-"+amd64+"/"+script), got[ssp])
		assert.Equal(t, status, lines(t, e, amd64))
		_, err = e.Unlink(amd64)
		require.NoError(t, err)
		requireTree(t, stateDir(before), f.dump())
	})

	t.Run("kbuild ships it", func(t *testing.T) {
		f := setup(t)
		f.write(ssp, "#!/bin/sh\n# the kernel's own, as packaged\n")
		before := f.dump()
		e := f.engine()
		r, err := e.Link(amd64)
		require.NoError(t, err)
		assert.Empty(t, r.Problems)
		got := f.dump()
		assert.Equal(t, before[ssp], got[ssp], "the package's file stays")
		assert.Equal(t, status, lines(t, e, amd64))
		requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.RepairAll(); return err })
		_, err = e.Unlink(amd64)
		require.NoError(t, err)
		requireTree(t, stateDir(before), f.dump())
	})

	t.Run("headers and kbuild removed first", func(t *testing.T) {
		f := setup(t)
		original := f.dump()
		e := f.engine()
		_, err := e.Link(amd64)
		require.NoError(t, err)
		// What dpkg removes of the headers and linux-kbuild-7.2: all but the tool's
		// links, two of them in the kbuild tree's scripts/.
		for _, p := range []string{"/scripts/Makefile.build", "/scripts/basic"} {
			require.NoError(t, f.fs.RemoveAll(kb+p))
		}
		h := layout.Headers(amd64)
		for _, p := range []string{"/Makefile", "/.config", "/include", "/scripts"} {
			require.NoError(t, f.fs.RemoveAll(h+p))
		}
		_, err = e.Repair([]string{amd64})
		require.NoError(t, err)
		requireTree(t, without(without(stateDir(original), kb), h), f.dump())
	})

	t.Run("kbuild starts shipping it", func(t *testing.T) {
		f := setup(t)
		e := f.engine()
		_, err := e.Link(amd64)
		require.NoError(t, err)
		// An upgrade of linux-kbuild unpacks the file over the tool's link.
		require.NoError(t, os.Remove(filepath.Join(f.root, ssp)))
		f.write(ssp, "#!/bin/sh\n# the kernel's own, as packaged\n")
		r, err := e.Repair([]string{amd64})
		require.NoError(t, err)
		for _, rep := range r {
			assert.Empty(t, rep.Problems)
		}
		assert.Equal(t, status, lines(t, e, amd64))
		_, err = e.Unlink(amd64)
		require.NoError(t, err)
		assert.Equal(t, treedump.File(0o644, "#!/bin/sh\n# the kernel's own, as packaged\n"), f.dump()[ssp])
	})
}

// TestSharedOtherLink: a parent link that does not resolve into a kbuild tree is never
// written through, not even with --force: the symlink-parent problem stays.
func TestSharedOtherLink(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	h := layout.Headers(abi)
	require.NoError(t, f.fs.RemoveAll(h+"/scripts"))
	f.write("/usr/lib/other-7.2/scripts/fixdep", "x")
	f.symlink("../../lib/other-7.2/scripts", h+"/scripts")
	before := f.dump()
	e := f.engine()
	for _, force := range []bool{false, true} {
		e.Force = force
		r, err := e.Link(abi)
		require.NoError(t, err)
		require.Equal(t, []string{"symlink-parent " + h + "/scripts"}, problemKinds(r))
		assert.Equal(t, h+"/scripts is a symlink into another package's tree (-> ../../lib/other-7.2/scripts); scripts/target.json not linked", r.Problems[0].Message)
		requireTree(t, stateDir(before), f.dump(), "nothing is linked while a problem remains")
	}
	assert.Equal(t, []string{abi + ": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0"}, lines(t, e, abi))
	_, err := e.Unlink(abi)
	require.NoError(t, err)
	requireTree(t, stateDir(before), f.dump())
}

// sharedCrashFixture: both flavours, a foreign file at the shared path that --force
// moves aside.
func sharedCrashFixture(t *testing.T) *fixture {
	f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
	f.write(sp, "someone's target.json")
	return f
}

// crashEvery interrupts run at every mutating operation on the tree setup makes,
// checks that every path is as before or as after, that the next run converges and
// that the one after writes nothing.
func crashEvery(t *testing.T, setup func(t *testing.T) *fixture, force bool, run func(e *Engine) error) {
	f := setup(t)
	before := f.dump()
	count := faultfs.New(f.fs, 0)
	require.NoError(t, run(&Engine{FS: count, Force: force}))
	after := f.dump()
	total := count.Count()
	require.Greater(t, total, 3)
	t.Logf("%d mutating operations", total)
	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := setup(t)
			ff := faultfs.New(f.fs, n)
			require.Error(t, run(&Engine{FS: ff, Force: force}))
			checkBetween(t, before, f.dump(), after, n)
			require.NoError(t, run(&Engine{FS: f.fs, Force: force}))
			requireTree(t, after, f.dump())
			requireNoWrites(t, f, force, run)
		})
	}
}

func TestCrashShared(t *testing.T) {
	linkBoth := func(t *testing.T) *fixture {
		f := sharedCrashFixture(t)
		_, err := (&Engine{FS: f.fs, Force: true}).Repair([]string{amd64, cloud})
		require.NoError(t, err)
		return f
	}
	unlinkAmd64 := func(t *testing.T) *fixture {
		f := linkBoth(t)
		remove(t, f, amd64)
		return f
	}
	// Run returns the error of the reports too: problems mean the run did not converge.
	check := func(reports []*Report, err error) error {
		for _, r := range reports {
			if err == nil && r != nil && len(r.Problems) > 0 {
				err = fmt.Errorf("problems: %v", r.Problems)
			}
		}
		return err
	}
	t.Run("link --force, backup and shared link", func(t *testing.T) {
		crashEvery(t, sharedCrashFixture, true, func(e *Engine) error { r, err := e.Link(amd64); return check([]*Report{r}, err) })
	})
	t.Run("link the second flavour, re-point", func(t *testing.T) {
		setup := func(t *testing.T) *fixture {
			f := sharedCrashFixture(t)
			_, err := (&Engine{FS: f.fs, Force: true}).Link(cloud)
			require.NoError(t, err)
			return f
		}
		crashEvery(t, setup, false, func(e *Engine) error { r, err := e.Link(amd64); return check([]*Report{r}, err) })
	})
	t.Run("unlink the flavour served, re-point", func(t *testing.T) {
		crashEvery(t, linkBoth, false, func(e *Engine) error { r, err := e.Unlink(amd64); return check([]*Report{r}, err) })
	})
	t.Run("unlink the last flavour, restore", func(t *testing.T) {
		crashEvery(t, unlinkAmd64, false, func(e *Engine) error { r, err := e.Unlink(cloud); return check([]*Report{r}, err) })
	})
	t.Run("repair after kbuild and headers removed", func(t *testing.T) {
		setup := func(t *testing.T) *fixture {
			f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
			_, err := (&Engine{FS: f.fs}).RepairAll()
			require.NoError(t, err)
			for _, p := range []string{kb + "/scripts/basic", kb + "/scripts/Makefile.build", kb + "/scripts/module.lds", kb + "/tools"} {
				require.NoError(t, f.fs.RemoveAll(p))
			}
			for _, a := range []string{amd64, cloud} {
				for _, p := range []string{"/Makefile", "/.config", "/include", "/scripts"} {
					require.NoError(t, f.fs.RemoveAll(layout.Headers(a)+p))
				}
			}
			return f
		}
		crashEvery(t, setup, false, func(e *Engine) error { return check(e.RepairAll()) })
	})
}

// TestCrashSharedThenUnlink: an interrupted link --force followed by unlink of both
// flavours gives back the original tree.
func TestCrashSharedThenUnlink(t *testing.T) {
	f := sharedCrashFixture(t)
	original := stateDir(f.dump())
	count := faultfs.New(f.fs, 0)
	_, err := (&Engine{FS: count, Force: true}).Link(amd64)
	require.NoError(t, err)
	for n := 1; n <= count.Count(); n++ {
		f := sharedCrashFixture(t)
		_, err := (&Engine{FS: faultfs.New(f.fs, n), Force: true}).Link(amd64)
		require.Error(t, err)
		remove(t, f, amd64)
		remove(t, f, cloud)
		requireTree(t, without(without(original, layout.Artifacts(amd64)), layout.Artifacts(cloud)), f.dump(), "fault at %d", n)
	}
}

// TestConcurrentRepairShared: eight instances repairing the Debian layout at once.
func TestConcurrentRepairShared(t *testing.T) {
	f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
	before := f.dump()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = (&Engine{FS: f.fs, LockWait: DefaultLockWait}).RepairAll()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	requireTree(t, debianLinked(before, []string{amd64, cloud}, amd64, false), f.dump())
}

// TestSharedDryRun: a dry run plans the shared link and changes nothing.
func TestSharedDryRun(t *testing.T) {
	f := sharedCrashFixture(t)
	before := f.dump()
	e := f.engine()
	e.DryRun, e.Force = true, true
	r, err := e.Link(amd64)
	require.NoError(t, err)
	assert.Contains(t, r.Actions, Action{Op: OpBackup, Path: sp, rel: "scripts/target.json"})
	assert.Contains(t, r.Actions, Action{Op: OpLink, Path: sp, Target: "../../linux-librust-" + amd64 + "/scripts/target.json", Replace: true, rel: "scripts/target.json"})
	requireTree(t, before, f.dump())
}

const rt = "7.2.13+deb14-rt-amd64"

// TestSharedNewcomer: amd64 and cloud are linked and share target.json; rt-amd64
// arrives with another target.json. Whether rt's set fails its own checks or is valid,
// the link that serves the flavours already installed stays, they stay linked, and rt
// alone is the conflict, named as such.
func TestSharedNewcomer(t *testing.T) {
	other := strings.Replace(targetSpec, "+retpoline-external-thunk,", "", 1)
	for _, failsChecks := range []bool{true, false} {
		t.Run(fmt.Sprintf("fails checks %v", failsChecks), func(t *testing.T) {
			f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
			_, err := f.engine().RepairAll()
			require.NoError(t, err)
			f.headers(rt, true)
			f.artifacts(rt, debianSet(other))
			before := f.dump()
			f.takeLogs()
			e := f.engine()
			checkMsg := "error: target-spec-mismatch: " + layout.Artifacts(rt) + "/scripts/target.json: not the target the crates were built for"
			e.Check = func(abi string) []Problem {
				if failsChecks && abi == rt {
					return []Problem{{Kind: ProblemCheck, Path: layout.Artifacts(rt) + "/scripts/target.json", Message: checkMsg}}
				}
				return nil
			}
			msg := fmt.Sprintf("%s needs another scripts/target.json (sha256 %s) than the flavours %s of linux-kbuild-7.2 (sha256 %s), which %s serves; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
				rt, sha(other), amd64+", "+cloud, sha(targetSpec), sp, rt)
			want := []Problem{{Kind: ProblemSharedConflict, Path: sp, Message: msg}}
			if failsChecks {
				want = append(want, Problem{Kind: ProblemCheck, Path: layout.Artifacts(rt) + "/scripts/target.json", Message: checkMsg})
			}
			for _, run := range []func() ([]*Report, error){
				func() ([]*Report, error) { r, err := e.Link(rt); return []*Report{r}, err },
				e.RepairAll,
			} {
				reports, err := run()
				require.NoError(t, err)
				for _, r := range reports {
					if r.ABI == rt {
						assert.Equal(t, want, r.Problems)
					} else {
						assert.Empty(t, r.Problems, r.ABI)
					}
				}
				requireTree(t, before, f.dump(), "the flavours already installed keep every link")
			}
			assert.Equal(t, []string{
				amd64 + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0",
				cloud + ": linked headers=yes artifacts=yes links=6/6 conflicts=0 stale=0",
				rt + ": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0",
			}, lines(t, e, amd64, cloud, rt))
			for _, l := range f.takeLogs() {
				if strings.Contains(l, "target.json") && !strings.Contains(l, "would") {
					assert.Contains(t, l, rt, "a warning about target.json names the newcomer")
				}
			}
		})
	}
}

// TestSharedUnlinkTogether: unlink of two flavours sharing target.json, in one command
// or one after the other, never re-points the link to a flavour unlinked, and
// repeating it changes nothing.
func TestSharedUnlinkTogether(t *testing.T) {
	f := debianFixture(t, map[string]string{amd64: "", cloud: ""})
	original := f.dump()
	e := f.engine()
	_, err := e.RepairAll()
	require.NoError(t, err)
	for _, abis := range [][]string{{amd64, cloud}, {cloud, amd64}} {
		_, err := e.RepairAll()
		require.NoError(t, err)
		reports, err := e.UnlinkAll(abis)
		require.NoError(t, err)
		require.Len(t, reports, 2)
		requireTree(t, stateDir(original), f.dump(), "unlink %v", abis)
		requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.UnlinkAll(abis); return err })
	}
	// One after the other: the link never goes back to the flavour unlinked first.
	for _, abis := range [][]string{{amd64, cloud}, {cloud, amd64}} {
		_, err := e.RepairAll()
		require.NoError(t, err)
		for _, a := range abis {
			_, err := e.Unlink(a)
			require.NoError(t, err)
		}
		requireTree(t, stateDir(original), f.dump(), "unlink %s, then %s", abis[0], abis[1])
		for _, a := range abis {
			requireNoWrites(t, f, false, func(e *Engine) error { _, err := e.Unlink(a); return err })
		}
	}
}
