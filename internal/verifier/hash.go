package verifier

import (
	"crypto/sha256"
	"encoding/hex"
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

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// hashBufSize is the read size when hashing: big reads keep syscalls rare.
const hashBufSize = 1 << 20

// startSums starts hashing, on all cores, every artifact that is a regular file of at
// most MaxArtifactSize (the others are reported by checkFiles) while the other checks
// go on; the function it returns waits and reports every mismatch.
func (r *run) startSums() (report func()) {
	var arts []manifest.Artifact
	var paths []string
	for _, a := range r.manifest.Artifacts {
		p := r.art(a.Path)
		if fi, err := r.fsys.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() <= MaxArtifactSize {
			arts, paths = append(arts, a), append(paths, p)
		}
	}
	var sums []string
	var errs []error
	done := make(chan struct{})
	go func() {
		defer close(done)
		sums, errs = HashFiles(r.fsys, paths, r.opts.Workers)
	}()
	return func() {
		<-done
		for i, a := range arts {
			switch {
			case errs[i] != nil:
				r.add("artifact-unreadable", Error, paths[i], r.reinstall(), "%v", errs[i])
			case sums[i] != a.SHA256:
				r.add("checksum-mismatch", Error, paths[i], r.reinstall(),
					"SHA-256 %s, the manifest says %s", sums[i], a.SHA256)
			}
		}
	}
}

// HashFiles returns the lowercase hex SHA-256 of every file, hashing up to workers files
// at once (0: GOMAXPROCS), largest first so that the biggest file never starts last.
func HashFiles(fsys afero.Fs, paths []string, workers int) (sums []string, errs []error) {
	sums, errs = make([]string, len(paths)), make([]error, len(paths))
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(paths))
	sizes := make([]int64, len(paths))
	order := make([]int, len(paths))
	for i, p := range paths {
		order[i] = i
		if fi, err := fsys.Stat(p); err == nil {
			sizes[i] = fi.Size()
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return sizes[order[a]] > sizes[order[b]] })
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, hashBufSize)
			for i := range next {
				sums[i], errs[i] = hashFile(fsys, paths[i], buf)
			}
		}()
	}
	for _, i := range order {
		next <- i
	}
	close(next)
	wg.Wait()
	return sums, errs
}

func hashFile(fsys afero.Fs, p string, buf []byte) (string, error) {
	f, err := rootfs.OpenRegular(fsys, p, os.O_RDONLY, 0) // a FIFO swapped in is not waited on
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if ok, err := hashMapped(h, f); ok {
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", p, err)
		}
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	if _, err := io.CopyBuffer(h, onlyReader{f}, buf); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
