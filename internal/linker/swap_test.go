package linker

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/state"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// stressDuration is how long TestSwapStress attacks: STRESS_DURATION (a Go duration,
// `make stress` sets minutes), else a few seconds.
func stressDuration(t *testing.T) time.Duration {
	if s := os.Getenv("STRESS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		require.NoError(t, err, "STRESS_DURATION")
		return d
	}
	if testing.Short() {
		return time.Second
	}
	return 3 * time.Second
}

// swapper exchanges (renameat2 RENAME_EXCHANGE) directories on the way to the headers
// tree with links to a decoy tree inside the root. It holds descriptors of the real
// parents, so its own exchanges never touch the decoy.
type swapper struct {
	pairs []swapPair
	stop  atomic.Bool
	count atomic.Int64
	// mu is held from each exchange to the exchange back: holding it, the test sees
	// the real tree.
	mu sync.Mutex
}

type swapPair struct {
	dirfd         int
	real, swapped string // names in dirfd: the real directory, the link to the decoy
}

func (s *swapper) run(t *testing.T, wg *sync.WaitGroup) {
	defer wg.Done()
	for !s.stop.Load() {
		p := s.pairs[rand.IntN(len(s.pairs))]
		s.mu.Lock()
		if err := unix.Renameat2(p.dirfd, p.real, p.dirfd, p.swapped, unix.RENAME_EXCHANGE); err != nil {
			s.mu.Unlock()
			t.Errorf("exchange %s: %v", p.real, err)
			return
		}
		// Leave the link in place for a moment, then put the directory back.
		for range rand.IntN(200) {
			if s.stop.Load() {
				break
			}
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
		err := unix.Renameat2(p.dirfd, p.real, p.dirfd, p.swapped, unix.RENAME_EXCHANGE)
		s.mu.Unlock()
		if err != nil {
			t.Errorf("exchange back %s: %v", p.real, err)
			return
		}
		s.count.Add(1)
	}
}

// TestSwapStress runs link, unlink and link --force in a loop while another thread keeps
// exchanging the headers directory, its rust/ and rust/kernel/ directories with links to
// a decoy tree inside the root. (A directory above the headers tree that is a link is
// followed, as dpkg follows it: TestHeadersMovedMeanwhile covers one that changes during
// a run.) In Debian's layout it also exchanges the shared linux-kbuild scripts/
// directory, where the tool links target.json. No change may reach the decoy, which
// holds a look-alike of the tool's link and regular files where --force moves one
// aside; afterwards the real tree converges to exactly what runs without the attack
// make. Each layout runs for half the duration.
func TestSwapStress(t *testing.T) {
	for _, debian := range []bool{false, true} {
		t.Run(map[bool]string{false: "own scripts", true: "Debian's shared scripts"}[debian], func(t *testing.T) {
			swapStress(t, debian, stressDuration(t)/2)
		})
	}
}

func swapStress(t *testing.T, debian bool, dur time.Duration) {
	h := layout.Headers(abi)
	decoy := "/srv/decoy"
	kbuild := "/usr/lib/linux-kbuild-7.2"
	setup := func(t *testing.T) *fixture {
		f := newFixture(t)
		f.headers(abi, debian)
		f.artifacts(abi, artifactSet)
		if debian {
			f.write(kbuild+"/scripts/target.json", "foreign target, kept by --force")
			f.write(decoy+kbuild+"/scripts/target.json", "decoy target: must survive")
			f.symlink("../../../../srv/decoy"+kbuild+"/scripts", kbuild+"/scripts-swap")
		}
		f.write(h+"/rust/libmacros.so", "foreign macros, kept by --force")
		f.write(h+"/rust/kernel/README", "a foreign directory the tool links into")
		// The decoy: another tree with the same shape.
		dh := decoy + h
		f.write(dh+"/Makefile", "decoy\n")
		f.write(dh+"/rust/libmacros.so", "decoy macros: must survive")
		f.write(dh+"/rust/kernel/sub/deep.rmeta", "decoy deep")
		f.symlink(target(layout.Headers(abi), abi, "rust/libcore.rmeta"), dh+"/rust/libcore.rmeta")
		f.symlink(target(layout.Headers(abi), abi, "rust/libkernel.rmeta"), dh+"/rust/libkernel.rmeta"+layout.TempSuffix)
		// The links exchanged with the real directories, relative so that they lead to
		// the decoy inside the root and on the host alike.
		f.symlink("../../srv/decoy"+h, h+"-swap")
		f.symlink("../../../../srv/decoy"+h+"/rust", h+"/rust-swap")
		f.symlink("../../../../../srv/decoy"+h+"/rust/kernel", h+"/rust/kernel-swap")
		return f
	}

	// What runs without the attack make: the expected trees.
	ref := setup(t)
	unlinked := stateDir(ref.dump())
	_, err := (&Engine{FS: ref.fs, Force: true}).Link(abi)
	require.NoError(t, err)
	forced := ref.dump()

	f := setup(t)
	decoyBefore := treedump.Dump(t, filepath.Join(f.root, decoy))
	open := func(p string) int {
		fd, err := unix.Open(filepath.Join(f.root, p), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		require.NoError(t, err)
		t.Cleanup(func() { unix.Close(fd) })
		return fd
	}
	s := &swapper{pairs: []swapPair{
		{open("/usr/src"), "linux-headers-" + abi, "linux-headers-" + abi + "-swap"},
		{open(h), "rust", "rust-swap"},
		{open(h + "/rust"), "kernel", "kernel-swap"},
	}}
	if debian {
		s.pairs = append(s.pairs, swapPair{open(kbuild), "scripts", "scripts-swap"})
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go s.run(t, &wg)

	runs, failed, real, problem := 0, 0, 0, 0
	for deadline := time.Now().Add(dur); time.Now().Before(deadline); runs++ {
		e := &Engine{FS: f.fs, Force: runs%3 == 2}
		var err error
		if runs%3 == 1 {
			_, err = e.Unlink(abi)
		} else {
			_, err = e.Link(abi)
		}
		if err != nil {
			failed++
		}
		switch statusUnderAttack(t, e, s, h, kbuild) {
		case "real":
			real++
		case "problem":
			problem++
		}
	}
	s.stop.Store(true)
	wg.Wait()
	t.Logf("%d runs (%d stopped by a change on the way), %d exchanges in %s; status: %d real, %d a problem on the way",
		runs, failed, s.count.Load(), dur, real, problem)
	require.Positive(t, s.count.Load())

	requireTree(t, decoyBefore, treedump.Dump(t, filepath.Join(f.root, decoy)), "the decoy tree changed")

	// The real tree converges: link --force, then unlink, as without the attack.
	e := &Engine{FS: f.fs, Force: true}
	_, err = e.Link(abi)
	require.NoError(t, err)
	got, _ := os.ReadFile(filepath.Join(f.root, state.Path(abi)))
	want, _ := os.ReadFile(filepath.Join(ref.root, state.Path(abi)))
	require.Equal(t, string(want), string(got), "the state record after link --force")
	requireTree(t, forced, f.dump(), "after link --force")
	_, err = e.Unlink(abi)
	require.NoError(t, err)
	requireTree(t, unlinked, f.dump(), "after unlink")
}

// statusUnderAttack asks status while the swapper runs, then, holding the swapper
// still, what the real tree's status is. Under attack status reports the real state
// ("real"), or a problem naming a directory on the way that is a link or was changed
// ("problem"): never what it read in the decoy.
func statusUnderAttack(t *testing.T, e *Engine, s *swapper, swapped ...string) string {
	t.Helper()
	got, err := e.Status(abi)
	s.mu.Lock()
	want, werr := e.Status(abi)
	s.mu.Unlock()
	require.NoError(t, werr, "status of the real tree")
	if err != nil {
		named := false
		for _, p := range swapped {
			named = named || strings.Contains(err.Error(), p)
		}
		require.True(t, named, "status stopped by a change on the way names no directory exchanged: %v", err)
		return "problem"
	}
	if reflect.DeepEqual(want, got) {
		return "real"
	}
	require.Equal(t, StateConflict, got.State, "status under attack: %+v\nreal: %+v", got, want)
	require.True(t, linkOnTheWay(got.Problems), "status under attack reports no link on the way: %+v\nreal: %+v", got, want)
	require.LessOrEqual(t, got.Linked, want.Linked, "status under attack counts links of the decoy: %+v\nreal: %+v", got, want)
	return "problem"
}

// swapOnLstat exchanges the headers directory with a link to a decoy tree while one
// Lstat of it runs: the nth Lstat of path sees the link, as under TestSwapStress's
// attack, deterministically.
type swapOnLstat struct {
	rootfs.FS
	root, path, swapped string
	nth, calls          int
}

func (s *swapOnLstat) Lstat(name string) (os.FileInfo, error) {
	if name != s.path {
		return s.FS.Lstat(name)
	}
	s.calls++
	if s.calls != s.nth {
		return s.FS.Lstat(name)
	}
	exchange := func() error {
		return unix.Renameat2(unix.AT_FDCWD, filepath.Join(s.root, s.path), unix.AT_FDCWD, filepath.Join(s.root, s.swapped), unix.RENAME_EXCHANGE)
	}
	if err := exchange(); err != nil {
		return nil, err
	}
	defer exchange()
	return s.FS.Lstat(name)
}

// TestStatusHeadersSwappedForShared: the headers tree seen as a link while the members
// of a shared path are read (after the plan reached the path through it) is a problem
// on the way, never a status without the shared path's conflict.
func TestStatusHeadersSwappedForShared(t *testing.T) {
	h, decoy, kb := layout.Headers(abi), "/srv/decoy", "/usr/lib/linux-kbuild-7.2"
	f := newFixture(t)
	f.headers(abi, true)
	f.artifacts(abi, artifactSet)
	f.write(kb+"/scripts/target.json", "foreign target")
	f.write(decoy+h+"/Makefile", "decoy\n")
	f.symlink("../../srv/decoy"+h, h+"-swap")
	real, err := f.engine().Status(abi)
	require.NoError(t, err)
	require.Contains(t, problemPaths(real.Problems), kb+"/scripts/target.json")

	seen := 0 // swaps that some Lstat saw
	for nth := 1; nth <= 3; nth++ {
		s := &swapOnLstat{FS: f.fs, root: f.root, path: h, swapped: h + "-swap", nth: nth}
		got, err := (&Engine{FS: s}).Status(abi)
		require.NoError(t, err)
		if reflect.DeepEqual(real, got) {
			continue
		}
		seen++
		require.True(t, linkOnTheWay(got.Problems), "Lstat %d of %s saw the link: %+v\nreal: %+v", nth, h, got, real)
	}
	require.Positive(t, seen, "no Lstat of the headers tree saw the swap: the test no longer reaches the window")
}

// linkOnTheWay tells whether ps report a link on the way to the headers tree or in it.
func linkOnTheWay(ps []Problem) bool {
	for _, p := range ps {
		if p.Kind == ProblemHeadersPath || p.Kind == ProblemSymlinkParent {
			return true
		}
	}
	return false
}

func problemPaths(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path)
	}
	return out
}
