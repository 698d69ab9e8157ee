package linker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
)

// TestProblemsLinkNothing: with one problem an ABI gets no new directory, link or
// backup, and its record gains no entry (records are written before acting); links
// in place stay, and the tool's stale links still go.
func TestProblemsLinkNothing(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	_, err := f.engine().Link(abi)
	require.NoError(t, err)
	// A new version of the set: libcore.rmeta dropped (its link is now stale), two new
	// artifacts, one of them in a new directory, the other in the way of a foreign file.
	set := clone(artifactSet)
	delete(set, "rust/libcore.rmeta")
	set["rust/new/libnew.rmeta"] = "new"
	set["rust/libblocked.rmeta"] = "blocked"
	require.NoError(t, f.fs.RemoveAll(layout.Artifacts(abi)))
	f.artifacts(abi, set)
	h := layout.Headers(abi)
	f.write(h+"/rust/libblocked.rmeta", "foreign")
	before := f.dump()

	// A dry run says what happens: only the removal.
	e := f.engine()
	e.DryRun = true
	r, err := e.Link(abi)
	require.NoError(t, err)
	assert.Equal(t, []Action{{Op: OpUnlink, Path: h + "/rust/libcore.rmeta", rel: "rust/libcore.rmeta"}}, r.Actions)
	f.takeLogs()

	ff := faultfs.New(f.fs, 0)
	r, err = (&Engine{FS: ff, Log: f.log}).Link(abi)
	require.NoError(t, err)
	assert.Equal(t, []string{"conflict " + h + "/rust/libblocked.rmeta"}, problemKinds(r))
	assert.Contains(t, f.takeLogs(), "E: "+abi+": nothing new linked because of the problems above: a partly linked set fails module builds; fix them and rerun")
	// The link of the dropped artifact goes, and its record entry with it; nothing else
	// is written: not rust/new, not its link, no entry for them.
	want := clone(before)
	delete(want, h+"/rust/libcore.rmeta")
	var kept []string
	for _, p := range allPaths() {
		if p != "rust/libcore.rmeta" {
			kept = append(kept, p)
		}
	}
	want[recordPath(abi)] = linked(nil, abi, kept, createdDirs, nil)[recordPath(abi)]
	requireTree(t, want, f.dump())
	// The record is written once, after the removal: no entry for what is not made
	// was written before.
	tmp := recordTemp(abi)
	assert.Equal(t, []string{
		"remove " + h + "/rust/libcore.rmeta", "sync " + h + "/rust",
		"remove " + tmp, "openfile " + tmp, "write " + tmp, "sync " + tmp, "close " + tmp, "chmod " + tmp,
		"rename " + tmp + " " + recordPath(abi), "sync " + layout.StateDir,
	}, ff.Ops())

	// Once the foreign file goes, everything is linked.
	require.NoError(t, f.fs.Remove(h+"/rust/libblocked.rmeta"))
	r, err = f.engine().Link(abi)
	require.NoError(t, err)
	assert.Empty(t, r.Problems)
	st, err := f.engine().Status(abi)
	require.NoError(t, err)
	assert.Equal(t, abi+": linked headers=yes artifacts=yes links=7/7 conflicts=0 stale=0", st.Line())
}
