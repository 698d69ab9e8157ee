package verifier

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleCacheEntries() map[string]cacheEntry {
	return map[string]cacheEntry{
		"/usr/lib/linux-librust-7.2.13+deb14-amd64": {Key: `"EM_X86_64 ELFCLASS64 ELFDATA2LSB" true 65024:1:2:3:4`,
			RustcVersion: "rustc 1.97.1 (8bab26f4f 2026-07-14)", Findings: []cachedFinding{}},
		"/usr/lib/linux-librust-7.2.13+deb14-arm64": {Key: "k 2", RustcVersion: "", Findings: []cachedFinding{
			{Code: "artifact-missing", Severity: int(Error), Path: "/a b/\"c\"\n", Message: "gone \\ here", Fix: "reinstall"},
			{Code: "rustc-mismatch", Severity: int(Note), Path: "", Message: "ünïcode\t", Fix: ""},
		}},
	}
}

func TestCacheFileRoundTrip(t *testing.T) {
	for _, entries := range []map[string]cacheEntry{{}, sampleCacheEntries()} {
		data := encodeCache(entries)
		got, ok := decodeCache(data)
		require.True(t, ok, "%s", data)
		assert.Equal(t, entries, got)
		assert.Equal(t, data, encodeCache(got))
	}
	assert.True(t, strings.HasPrefix(string(encodeCache(nil)), "linux-librust-checks 4\n"))

	// A key that cannot stand as the rest of its line is not written.
	with := sampleCacheEntries()
	with["/usr/lib/linux-librust-x"] = cacheEntry{Key: "a\nentry", Findings: []cachedFinding{}}
	with["/usr/lib/linux-librust-y"] = cacheEntry{Key: "", Findings: []cachedFinding{}}
	got, ok := decodeCache(encodeCache(with))
	require.True(t, ok)
	assert.Equal(t, sampleCacheEntries(), got)
}

// TestCacheFileDamaged: a file cut short anywhere, with any one byte changed, or of the
// former JSON format is ignored whole, never partly trusted.
func TestCacheFileDamaged(t *testing.T) {
	data := encodeCache(sampleCacheEntries())
	for n := range len(data) {
		_, ok := decodeCache(data[:n])
		require.False(t, ok, "cut at %d", n)
	}
	for i := range data {
		for _, x := range []byte{0x01, 0x20, 0x80} {
			d := append([]byte(nil), data...)
			d[i] ^= x
			_, ok := decodeCache(d)
			require.False(t, ok, "byte %d ^ %#x", i, x)
		}
	}
	for _, bad := range []string{
		`{"Format":2,"Entries":{}}`,
		"",
		"\n",
		"linux-librust-checks 3\n",
	} {
		_, ok := decodeCache([]byte(bad))
		assert.False(t, ok, "%q", bad)
	}
}

// TestCacheFileWellFormed: a file whose checksum holds is still refused when its
// records are not exactly as written.
func TestCacheFileWellFormed(t *testing.T) {
	for _, body := range []string{
		"",
		"linux-librust-checks 3\n",
		"linux-librust-checks 4 \n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 1 k\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" -1 k\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" k\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 0\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 0 k\nentry \"t\" \"v\" 0 k\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 1 k\nfinding \"c\" x \"p\" \"m\" \"f\"\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 1 k\nfinding \"c\" 1 \"p\" \"m\"\n",
		"linux-librust-checks 4\nentry \"t\" \"v\" 1 k\nfinding \"c\" 1 \"p\" \"m\" \"f\"  \n",
		"linux-librust-checks 4\nentry t \"v\" 0 k\n",
		"linux-librust-checks 4\nentry \"t\\q\" \"v\" 0 k\n",
		"linux-librust-checks 4\n\n",
	} {
		_, ok := decodeCache(sealCache([]byte(body)))
		assert.False(t, ok, "%q", body)
	}
	_, ok := decodeCache(sealCache([]byte("linux-librust-checks 4\nentry \"t\" \"v\" 1 k\nfinding \"c\" 1 \"p\" \"m\" \"f\"\n")))
	assert.True(t, ok, "the well-formed case of the ones above")
}

func FuzzCacheFile(f *testing.F) {
	f.Add(encodeCache(sampleCacheEntries()))
	f.Add(encodeCache(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, ok := decodeCache(data)
		if !ok {
			return
		}
		again, ok := decodeCache(encodeCache(entries))
		require.True(t, ok)
		require.Equal(t, entries, again)
	})
}
