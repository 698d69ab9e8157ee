package verifier

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/digest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// hashBufSize is the read size when hashing: big reads keep syscalls rare.
const hashBufSize = 1 << 20

// startSums starts hashing, on all cores, every artifact that is a regular file of at
// most MaxArtifactSize (the others are reported by checkFiles) while the other checks
// go on; the function it returns waits and reports every mismatch. Each artifact is
// hashed with the digest the manifest records for a full check: BLAKE3 where it has
// one, else SHA-256 (manifest.Artifact.Checked).
func (r *run) startSums() (report func()) {
	var jobs []hashJob
	for _, a := range r.manifest.Artifacts {
		p := r.art(a.Path)
		if fi, err := r.fsys.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxArtifactSize {
			name, want, h := a.Checked()
			jobs = append(jobs, hashJob{path: p, size: fi.Size(), name: name, want: want, h: h})
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		hashFiles(r.fsys, jobs, r.opts.Workers)
	}()
	return func() {
		<-done
		for _, j := range jobs {
			switch {
			case j.err != nil:
				r.unreadable(j.path, j.err)
			case j.sum != j.want:
				r.add("checksum-mismatch", Error, j.path, r.reinstall(),
					"%s %s, the manifest says %s", j.name, j.sum, j.want)
			}
		}
	}
}

// hashJob is one file to hash and, once hashFiles returns, its digest or error.
type hashJob struct {
	path       string
	size       int64     // at the check: orders the work, largest first, and cuts it
	name, want string    // the digest's name and the manifest's value
	h          hash.Hash // computes it
	sum        string    // lowercase hex
	err        error

	// A BLAKE3 file of more than pieceSize bytes is hashed in pieces, on several
	// workers at once, and joined when all are done.
	pieces []digest.Piece
	nodes  []digest.Node
	errs   []error
}

// pieceable tells whether j's digest can be computed in pieces: BLAKE3's tree can,
// SHA-256's chain cannot.
func (j *hashJob) pieceable() bool {
	_, ok := j.h.(*digest.BLAKE3)
	return ok
}

// hashPart is what a worker hashes at once: a whole file, or a piece of one.
type hashPart struct {
	job   *hashJob
	piece int // in job.pieces; -1 for the whole file
	size  int64
}

// hashFiles hashes every job's file, up to workers parts at once (0: GOMAXPROCS),
// largest first so that the biggest part never starts last.
func hashFiles(fsys afero.Fs, jobs []hashJob, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var parts []hashPart
	for i := range jobs {
		j := &jobs[i]
		if !j.pieceable() || j.size <= pieceSize {
			parts = append(parts, hashPart{j, -1, j.size})
			continue
		}
		j.pieces = digest.Pieces(j.size, pieceSize)
		j.nodes, j.errs = make([]digest.Node, len(j.pieces)), make([]error, len(j.pieces))
		for k, p := range j.pieces {
			parts = append(parts, hashPart{j, k, p.Len})
		}
	}
	sort.SliceStable(parts, func(a, b int) bool { return parts[a].size > parts[b].size })
	next := make(chan hashPart)
	var wg sync.WaitGroup
	for w := 0; w < min(workers, len(parts)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			for p := range next {
				j := p.job
				if p.piece < 0 {
					j.sum, j.err = hashFile(fsys, j.path, j.h, buf)
				} else {
					j.nodes[p.piece], j.errs[p.piece] = hashPiece(fsys, j.path, j.size, j.pieces[p.piece], buf)
				}
			}
		}()
	}
	for _, p := range parts {
		next <- p
	}
	close(next)
	wg.Wait()
	for i := range jobs {
		if j := &jobs[i]; j.pieces != nil {
			j.err = firstError(j.errs)
			if j.err == nil {
				j.sum = hex.EncodeToString(digest.Join(j.nodes))
			}
		}
	}
}

// firstError returns the first error of errs that is not nil, or nil.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// pieceSize is the size of the pieces a file hashed with BLAKE3 is cut into when it
// is larger, so that the largest file does not keep one worker busy while the others
// wait: a few pieces of the largest artifact balance the workers.
const pieceSize = 8 << 20

// hashFile returns the lowercase hex digest h computes of the regular file p, reading
// through buf or mappings (hashRange).
func hashFile(fsys afero.Fs, p string, h hash.Hash, buf []byte) (string, error) {
	if err := hashSpan(fsys, p, -1, 0, -1, h, buf); err != nil {
		return "", err
	}
	return digest.Hex(h), nil
}

// hashPiece returns the BLAKE3 node of the piece pc of the regular file p, which must
// still have size bytes.
func hashPiece(fsys afero.Fs, p string, size int64, pc digest.Piece, buf []byte) (digest.Node, error) {
	h := digest.NewSubtree(pc.Off)
	if err := hashSpan(fsys, p, size, pc.Off, pc.Len, h, buf); err != nil {
		return digest.Node{}, err
	}
	return h.Node(), nil
}

// hashSpan writes bytes [off, off+n) of the regular file p to w (n < 0: to its end),
// through buf or mappings (hashRange); size, unless negative, is the size p must still
// have. A FIFO swapped in is not waited on.
func hashSpan(fsys afero.Fs, p string, size, off, n int64, w io.Writer, buf []byte) error {
	f, err := rootfs.OpenRegular(fsys, p, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
	case size >= 0 && fi.Size() != size:
		err = errChanged
	default:
		if n < 0 {
			n = fi.Size() - off
		}
		err = hashRange(w, f, off, n, buf)
	}
	if err != nil {
		return fmt.Errorf("hash %s: %w", p, err)
	}
	return nil
}

// errChanged reports a file that was not the size it had when its hashing began.
var errChanged = errors.New("the file changed while it was read")

// hashRange writes bytes [off, off+n) of f to w: through read-only mappings of
// hashWindow bytes at a time when f is a real file and the range starts on a page and
// has at least minMapped bytes, which saves copying it out of the page cache and
// bounds the memory mapped whatever the file's size; else through buf. A file that
// ends before the range does is an error: read, errChanged; mapped, it faults on
// access, which SetPanicOnFault turns into a panic of this goroutine, recovered as
// errChanged.
func hashRange(w io.Writer, f afero.File, off, n int64, buf []byte) (err error) {
	fd, isOS := f.(interface{ Fd() uintptr })
	if !isOS || n < minMapped || off%int64(os.Getpagesize()) != 0 {
		return hashRead(w, f, off, n, buf)
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errChanged, r)
		}
	}()
	for o := off; o < off+n; o += hashWindow {
		data, err := unix.Mmap(int(fd.Fd()), o, int(min(hashWindow, off+n-o)), unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			if o == off {
				return hashRead(w, f, off, n, buf)
			}
			return err
		}
		_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
		w.Write(data)
		if err := unix.Munmap(data); err != nil {
			return err
		}
	}
	return nil
}

// hashRead writes bytes [off, off+n) of f to w, read through buf.
func hashRead(w io.Writer, f afero.File, off, n int64, buf []byte) error {
	got, err := io.CopyBuffer(w, onlyReader{io.NewSectionReader(f, off, n)}, buf)
	if err == nil && got != n {
		err = errChanged
	}
	return err
}

// hashWindow is how much of a file is mapped at once (a multiple of the page size).
const hashWindow = 8 << 20

// minMapped is the smallest range worth mapping.
var minMapped int64 = 1 << 20

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses the big buffer.
type onlyReader struct{ io.Reader }
