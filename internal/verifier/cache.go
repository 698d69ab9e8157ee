package verifier

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"sync"
	"time"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// CacheFile is where Cache keeps its entries inside the root. It is a cache in the
// sense of the FHS (/var/cache): deleting it loses nothing but time.
var CacheFile = "/var/cache/linux-librust/checks"

// cacheFormat is the version of CacheFile (cachefile.go); another value makes every
// entry miss.
const cacheFormat = 4

// maxCacheEntries bounds the entries kept (one per artifacts tree).
const maxCacheEntries = 512

// Cache remembers across runs the findings of the checks that read the contents of an
// artifact set's files (the manifest, every artifact, the headers' .config), so that a
// no-op link or hook does not read them again. An entry is used only when the identity
// (device, inode, size, modification and change times) of every one of those files,
// and of this program, is the one taken before they were last read: any write, chmod,
// rename or replacement since, or a new linux-librust, makes it miss. verify --full
// never uses it. The zero Cache is disabled.
type Cache struct {
	FS rootfs.FS // the root the file is in; nil disables the cache

	mu      sync.Mutex
	loaded  bool
	entries map[string]cacheEntry // by artifacts tree
	dirty   bool
}

type cacheKey struct {
	Program   identity   // this program's executable
	Host      string     // the architecture proc macros must load on
	Headers   bool       // the headers tree is there
	Manifest  identity   // the manifest, stat before it was read
	Config    identity   // the headers' .config; zero without headers
	Artifacts []identity // in manifest order; zero for a missing one
}

type cacheEntry struct {
	Key          string // cacheKey.String: one string keeps the file small and fast to read
	Findings     []cachedFinding
	RustcVersion string
}

// String encodes the key as the entry stores it.
func (k cacheKey) String() string {
	b := make([]byte, 0, 64*(3+len(k.Artifacts)))
	b = strconv.AppendQuote(b, k.Host)
	b = strconv.AppendBool(append(b, ' '), k.Headers)
	for _, id := range append([]identity{k.Program, k.Manifest, k.Config}, k.Artifacts...) {
		b = strconv.AppendUint(append(b, ' '), id.Dev, 10)
		b = strconv.AppendUint(append(b, ':'), id.Ino, 10)
		b = strconv.AppendInt(append(b, ':'), id.Size, 10)
		b = strconv.AppendInt(append(b, ':'), id.Mtime, 10)
		b = strconv.AppendInt(append(b, ':'), id.Ctime, 10)
	}
	return string(b)
}

// cachedFinding is a Finding as stored (Severity as its number).
type cachedFinding struct {
	Code     string
	Severity int
	Path     string
	Message  string
	Fix      string
}

func (c *Cache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.entries = map[string]cacheEntry{}
	data, err := rootfs.ReadFile(c.FS, CacheFile, 16<<20)
	if err != nil {
		return
	}
	if entries, ok := decodeCache(data); ok {
		c.entries = entries
	} // else damaged or of another version: start afresh
}

// get returns the entry of the artifacts tree when its key is key.
func (c *Cache) get(artifacts string, key cacheKey) (cacheEntry, bool) {
	if c == nil || c.FS == nil {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.entries[artifacts]
	if !ok || e.Key != key.String() {
		return cacheEntry{}, false
	}
	return e, true
}

func (c *Cache) put(artifacts string, e cacheEntry) {
	if c == nil || c.FS == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if old, ok := c.entries[artifacts]; ok && old.Key == e.Key {
		return
	}
	for k := range c.entries {
		if len(c.entries) < maxCacheEntries {
			break
		}
		delete(c.entries, k)
	}
	c.entries[artifacts] = e
	c.dirty = true
}

// Flush writes the entries added in this run, atomically; nothing when there are none.
// An error only means that the next run reads the files again.
func (c *Cache) Flush() error {
	if c == nil || c.FS == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty {
		return nil
	}
	data := encodeCache(c.entries)
	if err := rootfs.MkdirAll(c.FS, path.Dir(CacheFile), 0o755); err != nil {
		return err
	}
	// Runs that take no lock (verify) flush too: a temporary name of each run's own.
	if err := rootfs.WriteFile(c.FS, CacheFile, "", data, 0o644); err != nil {
		return err
	}
	c.dirty = false
	// Temporary files of runs that crashed while writing; one not removed waits for the
	// next flush.
	_, _ = rootfs.RemoveStaleTemps(c.FS, CacheFile, staleTemp)
	return nil
}

// staleTemp is how long ago a temporary file of CacheFile must have been written for
// Flush to remove it as left by a crash; a run writes its own within moments.
const staleTemp = time.Hour

// settled tells whether every file of the key changed long enough before t for its
// identity to stand for its content (rootfs.Identity.Settled).
func (k cacheKey) settled(t time.Time) bool {
	if !k.Manifest.Settled(t) || k.Headers && !k.Config.Settled(t) {
		return false
	}
	for _, a := range k.Artifacts {
		if a != (identity{}) && !a.Settled(t) {
			return false
		}
	}
	return true
}

// programIdentity is the identity of the running executable, taken on first use.
var programIdentity = sync.OnceValues(func() (identity, bool) {
	fi, err := os.Stat("/proc/self/exe")
	if err != nil {
		return identity{}, false
	}
	return identityOf(fi)
})

// cacheKey takes the identities of every file the content checks read, before they
// read them; ok is false when one cannot be taken (then nothing is cached).
func (r *run) cacheKey(headers bool) (cacheKey, bool) {
	if r.opts.Cache == nil || r.opts.Cache.FS == nil || r.opts.Full || !r.manifestIDOK {
		return cacheKey{}, false
	}
	prog, ok := programIdentity()
	if !ok {
		return cacheKey{}, false
	}
	k := cacheKey{Program: prog, Headers: headers, Manifest: r.manifestID}
	if h := r.host(); h != nil {
		k.Host = h.String()
	}
	if headers {
		fi, err := r.fsys.Stat(path.Join(r.opts.Headers, configName))
		if err != nil {
			return cacheKey{}, false
		}
		if k.Config, ok = identityOf(fi); !ok {
			return cacheKey{}, false
		}
	}
	names := make([]string, len(r.manifest.Artifacts))
	for i, a := range r.manifest.Artifacts {
		names[i] = r.art(a.Path)
	}
	fis, errs := rootfs.LstatAll(r.fsys, names)
	for i := range names {
		fi, err := fis[i], errs[i]
		var id identity
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return cacheKey{}, false
		default:
			if id, ok = identityOf(fi); !ok {
				return cacheKey{}, false
			}
		}
		k.Artifacts = append(k.Artifacts, id)
	}
	return k, true
}

// transient tells the codes of findings that may not hold next time (an I/O error):
// a set with one is not cached.
func transient(code string) bool {
	return code == "artifact-unreadable" || code == "config-unreadable"
}

// contentChecks runs the checks that read the files' contents, or replays their
// findings from the cache.
func (r *run) contentChecks(headers bool) {
	now := time.Now()
	key, cacheable := r.cacheKey(headers)
	if cacheable {
		if e, ok := r.opts.Cache.get(r.opts.Artifacts, key); ok {
			for _, f := range e.Findings {
				r.report.Findings = append(r.report.Findings, Finding{Code: f.Code, Severity: Severity(f.Severity),
					Path: f.Path, Message: f.Message, Fix: f.Fix})
			}
			r.report.RustcVersion = e.RustcVersion
			return
		}
	}
	start := len(r.report.Findings)
	present := r.checkFiles()
	configVersion := ""
	if headers {
		configVersion = r.checkConfig()
	}
	r.checkVersions(configVersion)
	r.checkTargetSpec(present)
	if !cacheable || !key.settled(now) {
		return
	}
	e := cacheEntry{Key: key.String(), RustcVersion: r.report.RustcVersion, Findings: []cachedFinding{}}
	for _, f := range r.report.Findings[start:] {
		if transient(f.Code) {
			return
		}
		e.Findings = append(e.Findings, cachedFinding{f.Code, int(f.Severity), f.Path, f.Message, f.Fix})
	}
	r.opts.Cache.put(r.opts.Artifacts, e)
}
