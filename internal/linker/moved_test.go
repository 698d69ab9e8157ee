package linker

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
	"github.com/linux-librust/linux-librust/internal/verifier"
)

// TestMovedUsrSrc: a /usr/src that is a link to a directory inside the root (moved to a
// larger disk) is followed, as dpkg follows it: the links are made in the tree where it
// is, relative from there, and open the artifacts through either path. A link that
// leads out of the root or nowhere is a headers-path problem naming it and the fix, and
// nothing changes.
func TestMovedUsrSrc(t *testing.T) {
	tests := []struct {
		name, link string // /usr/src -> link
		problem    string // "" when it is followed
	}{
		{"relative", "../srv/big/src", ""},
		{"absolute", "/srv/big/src", ""},
		{"through another link", "../srv/disk/src", ""},
		{"out of the root", "../../../srv/big/src", "leads out of the root"},
		{"nowhere", "../srv/none", "leads nowhere"},
		{"a file", "../srv/file", "does not lead to a directory"},
		{"a loop", "src", "loops"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			real := "/srv/big/src/linux-headers-" + abi
			f.write(real+"/Makefile", "include ../linux-headers-common/Makefile\n")
			f.write(real+"/scripts/basic/fixdep", "fixdep")
			f.write("/srv/file", "")
			f.symlink("big", "/srv/disk")
			f.symlink(tt.link, "/usr/src")
			f.artifacts(abi, artifactSet)
			before := f.dump()

			e := f.engine()
			r, err := e.Link(abi)
			require.NoError(t, err)
			if tt.problem != "" {
				require.Equal(t, []string{ProblemHeadersPath + " /usr/src"}, problemKinds(r))
				require.Contains(t, r.Problems[0].Message, "/usr/src is a symbolic link to "+tt.link+", which "+tt.problem)
				require.Contains(t, r.Problems[0].Message, "make /usr/src a directory, or a link to a directory inside the root")
				requireTree(t, stateDir(before), f.dump())
				st, err := e.Status(abi)
				require.NoError(t, err)
				require.Equal(t, StateConflict, st.State)
				return
			}
			require.Empty(t, r.Problems)
			want := clone(before)
			for _, d := range []string{"rust", "rust/kernel", "rust/kernel/sub"} {
				want[real+"/"+d] = treedump.Dir(0o755)
			}
			for _, p := range allPaths() {
				want[real+"/"+p] = treedump.Symlink("../../../../" + strings.Repeat("../", strings.Count(p, "/")) + "usr/lib/linux-librust-" + abi + "/" + p)
			}
			got := f.dump()
			want[stateRecordPath()] = got[stateRecordPath()]
			requireTree(t, stateDir(want), got)
			for _, p := range allPaths() {
				fl, err := f.fs.Open(layout.Headers(abi) + "/" + p)
				require.NoError(t, err, p)
				data, err := io.ReadAll(fl)
				fl.Close()
				require.NoError(t, err)
				require.Equal(t, artifactSet[p], string(data), p)
			}
			st, err := e.Status(abi)
			require.NoError(t, err)
			require.Equal(t, StateLinked, st.State)
			// verify, through /usr/src as module builds see it, finds every link good.
			require.Empty(t, verifier.CheckLinks(f.fs, layout.Headers(abi), layout.Artifacts(abi), allPaths()))

			_, err = e.Unlink(abi)
			require.NoError(t, err)
			requireTree(t, stateDir(before), f.dump())
		})
	}
}

// headersSwaps replace the headers tree of a swappableFixture by the decoy's, and back.
var headersSwaps = []struct {
	name string
	swap func(f *fixture) error
}{
	{"/usr/src becomes a link", func(f *fixture) error {
		return unix.Renameat2(unix.AT_FDCWD, f.host("/usr/src"), unix.AT_FDCWD, f.host("/usr/src-swap"), unix.RENAME_EXCHANGE)
	}},
	{"another directory at the headers path", func(f *fixture) error {
		h := layout.Headers(abi)
		return unix.Renameat2(unix.AT_FDCWD, f.host(h), unix.AT_FDCWD, f.host("/srv/decoy"+h), unix.RENAME_EXCHANGE)
	}},
}

// swappableFixture has abi's trees, unlinked, and a decoy headers tree under /srv/decoy
// that headersSwaps put in its place.
func swappableFixture(t *testing.T) *fixture {
	h := layout.Headers(abi)
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	f.write("/srv/decoy"+h+"/Makefile", "decoy\n")
	f.write("/srv/decoy"+h+"/rust/libmacros.so", "decoy")
	f.symlink("../srv/decoy/usr/src", "/usr/src-swap")
	return f
}

// TestHeadersMovedBetweenChanges: the headers tree replaced after the first change of a
// run stops it at the next: each change checks afresh where the tree is, and nothing is
// made in the tree put in its place.
func TestHeadersMovedBetweenChanges(t *testing.T) {
	for _, tt := range headersSwaps {
		t.Run(tt.name, func(t *testing.T) {
			f := swappableFixture(t)
			before := f.dump()
			changes := 0
			e := &Engine{FS: f.fs, Log: func(ev logger.Event) {
				if ev.Change {
					if changes++; changes == 1 {
						require.NoError(t, tt.swap(f))
					}
				}
			}}
			_, err := e.Link(abi)
			require.ErrorIs(t, err, errMoved)
			assert.Equal(t, 1, changes, "no change after the swap")
			require.NoError(t, tt.swap(f)) // back
			after := f.dump()
			for p, v := range before {
				if strings.HasPrefix(p, "/srv/decoy/") {
					assert.Equal(t, v, after[p], "the decoy changed at %s", p)
				}
			}
			for p := range after {
				assert.False(t, strings.HasPrefix(p, "/srv/decoy/") && before[p] == "", "made in the decoy: %s", p)
			}
			_, err = f.engine().Unlink(abi)
			require.NoError(t, err)
			requireTree(t, stateDir(before), f.dump())
		})
	}
}

func stateRecordPath() string { return layout.StateDir + "/" + abi }

// TestHeadersMovedMeanwhile: the headers tree replaced between the plan and the changes,
// by a link above it to another tree or by another directory at its path, stops the run
// before anything changes there.
func TestHeadersMovedMeanwhile(t *testing.T) {
	for _, tt := range headersSwaps {
		t.Run(tt.name, func(t *testing.T) {
			f := swappableFixture(t)
			before := f.dump()
			e := &Engine{FS: f.fs, Check: func(string) []Problem {
				require.NoError(t, tt.swap(f))
				return nil
			}}
			_, err := e.Link(abi)
			require.ErrorIs(t, err, errMoved)
			require.NoError(t, tt.swap(f)) // back
			// Nothing changed but the record, which still lists what was to be made
			// (it always covers the disk); the next run prunes it.
			got := f.dump()
			require.Contains(t, got, state.Path(abi))
			delete(got, state.Path(abi))
			requireTree(t, stateDir(before), got)
			_, err = f.engine().Unlink(abi)
			require.NoError(t, err)
			requireTree(t, stateDir(before), f.dump())
		})
	}
}
