package verifier

import (
	"debug/elf"
	"fmt"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TestCacheNeverHidesAChange: after a run that filled the cache, every change to a
// file the content checks read, or to the program, gives exactly the findings of a run
// without cache; an unchanged set is answered from the cache.
func TestCacheNeverHidesAChange(t *testing.T) {
	sid := version(t, "sid")
	keepTimes := func(t *testing.T, fsys rootfs.FS, p string, change func()) {
		fi, err := fsys.Stat(p)
		require.NoError(t, err)
		change()
		require.NoError(t, fsys.Chtimes(p, fi.ModTime(), fi.ModTime()))
	}
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, fsys rootfs.FS)
		want   string // a code the change brings; "" none
	}{
		{"nothing", func(t *testing.T, fsys rootfs.FS) {}, ""},
		{"artifact rewritten in place, same size and times", func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(artifacts, "rust/libsample.rmeta")
			keepTimes(t, fsys, p, func() {
				data, err := afero.ReadFile(fsys, p)
				require.NoError(t, err)
				data[0] = 'x'
				f, err := fsys.OpenFile(p, 1, 0) // O_WRONLY, no truncation: same inode
				require.NoError(t, err)
				_, err = f.Write(data)
				require.NoError(t, err)
				require.NoError(t, f.Close())
			})
		}, "rmeta-not-metadata"},
		{"artifact replaced by another file of the same size and times", func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(artifacts, "rust/libsample.rmeta")
			keepTimes(t, fsys, p, func() {
				data, err := afero.ReadFile(fsys, p)
				require.NoError(t, err)
				data[len(data)-1] = 'x'
				require.NoError(t, afero.WriteFile(fsys, p+".new", data, 0o644))
				require.NoError(t, fsys.Rename(p+".new", p))
			})
		}, "rmeta-truncated"},
		{"artifact made unreadable for users", func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Chmod(path.Join(artifacts, "rust/libsamplemacro.so"), 0o600))
		}, "artifact-not-world-readable"},
		{"artifact removed", func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.Remove(path.Join(artifacts, "rust/libnocore.rmeta")))
		}, "artifact-missing"},
		{".config changed, same size and times", func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(headers, configName)
			keepTimes(t, fsys, p, func() {
				data, err := afero.ReadFile(fsys, p)
				require.NoError(t, err)
				data[0] = '!'
				require.NoError(t, afero.WriteFile(fsys, p, data, 0o644))
			})
		}, "config-mismatch"},
		{"manifest rewritten", func(t *testing.T, fsys rootfs.FS) {
			m, err := manifest.Read(fsys, artifacts)
			require.NoError(t, err)
			m.Artifacts[0].RustcVersion = "rustc 1.96.0"
			require.NoError(t, manifest.Write(fsys, artifacts, m))
		}, "rustc-version-manifest-mismatch"},
		{"another program", func(t *testing.T, fsys rootfs.FS) {
			old := programIdentity
			t.Cleanup(func() { programIdentity = old })
			programIdentity = func() (identity, bool) { id, ok := old(); id.Ino++; return id, ok }
		}, ""},
		{"headers tree removed", func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, fsys.RemoveAll(headers))
		}, "headers-missing"},
		{"a missing artifact comes back", func(t *testing.T, fsys rootfs.FS) {
			p := path.Join(artifacts, "rust/libnocore.rmeta")
			require.NoError(t, fsys.Rename(p, p+".away"))
			c := &Cache{FS: fsys}
			rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Cache: c})
			require.Contains(t, rep.Codes(), "artifact-missing")
			require.NoError(t, c.Flush()) // the set without it is cached
			require.NoError(t, fsys.Rename(p+".away", p))
		}, ""},
		{"damaged cache file", func(t *testing.T, fsys rootfs.FS) {
			require.NoError(t, afero.WriteFile(fsys, CacheFile, []byte(`{"Format":1,"Entries":{"`), 0o644))
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noRacyWindow(t)
			fsys := newRoot(t)
			s := sidSet(t)
			install(t, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
			opts := Options{Headers: headers, Artifacts: artifacts, RustcVersion: rustcIs(sid), Links: true}

			first := opts
			first.Cache = &Cache{FS: fsys}
			clean := Verify(fsys, first)
			require.Empty(t, clean.Findings)
			require.NoError(t, first.Cache.Flush())
			filled, err := fsys.Stat(CacheFile)
			require.NoError(t, err)

			time.Sleep(20 * time.Millisecond) // past the tick of the change times just read
			tc.change(t, fsys)
			truth := Verify(fsys, opts)
			again := opts
			again.Cache = &Cache{FS: fsys}
			got := Verify(fsys, again)
			assert.Equal(t, truth, got)
			if tc.want != "" {
				assert.Contains(t, got.Codes(), tc.want)
			}
			require.NoError(t, again.Cache.Flush())
			if tc.name == "nothing" {
				now, err := fsys.Stat(CacheFile)
				require.NoError(t, err)
				assert.True(t, now.ModTime().Equal(filled.ModTime()) && now.Size() == filled.Size(), "answered from the cache: nothing to write")
			}
		})
	}
}

// TestCacheKeysTheHost: the proc macros' verdict depends on the machine they must load
// on, so an entry made for one host is not used for another.
func TestCacheKeysTheHost(t *testing.T) {
	noRacyWindow(t)
	fsys, opts := cachedClean(t)
	require.NotEmpty(t, opts.Cache.entries, "the clean set is cached")
	opts.Host = &dylib.Arch{Machine: elf.EM_AARCH64, Class: elf.ELFCLASS64, Data: elf.ELFDATA2LSB}
	got := Verify(fsys, opts)
	assert.Contains(t, got.Codes(), "procmacro-foreign-machine")
	opts.Cache = nil
	assert.Equal(t, Verify(fsys, opts), got)
}

// TestCacheReplays: an entry whose key matches is what the checks report (so a hit
// really skips the reads), and Full never uses it.
func TestCacheReplays(t *testing.T) {
	noRacyWindow(t)
	fsys, opts := cachedClean(t)
	e := opts.Cache.entries[artifacts]
	e.Findings = append(e.Findings, cachedFinding{Code: "planted", Severity: int(Warning)})
	opts.Cache.entries[artifacts] = e
	replayed := Verify(fsys, opts)
	assert.Equal(t, []string{"planted"}, replayed.Codes())
	opts.Full = true
	full := Verify(fsys, opts)
	assert.Empty(t, full.Codes())
}

// noRacyWindow lets a test cache the files it has just written.
func noRacyWindow(t *testing.T) {
	old := rootfs.SettleTime
	rootfs.SettleTime = -time.Hour
	t.Cleanup(func() { rootfs.SettleTime = old })
}

// TestCacheSkipsRacyFiles: a set changed within rootfs.SettleTime before its check is
// not stored, since one coarse clock tick can hold two changes.
func TestCacheSkipsRacyFiles(t *testing.T) {
	fsys, opts := cachedClean(t)
	assert.Empty(t, opts.Cache.entries, "just written: not stored")
	require.NoError(t, opts.Cache.Flush())
	_, err := fsys.Stat(CacheFile)
	assert.Error(t, err, "nothing to write")
}

// cachedClean installs sid's set and verifies it once with a cache.
func cachedClean(t *testing.T) (rootfs.FS, Options) {
	sid := version(t, "sid")
	fsys := newRoot(t)
	s := sidSet(t)
	install(t, fsys, s, manifestOf(s, sid, config(sid)), config(sid))
	opts := Options{Headers: headers, Artifacts: artifacts, RustcVersion: rustcIs(sid), Cache: &Cache{FS: fsys}}
	require.Empty(t, Verify(fsys, opts).Findings)
	return fsys, opts
}

// TestCacheConcurrentFlush: runs that end at once (two hooks, verify next to link) each
// write the whole cache; none fails, none writes into another's temporary file, and the
// file left is one of them complete.
func TestCacheConcurrentFlush(t *testing.T) {
	fsys := newRoot(t)
	const writers, rounds = 6, 15
	for round := range rounds {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := &Cache{FS: fsys}
				// Large enough that the writes overlap.
				c.put(fmt.Sprintf("/usr/lib/linux-librust-%d", w), cacheEntry{Key: strings.Repeat("k", 256<<10)})
				errs[w] = c.Flush()
			}()
		}
		wg.Wait()
		for w, err := range errs {
			require.NoError(t, err, "round %d, writer %d", round, w)
		}
		data, err := afero.ReadFile(fsys, CacheFile)
		require.NoError(t, err)
		entries, ok := decodeCache(data)
		require.True(t, ok, "round %d: the cache file is not one writer's whole file", round)
		require.True(t, len(entries) >= 1 && len(entries) <= writers, "round %d: %d entries", round, len(entries))
	}
	names, err := afero.ReadDir(fsys, path.Dir(CacheFile))
	require.NoError(t, err)
	require.Len(t, names, 1, "temporary files left next to the cache")
}

// TestCacheRemovesCrashedTemps: a flush removes the temporary file a crashed run left
// over staleTemp ago, and leaves one a run may still be writing.
func TestCacheRemovesCrashedTemps(t *testing.T) {
	fsys := newRoot(t)
	require.NoError(t, rootfs.MkdirAll(fsys, path.Dir(CacheFile), 0o755))
	crashed, writing := CacheFile+".tmp-crashed", CacheFile+".tmp-writing"
	for _, n := range []string{crashed, writing} {
		require.NoError(t, afero.WriteFile(fsys, n, []byte("part"), 0o644))
	}
	long := time.Now().Add(-staleTemp - time.Minute)
	require.NoError(t, fsys.Chtimes(crashed, long, long))
	c := &Cache{FS: fsys}
	c.put("/usr/lib/linux-librust-a", cacheEntry{Key: "k"})
	require.NoError(t, c.Flush())
	fis, err := afero.ReadDir(fsys, path.Dir(CacheFile))
	require.NoError(t, err)
	var names []string
	for _, fi := range fis {
		names = append(names, fi.Name())
	}
	assert.Equal(t, []string{path.Base(CacheFile), path.Base(writing)}, names)
}

// TestTransientCodes: findings of an I/O error keep their set out of the cache, since
// they may not hold next time; the others are stored.
func TestTransientCodes(t *testing.T) {
	for code, want := range map[string]bool{
		"artifact-unreadable": true, "config-unreadable": true,
		"artifact-missing": false, "checksum-mismatch": false, "config-mismatch": false,
	} {
		assert.Equal(t, want, transient(code), code)
	}
}
