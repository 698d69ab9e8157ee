package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
	"lukechampine.com/blake3"

	"github.com/linux-librust/linux-librust/internal/digest"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rmeta"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

func TestHashMapped(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	data := make([]byte, 3<<20+5)
	for i := range data {
		data[i] = byte(i * 31)
	}
	require.NoError(t, os.WriteFile(p, data, 0o644))
	s, b := sha256.Sum256(data), blake3.Sum256(data)

	// The mapped and the read path agree with the plain digests.
	for _, min := range []int64{1, 1 << 40} {
		saved := minMapped
		minMapped = min
		for _, h := range []struct {
			new  func() hash.Hash
			want []byte
		}{{sha256.New, s[:]}, {digest.NewBLAKE3, b[:]}} {
			sum, err := hashFile(afero.NewOsFs(), p, h.new(), make([]byte, 4096))
			require.NoError(t, err)
			assert.Equal(t, hex.EncodeToString(h.want), sum, "minMapped %d", min)
		}
		minMapped = saved
	}

	// A file that shrank after Stat faults inside the mapping, in either hash's code
	// (BLAKE3 compresses the mapping itself), or ends early when read: an error, not a
	// crash.
	f, err := os.Open(p)
	require.NoError(t, err)
	defer f.Close()
	for _, h := range []io.Writer{sha256.New(), digest.NewBLAKE3(), digest.NewSubtree(1 << 20)} {
		err := hashRange(h, f, 1<<20, 64<<20, nil)
		require.ErrorIs(t, err, errChanged)
	}
	saved := minMapped
	minMapped = 1 << 40
	defer func() { minMapped = saved }()
	err = hashRange(digest.NewSubtree(1<<20), f, 1<<20, int64(len(data))-1<<20+1, make([]byte, 4096))
	require.ErrorIs(t, err, errChanged)
}

// TestFullDigest: verify --full finds a byte flipped anywhere in a large artifact (more
// than two hash windows) by the manifest's BLAKE3, or by its SHA-256 in a manifest
// written without BLAKE3, and says which digest differs.
func TestFullDigest(t *testing.T) {
	sid := version(t, "sid")
	nocore := sample(t, "sid/libnocore.rmeta")
	big := grow(t, nocore, 2*hashWindow+12345)
	info, err := rmeta.ReadBlob(nocore)
	require.NoError(t, err)
	// Flips go to the padding grow adds after the header, which no quick check reads.
	first, last := int(info.HeaderEnd)+1, int(info.HeaderEnd)+len(big)-len(nocore)-1
	require.Greater(t, last, 2*hashWindow)
	const p = "rust/libcore.rmeta"
	for _, tc := range []struct {
		name   string
		blake3 bool // the manifest has BLAKE3
		flip   int  // offset of the byte flipped; -1 for none
		hash   string
		stale  bool // the SHA-256 of the manifest and SHA256SUMS is wrong
	}{
		{"clean", true, -1, "BLAKE3", false},
		{"clean, manifest without BLAKE3", false, -1, "SHA-256", false},
		{"flipped in the last window", true, last, "BLAKE3", false},
		{"flipped in the first window", true, first, "BLAKE3", false},
		{"flipped, manifest without BLAKE3", false, last, "SHA-256", false},
		{"flipped in the middle, manifest without BLAKE3", false, hashWindow + 1, "SHA-256", false},
		// Where BLAKE3 is recorded, it alone is compared: a SHA-256 that manifest and
		// SHA256SUMS agree on is left to sha256sum -c.
		{"clean, SHA-256 of manifest and SHA256SUMS stale", true, -1, "BLAKE3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sidSet(t)
			s[p] = setFile{manifest.KindRmeta, big}
			m := manifestOf(s, sid, config(sid))
			for i := range m.Artifacts {
				if !tc.blake3 {
					m.Artifacts[i].BLAKE3 = ""
				}
				if tc.stale && m.Artifacts[i].Path == p {
					m.Artifacts[i].SHA256 = strings.Repeat("0", 64)
				}
			}
			fsys := newRoot(t)
			install(t, fsys, s, m, config(sid))
			if tc.flip >= 0 {
				damaged := append([]byte(nil), big...)
				damaged[tc.flip] ^= 0x01
				require.NoError(t, afero.WriteFile(fsys, path.Join(artifacts, p), damaged, 0o644))
			}
			rep := Verify(fsys, Options{Headers: headers, Artifacts: artifacts, Full: true, Links: true, RustcVersion: rustcIs(sid)})
			if tc.flip < 0 {
				assert.Empty(t, rep.Findings)
				return
			}
			require.Len(t, rep.Findings, 1, "%v", rep.Findings)
			f := rep.Findings[0]
			assert.Equal(t, "checksum-mismatch", f.Code)
			assert.Equal(t, Error, f.Severity)
			assert.Equal(t, path.Join(artifacts, p), f.Path)
			assert.Equal(t, "reinstall linux-librust-"+abi+" (or rerun collect from the kernel build tree)", f.Fix)
			var want string
			for _, a := range m.Artifacts {
				if a.Path == p {
					want = a.SHA256
					if tc.blake3 {
						want = a.BLAKE3
					}
				}
			}
			assert.Regexp(t, "^"+tc.hash+" [0-9a-f]{64}, the manifest says "+want+"$", f.Message)
		})
	}
}

// TestHashFileRefusesFIFO: a FIFO put where an artifact was (after its check) is
// refused at once, not waited on for a writer that never comes.
func TestHashFileRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := hashFile(fsys, "/fifo", digest.NewBLAKE3(), make([]byte, hashBufSize))
		done <- err
	}()
	select {
	case err := <-done:
		assert.ErrorIs(t, err, rootfs.ErrNotRegular)
	case <-time.After(5 * time.Second):
		t.Fatal("hashFile waits on a FIFO")
	}
}

// TestHashFiles: files of every size, hashed whole or in BLAKE3 pieces on any number of
// workers, get the plain digests; a file that is not as its check saw it (gone, now a
// FIFO, another size) is one error of its own, and the others are still hashed.
func TestHashFiles(t *testing.T) {
	dir := t.TempDir()
	fsys, err := rootfs.New(dir)
	require.NoError(t, err)
	data := make([]byte, 3*pieceSize+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>20)
	}
	sizes := []int{0, 100, 3 << 20, pieceSize, pieceSize + 1, 2*pieceSize + 4096, len(data)}
	for _, n := range sizes {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprint(n)), data[:n], 0o644))
	}
	require.NoError(t, unix.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	for _, workers := range []int{1, 2, 5} {
		var jobs []hashJob
		var want []string
		for _, n := range sizes {
			b, s := blake3.Sum256(data[:n]), sha256.Sum256(data[:n])
			jobs = append(jobs, hashJob{path: "/" + fmt.Sprint(n), size: int64(n), h: digest.NewBLAKE3()},
				hashJob{path: "/" + fmt.Sprint(n), size: int64(n), h: sha256.New()})
			want = append(want, hex.EncodeToString(b[:]), hex.EncodeToString(s[:]))
		}
		jobs = append(jobs,
			hashJob{path: "/missing", size: 2 * pieceSize, h: digest.NewBLAKE3()},
			hashJob{path: "/fifo", size: 2 * pieceSize, h: digest.NewBLAKE3()},
			hashJob{path: "/" + fmt.Sprint(len(data)), size: int64(len(data)) + 1, h: digest.NewBLAKE3()}, // shrunk since
			hashJob{path: "/" + fmt.Sprint(len(data)), size: int64(len(data)) - 1, h: digest.NewBLAKE3()}) // grown since
		hashFiles(fsys, jobs, workers)
		for i, w := range want {
			require.NoError(t, jobs[i].err, "%s, %d workers", jobs[i].path, workers)
			assert.Equal(t, w, jobs[i].sum, "%s, %d workers", jobs[i].path, workers)
		}
		errs := jobs[len(want):]
		assert.ErrorIs(t, errs[0].err, os.ErrNotExist)
		assert.ErrorIs(t, errs[1].err, rootfs.ErrNotRegular)
		for _, j := range errs[2:] {
			assert.ErrorIs(t, j.err, errChanged)
			assert.Equal(t, "hash /"+fmt.Sprint(len(data))+": the file changed while it was read", j.err.Error())
		}
		for _, j := range errs {
			assert.Empty(t, j.sum)
		}
	}
}

// TestUnreadableFix: an artifact that cannot be read gets the fix for its cause:
// access for permission denied, another check for a file changing under it, a
// reinstall for anything else.
func TestUnreadableFix(t *testing.T) {
	const p = "/usr/lib/linux-librust-7.2.13+deb14-amd64/rust/libcore.rmeta"
	for _, tc := range []struct {
		err error
		fix string
	}{
		{&fs.PathError{Op: "open", Path: p, Err: syscall.EACCES}, "let module builds as this user read it (chmod a+r " + p +
			", and a+x on each directory above it that lacks it), or run linux-librust as root"},
		{fmt.Errorf("hash %s: %w", p, errChanged), "check again once nothing changes it (a package being installed): " +
			"linux-librust verify --full 7.2.13+deb14-amd64"},
		{&fs.PathError{Op: "read", Path: p, Err: syscall.EIO}, "reinstall linux-librust-7.2.13+deb14-amd64 (or rerun collect from the kernel build tree)"},
	} {
		r := &run{report: &Report{}, manifest: &manifest.Manifest{ABI: "7.2.13+deb14-amd64"}}
		r.unreadable(p, tc.err)
		require.Len(t, r.report.Findings, 1)
		f := r.report.Findings[0]
		assert.Equal(t, Finding{Code: "artifact-unreadable", Severity: Error, Path: p, Message: tc.err.Error(), Fix: tc.fix}, f)
	}
}
