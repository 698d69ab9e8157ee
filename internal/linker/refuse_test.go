package linker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/state"
)

// checker is an Engine.Check that fails for the ABIs in bad and counts its calls.
type checker struct {
	bad   map[string]bool
	calls []string
}

func (c *checker) check(abi string) []Problem {
	c.calls = append(c.calls, abi)
	if c.bad[abi] {
		return []Problem{{Kind: "ignored", Path: layout.Headers(abi) + "/.config", Message: "error: config-mismatch: the .config is not the one the set was built from"}}
	}
	return nil
}

// TestCheckRefuses: a failed Check refuses link and repair alike (nothing is made),
// --force links with a warning, and neither status nor unlink runs it.
func TestCheckRefuses(t *testing.T) {
	for _, name := range []string{"link", "repair", "repair --all"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.headers(abi, false)
			f.artifacts(abi, artifactSet)
			before := f.dump()
			c := &checker{bad: map[string]bool{abi: true}}
			e := f.engine()
			e.Check = c.check
			do := func() *Report {
				var r *Report
				var rs []*Report
				var err error
				switch name {
				case "link":
					r, err = e.Link(abi)
				case "repair":
					rs, err = e.Repair([]string{abi})
				default:
					rs, err = e.RepairAll()
				}
				require.NoError(t, err)
				if r == nil {
					require.Len(t, rs, 1)
					r = rs[0]
				}
				return r
			}

			r := do()
			assert.Equal(t, []Problem{{Kind: ProblemCheck, Path: layout.Headers(abi) + "/.config",
				Message: "error: config-mismatch: the .config is not the one the set was built from"}}, r.Problems)
			assert.Empty(t, r.Actions)
			assert.Equal(t, []string{abi}, c.calls)
			logs := f.takeLogs()
			assert.Contains(t, logs, "E: error: config-mismatch: the .config is not the one the set was built from")
			assert.Contains(t, logs, "E: "+abi+": not linked: fix the problems above (linux-librust verify "+abi+"), or link anyway with --force")
			requireTree(t, stateDir(before), f.dump(), "a failed check changes nothing")

			_, err := e.Status(abi)
			require.NoError(t, err)
			_, err = e.StatusAll([]string{abi})
			require.NoError(t, err)
			_, err = e.Unlink(abi)
			require.NoError(t, err)
			assert.Len(t, c.calls, 1, "status and unlink never run the check")

			e.Force = true
			r = do()
			assert.Empty(t, r.Problems)
			logs = f.takeLogs()
			assert.Contains(t, logs, "W: error: config-mismatch: the .config is not the one the set was built from")
			assert.Contains(t, logs, "W: "+abi+": linking despite the failed checks above (--force)")
			requireTree(t, linked(before, abi, allPaths(), createdDirs, nil), f.dump())
		})
	}
}

// TestCheckOnlyWithBothTrees: the check runs when the engine sees both trees
// (<headers>/Makefile, the manifest), not when a directory merely exists.
func TestCheckOnlyWithBothTrees(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture)
	}{
		{"headers directory with only the tool's leftovers", func(f *fixture) {
			f.artifacts(abi, artifactSet)
			f.write(layout.Headers(abi)+"/rust/kernel/leftover", "")
		}},
		{"artifacts directory without a manifest", func(f *fixture) {
			f.headers(abi, false)
			f.write(layout.Artifacts(abi)+"/rust/libcore.rmeta", "core")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			c := &checker{bad: map[string]bool{abi: true}}
			e := f.engine()
			e.Check = c.check
			r, err := e.Link(abi)
			require.NoError(t, err)
			assert.Empty(t, r.Problems)
			assert.Empty(t, c.calls)
			logs := f.takeLogs()
			require.Len(t, logs, 1)
			assert.Contains(t, logs[0], "nothing to do")
		})
	}
}

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
	want[state.Path(abi)] = linked(nil, abi, kept, createdDirs, nil)[state.Path(abi)]
	requireTree(t, want, f.dump())
	// The record is written once, after the removal: no entry for what is not made
	// was written before.
	tmp := state.TempPath(abi)
	assert.Equal(t, []string{
		"remove " + h + "/rust/libcore.rmeta", "sync " + h + "/rust",
		"remove " + tmp, "openfile " + tmp, "write " + tmp, "sync " + tmp, "close " + tmp, "chmod " + tmp,
		"rename " + tmp + " " + state.Path(abi), "sync " + layout.StateDir,
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
