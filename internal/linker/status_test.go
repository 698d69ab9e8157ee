package linker

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// statusRoot lays out one ABI per state.
func statusRoot(t *testing.T) *fixture {
	f := newFixture(t)
	link := func(abi string) {
		_, err := f.engine().Link(abi)
		require.NoError(t, err)
	}
	// headers only
	f.headers("7.0.0-1-amd64", true)
	// artifacts only
	f.artifacts("7.1.0-1-amd64", artifactSet)
	// Debian layout: scripts/target.json linked in the shared kbuild tree
	f.headers("7.2.13+deb14-amd64", true)
	f.artifacts("7.2.13+deb14-amd64", artifactSet)
	link("7.2.13+deb14-amd64")
	// scripts a real directory: linked
	f.headers("7.2.13+deb14-rt-amd64", false)
	f.artifacts("7.2.13+deb14-rt-amd64", artifactSet)
	link("7.2.13+deb14-rt-amd64")
	// both trees, not linked
	f.headers("7.3.0-1-amd64", false)
	f.artifacts("7.3.0-1-amd64", artifactSet)
	// partial: one link removed by hand
	f.headers("7.4.0-1-amd64", false)
	f.artifacts("7.4.0-1-amd64", artifactSet)
	link("7.4.0-1-amd64")
	require.NoError(t, f.fs.Remove(layout.Headers("7.4.0-1-amd64")+"/rust/libcore.rmeta"))
	// stale: artifacts removed after linking
	f.headers("7.5.0-1-amd64", false)
	f.artifacts("7.5.0-1-amd64", artifactSet)
	link("7.5.0-1-amd64")
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts("7.5.0-1-amd64")))
	// conflict: a foreign file in the way
	f.headers("7.6.0-1-amd64", false)
	f.artifacts("7.6.0-1-amd64", artifactSet)
	f.write(layout.Headers("7.6.0-1-amd64")+"/rust/libcore.rmeta", "foreign")
	// unreadable manifest
	f.headers("7.7.0-1-amd64", false)
	f.artifacts("7.7.0-1-amd64", artifactSet)
	f.write(layout.Artifacts("7.7.0-1-amd64")+"/"+layout.ManifestName, "Format: 2\n")
	// Debian layout, two flavours that need different scripts/target.json (conflict)
	for i, a := range []string{"7.8.0-1-amd64", "7.8.0-1-cloud-amd64"} {
		f.headers(a, false)
		require.NoError(t, f.fs.RemoveAll(layout.Headers(a)+"/scripts"))
		f.write("/usr/lib/linux-kbuild-7.8/scripts/basic/fixdep", "fixdep")
		f.symlink("../../lib/linux-kbuild-7.8/scripts", layout.Headers(a)+"/scripts")
		set := clone(artifactSet)
		set["scripts/target.json"] = fmt.Sprintf(`{"arch":"x86_64","flavour":%d}`, i)
		f.artifacts(a, set)
		link(a)
	}
	// scripts a link elsewhere: never written through (conflict)
	f.headers("7.9.0-1-amd64", false)
	f.artifacts("7.9.0-1-amd64", artifactSet)
	require.NoError(t, f.fs.RemoveAll(layout.Headers("7.9.0-1-amd64")+"/scripts"))
	f.write("/usr/lib/other-7.9/scripts/basic/fixdep", "fixdep")
	f.symlink("../../lib/other-7.9/scripts", layout.Headers("7.9.0-1-amd64")+"/scripts")
	return f
}

func TestStatusGolden(t *testing.T) {
	f := statusRoot(t)
	before := f.dump()
	ff := faultfs.New(f.fs, 0)
	e := &Engine{FS: ff}
	abis, err := e.ABIs()
	require.NoError(t, err)
	require.Len(t, abis, 12)
	var sts []Status
	var lines []string
	for _, abi := range abis {
		st, err := e.Status(abi)
		require.NoError(t, err)
		sts = append(sts, st)
		lines = append(lines, st.Line())
	}
	golden(t, "status.txt", []byte(strings.Join(lines, "\n")+"\n"))
	// The one-pass StatusAll says the same.
	all, err := e.StatusAll(abis)
	require.NoError(t, err)
	assert.Equal(t, sts, all)
	data, err := StatusJSON(sts)
	require.NoError(t, err)
	golden(t, "status.json", append(data, '\n'))
	assert.Empty(t, ff.Ops(), "status writes nothing")
	requireTree(t, before, f.dump())

	// The JSON schema: these fields, these types.
	var doc struct {
		Format  int `json:"format"`
		Kernels []map[string]any
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.Equal(t, 1, doc.Format)
	for _, k := range doc.Kernels {
		for _, field := range []string{"abi", "state", "headers", "artifacts", "artifact_count", "linked", "conflicts", "stale", "problems"} {
			assert.Contains(t, k, field)
		}
		assert.NotNil(t, k["problems"], "problems is a list, never null")
	}
	empty, err := StatusJSON(nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"format":1,"kernels":[]}`, string(empty))
}

// TestRepairAllStatusRoot: after repair --all, every ABI is as good as it gets, and a
// second repair writes nothing.
func TestRepairAllStatusRoot(t *testing.T) {
	f := statusRoot(t)
	reports, err := f.engine().RepairAll()
	require.NoError(t, err)
	require.Len(t, reports, 12)
	var lines []string
	for _, abi := range []string{"7.0.0-1-amd64", "7.1.0-1-amd64", "7.2.13+deb14-amd64", "7.2.13+deb14-rt-amd64", "7.3.0-1-amd64", "7.4.0-1-amd64", "7.5.0-1-amd64", "7.6.0-1-amd64", "7.7.0-1-amd64", "7.8.0-1-amd64", "7.8.0-1-cloud-amd64", "7.9.0-1-amd64"} {
		st, err := f.engine().Status(abi)
		require.NoError(t, err)
		lines = append(lines, st.Line())
	}
	golden(t, "status-after-repair.txt", []byte(strings.Join(lines, "\n")+"\n"))
	ff := faultfs.New(f.fs, 0)
	_, err = (&Engine{FS: ff}).RepairAll()
	require.NoError(t, err)
	assert.Empty(t, ff.Ops())
}

// A kernel without either tree and without a record of the tool does not exist; one
// that the tool still has a record of is merely unlinked.
func TestStatusAbsent(t *testing.T) {
	f := newFixture(t)
	e := f.engine()
	st, err := e.Status("7.10.0-1-amd64")
	require.NoError(t, err)
	assert.Equal(t, StateAbsent, st.State)
	assert.Equal(t, "7.10.0-1-amd64: absent headers=no artifacts=no links=0/0 conflicts=0 stale=0", st.Line())

	f.write(layout.StateDir+"/7.10.0-1-amd64", "linux-librust-state 1\ndir rust\n")
	st, err = e.Status("7.10.0-1-amd64")
	require.NoError(t, err)
	assert.Equal(t, StateUnlinked, st.State)
}

// openCounter counts the opens of each path: files, and directories held (OpenDir);
// the names looked at (Lstat) in those directories; and the directories open now.
type openCounter struct {
	rootfs.FS
	mu     sync.Mutex
	opens  map[string]int
	dirs   map[string]int
	lstats map[string]int
	live   int
}

func (c *openCounter) OpenDir(name string) (rootfs.Dir, error) {
	c.mu.Lock()
	if c.dirs != nil {
		c.dirs[name]++
	}
	c.mu.Unlock()
	d, err := c.FS.OpenDir(name)
	if err != nil {
		return d, err
	}
	c.mu.Lock()
	c.live++
	c.mu.Unlock()
	return &lstatCounter{Dir: d, c: c}, nil
}

type lstatCounter struct {
	rootfs.Dir
	c      *openCounter
	closed bool
}

func (d *lstatCounter) Lstat(name string) (os.FileInfo, error) {
	d.c.mu.Lock()
	if d.c.lstats != nil {
		d.c.lstats[path.Join(d.Name(), name)]++
	}
	d.c.mu.Unlock()
	return d.Dir.Lstat(name)
}

func (d *lstatCounter) Close() error {
	d.c.mu.Lock()
	if !d.closed {
		d.closed = true
		d.c.live--
	}
	d.c.mu.Unlock()
	return d.Dir.Close()
}

func (c *openCounter) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	c.mu.Lock()
	c.opens[name]++
	c.mu.Unlock()
	return c.FS.OpenFile(name, flag, perm)
}

// TestStatusAllReadsOnce: status over flavours that share one kbuild tree reads each
// manifest once, so that its cost grows with the number of kernels, not its square.
func TestStatusAllReadsOnce(t *testing.T) {
	specs := map[string]string{}
	for i := range 6 {
		specs[fmt.Sprintf("7.2.13+deb14-f%d-amd64", i)] = ""
	}
	f := debianFixture(t, specs)
	_, err := f.engine().RepairAll()
	require.NoError(t, err)
	c := &openCounter{FS: f.fs, opens: map[string]int{}}
	e := &Engine{FS: c}
	abis, err := e.ABIs()
	require.NoError(t, err)
	sts, err := e.StatusAll(abis)
	require.NoError(t, err)
	for i, a := range abis {
		assert.Equal(t, StateLinked, sts[i].State, a)
		assert.Equal(t, 1, c.opens[path.Join(layout.Artifacts(a), layout.ManifestName)], a)
	}
}

// TestWithAccessFix: a path an ordinary user may not reach gets the fix of access; root,
// whom the kernel does not refuse so, and other errors keep theirs.
func TestWithAccessFix(t *testing.T) {
	denied := fmt.Errorf("inspect /a/b: %w", &fs.PathError{Op: "lstat", Path: "/a/b", Err: syscall.EACCES})
	other := fmt.Errorf("inspect /a/b: %w", &fs.PathError{Op: "lstat", Path: "/a/b", Err: syscall.EIO})
	for _, tt := range []struct {
		name string
		uid  int
		err  error
		want string
	}{
		{"user denied", 1000, denied, "inspect /a/b: lstat /a/b: permission denied; fix: let this user reach it " +
			"(a+x on each directory above /a/b that lacks it), or run linux-librust status as root"},
		{"root denied", 0, denied, "inspect /a/b: lstat /a/b: permission denied"},
		{"user, another error", 1000, other, "inspect /a/b: lstat /a/b: input/output error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			old := euid
			euid = func() int { return tt.uid }
			t.Cleanup(func() { euid = old })
			got := withAccessFix(tt.err)
			assert.EqualError(t, got, tt.want)
			assert.ErrorIs(t, got, tt.err)
		})
	}
}
