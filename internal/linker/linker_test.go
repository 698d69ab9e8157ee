package linker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

func TestTarget(t *testing.T) {
	assert.Equal(t, "../../../lib/linux-librust-"+abi+"/rust/libcore.rmeta", target(layout.Headers(abi), abi, "rust/libcore.rmeta"))
	assert.Equal(t, "../../lib/linux-librust-"+abi+"/x", target(layout.Headers(abi), abi, "x"))
	assert.Equal(t, "../../../../../lib/linux-librust-"+abi+"/rust/kernel/sub/deep.rmeta", target(layout.Headers(abi), abi, "rust/kernel/sub/deep.rmeta"))
}

// TestLinkUnlink: per-file links through real directories, a second link writes
// nothing, unlink gives back the headers tree exactly as before.
func TestLinkUnlink(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	before := f.dump()
	e := f.engine()

	r, err := e.Link(abi)
	require.NoError(t, err)
	assert.Empty(t, r.Problems)
	want := linked(before, abi, allPaths(), createdDirs, nil)
	requireTree(t, want, f.dump())
	// The record, spelled out once.
	h := "/usr/src/linux-headers-" + abi
	assert.Equal(t, treedump.File(0o644, "linux-librust-state 1\n"+
		"dir rust\ndir rust/kernel\ndir rust/kernel/sub\n"+
		"link rust/kernel/sub/another.rmeta\nlink rust/kernel/sub/deep.rmeta\nlink rust/libcore.rmeta\n"+
		"link rust/libkernel.rmeta\nlink rust/libmacros.so\nlink scripts/target.json\n"), want["/var/lib/linux-librust/"+abi])
	assert.Equal(t, "symlink ../../../lib/linux-librust-"+abi+"/rust/libcore.rmeta", want[h+"/rust/libcore.rmeta"])
	assert.Equal(t, "dir 0755", want[h+"/rust"], "rust/ must be a real directory, never a link to a directory")
	// Links open the artifacts.
	data, err := os.ReadFile(filepath.Join(f.root, h, "rust/kernel/sub/deep.rmeta"))
	require.NoError(t, err)
	assert.Equal(t, "deep", string(data))

	// A second run writes nothing at all.
	stats := statAll(t, f.root)
	ff := faultfs.New(f.fs, 0)
	r, err = (&Engine{FS: ff, Log: f.log}).Link(abi)
	require.NoError(t, err)
	assert.Empty(t, r.Actions)
	assert.Empty(t, ff.Ops(), "a no-op link must not write")
	assert.Equal(t, stats, statAll(t, f.root))
	requireTree(t, want, f.dump())

	r, err = e.Unlink(abi)
	require.NoError(t, err)
	assert.Empty(t, r.Problems)
	requireTree(t, stateDir(before), f.dump())

	// Unlink again: nothing to do, nothing written.
	ff = faultfs.New(f.fs, 0)
	r, err = (&Engine{FS: ff}).Unlink(abi)
	require.NoError(t, err)
	assert.Empty(t, r.Actions)
	assert.Empty(t, ff.Ops())
}

// statAll returns mtime and inode of every object except the lock file, whose pid
// content belongs to the lock.
func statAll(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, layout.LockFile) {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		out[p] = fmt.Sprintf("%s ino=%d ctime=%d.%d", fi.ModTime(), st.Ino, st.Ctim.Sec, st.Ctim.Nsec)
		return nil
	}))
	return out
}

// TestForeignObjects: a foreign object in the way is reported and left alone; --force
// moves it aside and unlink puts it back.
func TestForeignObjects(t *testing.T) {
	h := layout.Headers(abi)
	l := h + "/rust/libcore.rmeta"
	tests := []struct {
		name  string
		setup func(f *fixture)
		msg   string
		kind  string
	}{
		{"regular file", func(f *fixture) { f.write(l, "shipped by someone") },
			"conflict: " + l + " is a regular file; rust/libcore.rmeta not linked; use --force to move it aside", ProblemConflict},
		{"directory", func(f *fixture) { f.write(l+"/inner", "x") },
			"conflict: " + l + " is a directory; rust/libcore.rmeta not linked; use --force to move it aside", ProblemConflict},
		{"foreign link", func(f *fixture) { f.symlink("/usr/lib/other/libcore.rmeta", l) },
			"conflict: " + l + " is a symbolic link not made by linux-librust (-> /usr/lib/other/libcore.rmeta); rust/libcore.rmeta not linked; use --force to move it aside", ProblemConflict},
		{"absolute link to the artifact is not the tool's", func(f *fixture) { f.symlink(layout.Artifacts(abi)+"/rust/libcore.rmeta", l) },
			"conflict: " + l + " is a symbolic link not made by linux-librust (-> " + layout.Artifacts(abi) + "/rust/libcore.rmeta); rust/libcore.rmeta not linked; use --force to move it aside", ProblemConflict},
		{"foreign temp link", func(f *fixture) { f.symlink("elsewhere", l+layout.TempSuffix) },
			l + layout.TempSuffix + " is a symbolic link not made by linux-librust; rust/libcore.rmeta not linked; move it away", ProblemConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.headers(abi, false)
			f.artifacts(abi, artifactSet)
			tt.setup(f)
			before := f.dump()

			r, err := f.engine().Link(abi)
			require.NoError(t, err)
			require.Len(t, r.Problems, 1)
			assert.Equal(t, tt.kind, r.Problems[0].Kind)
			assert.Equal(t, tt.msg, r.Problems[0].Message)
			// Nothing at all is linked: a partly linked set is worse than none.
			requireTree(t, stateDir(before), f.dump())

			if strings.HasPrefix(tt.name, "foreign temp") {
				return // --force moves the object in the way, not a temporary name
			}
			e := f.engine()
			e.Force = true
			r, err = e.Link(abi)
			require.NoError(t, err)
			assert.Empty(t, r.Problems)
			assert.Contains(t, f.takeLogs(), "W: moved "+l+" aside to "+l+layout.BackupSuffix+" (--force); unlink puts it back")
			// rust/ exists already (it holds the foreign object): not created, not recorded.
			want := linked(before, abi, allPaths(), []string{"rust/kernel", "rust/kernel/sub"}, []string{"rust/libcore.rmeta"})
			for k, v := range before {
				if strings.HasPrefix(k, l+"/") { // a directory moved aside keeps its content
					want[strings.Replace(k, l, l+layout.BackupSuffix, 1)] = v
					delete(want, k)
				}
			}
			requireTree(t, want, f.dump())

			// A second --force run changes nothing.
			ff := faultfs.New(f.fs, 0)
			_, err = (&Engine{FS: ff, Force: true}).Link(abi)
			require.NoError(t, err)
			assert.Empty(t, ff.Ops())

			_, err = e.Unlink(abi)
			require.NoError(t, err)
			requireTree(t, stateDir(before), f.dump())
		})
	}
}

// TestForceBackupExists: --force never overwrites an existing backup name.
func TestForceBackupExists(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	l := layout.Headers(abi) + "/scripts/target.json"
	f.write(l, "foreign")
	f.write(l+layout.BackupSuffix, "someone's backup")
	before := f.dump()
	e := f.engine()
	e.Force = true
	r, err := e.Link(abi)
	require.NoError(t, err)
	require.Equal(t, []string{"backup-exists " + l + layout.BackupSuffix}, problemKinds(r))
	requireTree(t, stateDir(before), f.dump(), "nothing is linked while a problem remains")
	_, err = e.Unlink(abi)
	require.NoError(t, err)
	requireTree(t, stateDir(before), f.dump())
}

// TestUnlinkKeepsForeign: what others put into the tool's directories stays, and so
// do those directories.
func TestUnlinkKeepsForeign(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	before := f.dump()
	e := f.engine()
	_, err := e.Link(abi)
	require.NoError(t, err)
	h := layout.Headers(abi)
	f.write(h+"/rust/kernel/shipped-later.h", "a later headers package ships this")
	// A link that looks like the tool's but points elsewhere is not removed.
	require.NoError(t, f.fs.Remove(h+"/rust/libcore.rmeta"))
	f.symlink("../../../lib/linux-librust-other/rust/libcore.rmeta", h+"/rust/libcore.rmeta")

	_, err = e.Unlink(abi)
	require.NoError(t, err)
	want := clone(before)
	want[h+"/rust"] = treedump.Dir(0o755)
	want[h+"/rust/kernel"] = treedump.Dir(0o755)
	want[h+"/rust/kernel/shipped-later.h"] = treedump.File(0o644, "a later headers package ships this")
	want[h+"/rust/libcore.rmeta"] = treedump.Symlink("../../../lib/linux-librust-other/rust/libcore.rmeta")
	want[state.Path(abi)] = treedump.File(0o644, "linux-librust-state 1\ndir rust\ndir rust/kernel\n")
	requireTree(t, stateDir(want), f.dump())

	// Once the foreign objects go, the next run removes the tool's directories.
	require.NoError(t, f.fs.Remove(h+"/rust/kernel/shipped-later.h"))
	require.NoError(t, f.fs.Remove(h+"/rust/libcore.rmeta"))
	_, err = e.Unlink(abi)
	require.NoError(t, err)
	requireTree(t, stateDir(before), f.dump())
}

func TestMissingTrees(t *testing.T) {
	tests := []struct {
		name               string
		headers, artifacts bool
		msg                string
	}{
		{"no headers", false, true, "I: " + abi + ": nothing to do: /usr/src/linux-headers-" + abi + " is not installed (no Makefile)"},
		{"no artifacts", true, false, "I: " + abi + ": nothing to do: /usr/lib/linux-librust-" + abi + " is not installed (no linux-librust.manifest)"},
		{"neither", false, false, "I: " + abi + ": nothing to do: neither /usr/src/linux-headers-" + abi + " nor /usr/lib/linux-librust-" + abi + " is installed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.headers {
				f.headers(abi, false)
			}
			if tt.artifacts {
				f.artifacts(abi, artifactSet)
			}
			before := f.dump()
			r, err := f.engine().Link(abi)
			require.NoError(t, err)
			assert.Empty(t, r.Problems)
			assert.Empty(t, r.Actions)
			assert.Equal(t, []string{tt.msg}, f.takeLogs())
			requireTree(t, stateDir(before), f.dump())
		})
	}
}

// TestRepairAfterHeadersRemoved: dpkg removed the headers package but not the
// directory that holds the tool's links; repair removes everything left.
func TestRepairAfterHeadersRemoved(t *testing.T) {
	for _, debian := range []bool{false, true} {
		f := newFixture(t)
		f.headers(abi, debian)
		f.artifacts(abi, artifactSet)
		before := f.dump()
		e := f.engine()
		_, err := e.Link(abi)
		require.NoError(t, err)
		// What dpkg removes: every file and link it shipped, and its empty directories;
		// the directories that hold the tool's objects stay.
		h := layout.Headers(abi)
		for _, p := range []string{"/Makefile", "/.config", "/include/generated/autoconf.h", "/scripts"} {
			require.NoError(t, f.fs.RemoveAll(h+p))
		}
		require.NoError(t, f.fs.Remove(h+"/include/generated"))
		require.NoError(t, f.fs.Remove(h+"/include"))

		st, err := e.Status(abi)
		require.NoError(t, err)
		assert.Equal(t, StateStale, st.State)

		_, err = e.Repair([]string{abi})
		require.NoError(t, err)
		want := without(stateDir(before), h)
		requireTree(t, want, f.dump(), "debian=%v", debian)
	}
}

// TestRepairAfterArtifactsRemoved: the artifacts package went; the tool's links dangle;
// repair gives back the headers tree as shipped.
func TestRepairAfterArtifactsRemoved(t *testing.T) {
	f, e := linkedFixture(t)
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts(abi)))
	before := f.dump()

	st, err := e.Status(abi)
	require.NoError(t, err)
	assert.Equal(t, abi+": stale headers=yes artifacts=no links=0/0 conflicts=0 stale=6", st.Line())

	// link does nothing: a tree is missing.
	_, err = e.Link(abi)
	require.NoError(t, err)
	requireTree(t, before, f.dump())

	reports, err := e.RepairAll()
	require.NoError(t, err)
	require.Len(t, reports, 1)
	want := map[string]string{}
	for k, v := range before {
		if strings.Contains(v, "linux-librust-"+abi) || k == state.Path(abi) {
			continue
		}
		want[k] = v
	}
	h := layout.Headers(abi)
	for _, d := range createdDirs {
		delete(want, h+"/"+d)
	}
	requireTree(t, want, f.dump())
}

// TestManifestShrinks: an artifact dropped by a new version loses its link, and the
// directory created only for it goes too.
func TestManifestShrinks(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	before := f.dump()
	e := f.engine()
	_, err := e.Link(abi)
	require.NoError(t, err)

	smaller := clone(artifactSet)
	delete(smaller, "rust/kernel/sub/deep.rmeta")
	delete(smaller, "rust/kernel/sub/another.rmeta")
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts(abi)))
	f.artifacts(abi, smaller)
	before2 := without(before, layout.Artifacts(abi))
	for k, v := range f.dump() {
		if strings.HasPrefix(k, layout.Artifacts(abi)) {
			before2[k] = v
		}
	}
	st, err := e.Status(abi)
	require.NoError(t, err)
	assert.Equal(t, abi+": stale headers=yes artifacts=yes links=4/4 conflicts=0 stale=2", st.Line())

	_, err = e.Link(abi)
	require.NoError(t, err)
	paths := []string{"rust/libcore.rmeta", "rust/libkernel.rmeta", "rust/libmacros.so", "scripts/target.json"}
	requireTree(t, linked(before2, abi, paths, []string{"rust"}, nil), f.dump())
}

func TestInvalidABI(t *testing.T) {
	f := newFixture(t)
	before := f.dump()
	e := f.engine()
	for _, bad := range []string{"", "..", "../../etc", "a/b", "-x", "x y", strings.Repeat("a", 201)} {
		_, err := e.Link(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "invalid kernel ABI")
		_, err = e.Unlink(bad)
		require.Error(t, err, bad)
		_, err = e.Status(bad)
		require.Error(t, err, bad)
		_, err = e.Repair([]string{bad})
		require.Error(t, err, bad)
	}
	assert.Equal(t, stateDir(before), f.dump())
}

// TestConfinement: links planted under the root that point outside never make the tool
// read or write outside.
func TestConfinement(t *testing.T) {
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "Makefile"), []byte("host"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(outside, "sub"), 0o755))
	tests := []struct {
		name  string
		setup func(f *fixture)
		kinds []string
	}{
		{"rust dir links outside", func(f *fixture) {
			f.headers(abi, false)
			f.symlink(outside, layout.Headers(abi)+"/rust")
		}, []string{"symlink-parent", "symlink-parent", "symlink-parent", "symlink-parent", "symlink-parent"}},
		{"headers dir links outside", func(f *fixture) {
			f.symlink(outside, layout.Headers(abi)) // resolves to <root><outside>: no Makefile there
		}, nil},
		{"headers dir via ../", func(f *fixture) {
			f.symlink("../../../../../../../../.."+outside, layout.Headers(abi))
		}, nil},
		{"headers dir links inside the root", func(f *fixture) {
			f.headers("moved", false)
			f.symlink(layout.Headers("moved"), layout.Headers(abi))
		}, []string{"headers-path"}},
		{"artifact dir links outside", func(f *fixture) {
			f.headers(abi, false)
			require.NoError(f.t, f.fs.RemoveAll(layout.Artifacts(abi)+"/rust/kernel/sub"))
			f.symlink(filepath.Join(outside, "sub"), layout.Artifacts(abi)+"/rust/kernel/sub")
		}, []string{"artifact", "artifact"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hostBefore := treedump.Dump(t, outside)
			f := newFixture(t)
			f.artifacts(abi, artifactSet)
			tt.setup(f)
			e := f.engine()
			e.Force = true
			r, err := e.Link(abi)
			require.NoError(t, err)
			var kinds []string
			for _, p := range r.Problems {
				kinds = append(kinds, p.Kind)
			}
			assert.Equal(t, tt.kinds, kinds)
			_, err = e.Repair([]string{abi})
			require.NoError(t, err)
			_, err = e.Unlink(abi)
			require.NoError(t, err)
			assert.Equal(t, hostBefore, treedump.Dump(t, outside))
		})
	}
}

func TestDryRun(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	f.write(layout.Headers(abi)+"/scripts/target.json", "foreign")
	before := f.dump()
	e := f.engine()
	e.DryRun, e.Force = true, true
	r, err := e.Link(abi)
	require.NoError(t, err)
	assert.Len(t, r.Actions, 10)
	requireTree(t, before, f.dump(), "a dry run changes nothing, lock file included")
	h := layout.Headers(abi)
	golden(t, "dry-run-link.txt", []byte(strings.Join(f.takeLogs(), "\n")+"\n"))
	assert.Contains(t, r.Actions, Action{Op: OpBackup, Path: h + "/scripts/target.json", rel: "scripts/target.json"})
}

func TestStaleTemp(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	before := f.dump()
	h := layout.Headers(abi)
	// Left by an interrupted run: the temporary link, in a directory the record knows.
	f.symlink(target(layout.Headers(abi), abi, "scripts/target.json"), h+"/scripts/target.json"+layout.TempSuffix)
	st, err := f.engine().Status(abi)
	require.NoError(t, err)
	assert.Equal(t, 1, st.Stale)
	_, err = f.engine().Link(abi)
	require.NoError(t, err)
	requireTree(t, linked(before, abi, allPaths(), createdDirs, nil), f.dump())
}

// TestDamagedRecord: a record that cannot be read is a problem of its ABI, which is
// left alone, while the other ABIs are served. A FIFO in its place must not hang.
func TestDamagedRecord(t *testing.T) {
	const other = "7.3.0-1-amd64"
	rp := state.Path(abi)
	tests := []struct {
		name  string
		plant func(f *fixture)
		msg   string
	}{
		{"garbage", func(f *fixture) { f.write(rp, "garbage\n") }, "is damaged: line 1"},
		{"fifo", func(f *fixture) {
			require.NoError(t, f.fs.MkdirAll(layout.StateDir, 0o755))
			require.NoError(t, syscall.Mkfifo(filepath.Join(f.root, rp), 0o644))
		}, "is damaged: it is a FIFO, not a regular file"},
		{"directory", func(f *fixture) { f.write(rp+"/x", "") }, "is damaged: it is a directory, not a regular file"},
		{"link", func(f *fixture) {
			f.write("/etc/record", "linux-librust-state 1\ndir rust\n")
			f.symlink("/etc/record", rp)
		}, "is damaged: it is a symbolic link, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for _, a := range []string{abi, other} {
				f.headers(a, false)
				f.artifacts(a, artifactSet)
			}
			tt.plant(f)
			before := f.dump()
			done := make(chan struct{})
			go func() {
				defer close(done)
				e := f.engine()
				r, err := e.Link(abi)
				require.NoError(t, err)
				require.Equal(t, []string{ProblemStateRecord + " " + rp}, problemKinds(r))
				assert.Contains(t, r.Problems[0].Message, "state record "+rp+" "+tt.msg)
				assert.Contains(t, r.Problems[0].Message, "inspect the file, remove it, then run linux-librust repair "+abi)
				requireTree(t, stateDir(before), f.dump(), "a kernel with a damaged record is left alone")

				sts, err := e.StatusAll([]string{abi, other})
				require.NoError(t, err)
				require.Len(t, sts, 2)
				assert.Equal(t, abi+": conflict headers=yes artifacts=yes links=0/6 conflicts=1 stale=0", sts[0].Line())
				assert.Equal(t, other+": unlinked headers=yes artifacts=yes links=0/6 conflicts=0 stale=0", sts[1].Line())

				reports, err := e.RepairAll()
				require.NoError(t, err)
				require.Len(t, reports, 2)
				assert.Len(t, reports[0].Problems, 1)
				assert.Empty(t, reports[1].Problems)
				requireTree(t, linked(before, other, allPaths(), createdDirs, nil), f.dump(), "the other kernel is linked")
			}()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("reading the state record hangs")
			}
		})
	}
}

func TestParentNotDirectory(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	h := layout.Headers(abi)
	f.write(h+"/rust", "a file")
	before := f.dump()
	e := f.engine()
	e.Force = true
	r, err := e.Link(abi)
	require.NoError(t, err)
	require.Len(t, r.Problems, 5)
	assert.Equal(t, ProblemNotDirectory, r.Problems[0].Kind)
	assert.Equal(t, h+"/rust is a regular file, not a directory; rust/kernel/sub/another.rmeta not linked", r.Problems[0].Message)
	requireTree(t, stateDir(before), f.dump(), "scripts/target.json is not linked alone")
}

func TestBrokenManifest(t *testing.T) {
	f, e := linkedFixture(t)
	f.write(layout.Artifacts(abi)+"/"+layout.SumsName, "broken\n")
	before := f.dump()
	for _, run := range []func() (*Report, error){
		func() (*Report, error) { return e.Link(abi) },
		func() (*Report, error) { rs, err := e.Repair([]string{abi}); return rs[0], err },
	} {
		r, err := run()
		require.NoError(t, err)
		require.Len(t, r.Problems, 1)
		assert.Equal(t, ProblemManifest, r.Problems[0].Kind)
		assert.Contains(t, r.Problems[0].Message, "parse checksums /usr/lib/linux-librust-"+abi+"/SHA256SUMS: line 1")
		requireTree(t, before, f.dump(), "nothing changes without a readable manifest")
	}
	// unlink still works from the record.
	_, err := e.Unlink(abi)
	require.NoError(t, err)
	h := layout.Headers(abi)
	for k := range before {
		if strings.HasPrefix(k, h+"/rust") || k == state.Path(abi) || k == h+"/scripts/target.json" {
			delete(before, k)
		}
	}
	requireTree(t, before, f.dump())
}

func TestABIs(t *testing.T) {
	f := newFixture(t)
	f.headers("7.0.0-1-amd64", false)
	f.artifacts("7.1.0-1-amd64", artifactSet)
	f.write(state.Path("7.2.0-1-amd64"), "linux-librust-state 1\n")
	f.write("/var/lib/linux-librust/.7.3.0.tmp", "")
	f.write("/usr/src/linux-headers-", "")
	f.write("/usr/src/linux-kbuild-7.2/x", "")
	f.write("/usr/src/linux-headers-bad name/x", "")
	f.write(layout.LockFile, "")
	abis, err := f.engine().ABIs()
	require.NoError(t, err)
	assert.Equal(t, []string{"7.0.0-1-amd64", "7.1.0-1-amd64", "7.2.0-1-amd64"}, abis)

	empty := newFixture(t)
	abis, err = empty.engine().ABIs()
	require.NoError(t, err)
	assert.Empty(t, abis)
}

func TestLockTimeout(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	hold := make(chan struct{})
	held := make(chan struct{})
	go func() {
		_, _ = f.engine().locked(func() (*Report, error) {
			close(held)
			<-hold
			return nil, nil
		})
	}()
	<-held
	e := f.engine()
	e.LockWait = 100 * time.Millisecond
	start := time.Now()
	_, err := e.Link(abi)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is held by")
	assert.Less(t, time.Since(start), 5*time.Second)
	close(hold)
}
