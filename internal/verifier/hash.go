package verifier

import (
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
	"github.com/linux-librust/linux-librust/internal/manifest"
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
	var arts []manifest.Artifact
	for _, a := range r.manifest.Artifacts {
		p := r.art(a.Path)
		if fi, err := r.fsys.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxArtifactSize {
			name, want, h := a.Checked()
			jobs = append(jobs, hashJob{path: p, size: fi.Size(), name: name, want: want, h: h})
			arts = append(arts, a)
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
				r.add("artifact-unreadable", Error, j.path, r.reinstall(), "%v", j.err)
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
	size       int64     // at the check: orders the work, largest first
	name, want string    // the digest's name and the manifest's value
	h          hash.Hash // computes it
	sum        string    // lowercase hex
	err        error
}

// hashFiles hashes every job's file, up to workers files at once (0: GOMAXPROCS),
// largest first so that the biggest file never starts last.
func hashFiles(fsys afero.Fs, jobs []hashJob, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(jobs))
	order := make([]*hashJob, len(jobs))
	for i := range jobs {
		order[i] = &jobs[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a].size > order[b].size })
	next := make(chan *hashJob)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			for j := range next {
				j.sum, j.err = hashFile(fsys, j.path, j.h, buf)
			}
		}()
	}
	for _, j := range order {
		next <- j
	}
	close(next)
	wg.Wait()
}

// hashFile returns the lowercase hex digest h computes of the regular file p, reading
// through buf or mappings (hashMapped).
func hashFile(fsys afero.Fs, p string, h hash.Hash, buf []byte) (string, error) {
	f, err := rootfs.OpenRegular(fsys, p, os.O_RDONLY, 0) // a FIFO swapped in is not waited on
	if err != nil {
		return "", err
	}
	defer f.Close()
	if ok, err := hashMapped(h, f); ok {
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", p, err)
		}
		return digest.Hex(h), nil
	}
	if _, err := io.CopyBuffer(h, onlyReader{f}, buf); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return digest.Hex(h), nil
}

// hashMapped hashes a real file through read-only mappings of hashWindow bytes at a
// time, which saves copying it out of the page cache and bounds the memory mapped
// whatever the file's size. ok is false when the file cannot be mapped (then nothing
// was hashed). A file truncated meanwhile faults on access: SetPanicOnFault turns that
// into a panic of this goroutine, recovered as an error.
func hashMapped(h hash.Hash, f afero.File) (ok bool, err error) {
	osf, isOS := f.(interface {
		Fd() uintptr
		Stat() (os.FileInfo, error)
	})
	if !isOS {
		return false, nil
	}
	fi, err := osf.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < minMapped {
		return false, nil
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			ok, err = true, fmt.Errorf("the file changed while it was read: %v", r)
		}
	}()
	fd, size := int(osf.Fd()), fi.Size()
	for off := int64(0); off < size; off += hashWindow {
		n := int(min(hashWindow, size-off))
		data, err := unix.Mmap(fd, off, n, unix.PROT_READ, unix.MAP_SHARED|unix.MAP_POPULATE)
		if err != nil {
			if off == 0 {
				return false, nil
			}
			return true, err
		}
		_ = unix.Madvise(data, unix.MADV_SEQUENTIAL)
		h.Write(data)
		if err := unix.Munmap(data); err != nil {
			return true, err
		}
	}
	return true, nil
}

// hashWindow is how much of a file is mapped at once (a multiple of the page size).
const hashWindow = 8 << 20

// minMapped is the smallest file worth mapping.
var minMapped int64 = 1 << 20

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses the big buffer.
type onlyReader struct{ io.Reader }
