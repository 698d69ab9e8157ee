package linker

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/faultfs"
	"github.com/linux-librust/linux-librust/internal/layout"
)

// crashFixture: nested artifacts, one of them in the way of a foreign regular file that
// --force moves aside.
func crashFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	f.write(layout.Headers(abi)+"/scripts/target.json", "shipped by someone else")
	return f
}

// isTemp reports whether p is a temporary name the tool may leave when interrupted.
func isTemp(p string) bool {
	return strings.HasSuffix(p, layout.TempSuffix) || strings.HasSuffix(p, layout.BackupTempSuffix) ||
		strings.HasPrefix(p, layout.StateDir+"/.") && strings.HasSuffix(p, ".tmp")
}

// checkBetween asserts that every path of mid is as in before or as in after, apart
// from temporary names.
func checkBetween(t *testing.T, before, mid, after map[string]string, n int) {
	t.Helper()
	for _, k := range keys(merge(merge(before, after), mid)) {
		m, okm := mid[k]
		b, okb := before[k]
		a, oka := after[k]
		if m == b && okm == okb || m == a && okm == oka {
			continue
		}
		if okm && !okb && !oka && isTemp(k) {
			continue
		}
		t.Errorf("fault at operation %d: %s is %q; want %q (before) or %q (after)", n, k, m, b, a)
	}
}

// TestCrashLink interrupts a full link --force at every mutating operation.
func TestCrashLink(t *testing.T) {
	f := crashFixture(t)
	before := f.dump()
	count := faultfs.New(f.fs, 0)
	r, err := (&Engine{FS: count, Force: true}).Link(abi)
	require.NoError(t, err)
	require.Empty(t, r.Problems)
	after := f.dump()
	total := count.Count()
	require.Greater(t, total, 20)
	t.Logf("link: %d mutating operations", total)

	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := crashFixture(t)
			ff := faultfs.New(f.fs, n)
			_, err := (&Engine{FS: ff, Force: true}).Link(abi)
			require.Error(t, err)
			require.True(t, ff.Failed())
			checkBetween(t, before, f.dump(), after, n)

			// The next run converges, and the one after writes nothing.
			r, err := (&Engine{FS: f.fs, Force: true}).Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Problems)
			requireTree(t, after, f.dump())
			again := faultfs.New(f.fs, 0)
			_, err = (&Engine{FS: again, Force: true}).Link(abi)
			require.NoError(t, err)
			assert.Empty(t, again.Ops())
		})
	}
}

// TestCrashUnlink interrupts a full unlink (links, created directories, a backup to
// restore) at every mutating operation.
func TestCrashUnlink(t *testing.T) {
	setup := func(t *testing.T) *fixture {
		f := crashFixture(t)
		_, err := (&Engine{FS: f.fs, Force: true}).Link(abi)
		require.NoError(t, err)
		return f
	}
	f := crashFixture(t)
	original := stateDir(f.dump())
	f = setup(t)
	before := f.dump()
	count := faultfs.New(f.fs, 0)
	_, err := (&Engine{FS: count}).Unlink(abi)
	require.NoError(t, err)
	after := f.dump()
	requireTree(t, original, after)
	total := count.Count()
	require.Greater(t, total, 10)
	t.Logf("unlink: %d mutating operations", total)

	for n := 1; n <= total; n++ {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := setup(t)
			ff := faultfs.New(f.fs, n)
			_, err := (&Engine{FS: ff}).Unlink(abi)
			require.Error(t, err)
			checkBetween(t, before, f.dump(), after, n)
			_, err = (&Engine{FS: f.fs}).Unlink(abi)
			require.NoError(t, err)
			requireTree(t, after, f.dump())
		})
	}
}

// TestCrashLinkThenUnlink: an interrupted link --force followed by unlink (not link)
// still gives back the original tree.
func TestCrashLinkThenUnlink(t *testing.T) {
	f := crashFixture(t)
	original := stateDir(f.dump())
	count := faultfs.New(f.fs, 0)
	_, err := (&Engine{FS: count, Force: true}).Link(abi)
	require.NoError(t, err)
	for n := 1; n <= count.Count(); n++ {
		f := crashFixture(t)
		_, err := (&Engine{FS: faultfs.New(f.fs, n), Force: true}).Link(abi)
		require.Error(t, err)
		r, err := (&Engine{FS: f.fs}).Unlink(abi)
		require.NoError(t, err, "fault at %d", n)
		require.Empty(t, r.Problems, "fault at %d", n)
		requireTree(t, original, f.dump(), "fault at %d", n)
	}
}

// TestConcurrentRepair: eight instances repairing at once end in the right state.
func TestConcurrentRepair(t *testing.T) {
	f := newFixture(t)
	// Linkable; headers removed after linking; artifacts only.
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	f.headers("7.3.0-1-amd64", false)
	f.artifacts("7.3.0-1-amd64", artifactSet)
	f.artifacts("7.4.0-1-amd64", artifactSet)
	before := f.dump()
	_, err := f.engine().Link("7.3.0-1-amd64")
	require.NoError(t, err)
	h := layout.Headers("7.3.0-1-amd64")
	for _, p := range []string{"/Makefile", "/.config", "/include", "/scripts/basic"} {
		require.NoError(t, f.fs.RemoveAll(h+p))
	}

	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := &Engine{FS: f.fs, LockWait: DefaultLockWait}
			_, errs[i] = e.RepairAll()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	want := linked(without(before, h), abi, allPaths(), createdDirs, nil)
	requireTree(t, want, f.dump())
}
