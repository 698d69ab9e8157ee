package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/manifest"
)

// hashBufSize is the read size when hashing: big reads keep syscalls rare.
const hashBufSize = 1 << 20

// checkSums hashes the artifacts in parallel and reports every mismatch.
func (r *run) checkSums(arts []manifest.Artifact) {
	paths := make([]string, len(arts))
	for i, a := range arts {
		paths[i] = r.art(a.Path)
	}
	sums, errs := HashFiles(r.fsys, paths, r.opts.Workers)
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
	f, err := fsys.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, onlyReader{f}, buf); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// onlyReader hides WriterTo/ReaderFrom so that io.CopyBuffer uses the big buffer.
type onlyReader struct{ io.Reader }
