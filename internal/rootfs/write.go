package rootfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// WriteFile replaces name with data atomically: it writes the temporary file tmp
// (in the same directory; a stale one is removed first), fsyncs it, gives it
// exactly perm whatever the umask, renames it over name and fsyncs the
// directory. Readers see the old content or the new, never a part; after a crash
// at most the temporary file is left.
//
// A fixed tmp is for writers that hold a lock (the next one removes a tmp left by a
// crash). With tmp "" the temporary file gets a name of its own next to name
// (name.tmp-<random>, created exclusively): writers that take no lock never write
// into each other's file, and the last rename wins whole; one left by a crash stays
// until the writer's RemoveStaleTemps removes it.
func WriteFile(fsys FS, name, tmp string, data []byte, perm os.FileMode) (err error) {
	fill := func(w io.Writer) (int64, error) {
		n, err := w.Write(data)
		return int64(n), err
	}
	if tmp != "" {
		if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", tmp, err)
		}
		_, err = writeNew(fsCopier{fsys}, tmp, perm, fill)
	} else {
		tmp = name + tempInfix + strconv.FormatUint(rand.Uint64(), 36)
		if _, err = writeNew(fsCopier{fsys}, tmp, perm, fill); errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write %s: %w", name, err) // not ours to remove
		}
	}
	if err == nil {
		err = fsys.Rename(tmp, name)
	}
	if err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return SyncDir(fsys, path.Dir(name))
}

// tempInfix joins a name and the random part of WriteFile's temporary files for it.
const tempInfix = ".tmp-"

// RemoveStaleTemps removes the temporary files that WriteFile with tmp "" made for
// name and left behind in a crash: regular files named name.tmp-* last modified more
// than age ago. A writer fills its own within moments and never reuses a name, so one
// that old is no one's. It returns how many it removed; it stops at the first removal
// that fails.
func RemoveStaleTemps(fsys FS, name string, age time.Duration) (int, error) {
	dir, base := path.Dir(name), path.Base(name)
	names, err := ListDir(fsys, dir)
	if err != nil {
		return 0, fmt.Errorf("list %s: %w", dir, err)
	}
	var temps []string
	for _, n := range names {
		if strings.HasPrefix(n, base+tempInfix) {
			temps = append(temps, path.Join(dir, n))
		}
	}
	removed, now := 0, time.Now()
	fis, errs := LstatAll(fsys, temps)
	for i, p := range temps {
		if errs[i] != nil || !fis[i].Mode().IsRegular() || now.Sub(fis[i].ModTime()) <= age {
			continue
		}
		switch err := fsys.Remove(p); {
		case err == nil:
			removed++
		case !errors.Is(err, fs.ErrNotExist): // else another run removed it first
			return removed, err
		}
	}
	return removed, nil
}

// CopyFile copies the content of the regular file src (anything else, a link
// included, is refused: OpenRegular) to the new file dst (O_EXCL: never over
// something), which gets exactly perm whatever the umask, and fsyncs it. The
// content also goes to tee when not nil (a hash). It returns the bytes copied.
func CopyFile(fsys FS, src, dst string, perm os.FileMode, tee io.Writer) (int64, error) {
	return copyFile(fsCopier{fsys}, src, dst, perm, tee)
}

// CopyFileIn is CopyFile for two names in the directory d.
func CopyFileIn(d Dir, src, dst string, perm os.FileMode, tee io.Writer) (int64, error) {
	return copyFile(d, src, dst, perm, tee)
}

// copier is what copyFile needs: a Dir, or an FS through fsCopier.
type copier interface {
	Open(name string) (afero.File, error) // a regular file, never through a final link
	Create(name string, perm os.FileMode) (afero.File, error)
	Chmod(name string, mode os.FileMode) error
}

type fsCopier struct{ FS }

func (c fsCopier) Open(name string) (afero.File, error) {
	return OpenRegular(c.FS, name, os.O_RDONLY|unix.O_NOFOLLOW, 0)
}

func (c fsCopier) Create(name string, perm os.FileMode) (afero.File, error) {
	return c.FS.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
}

func copyFile(c copier, src, dst string, perm os.FileMode, tee io.Writer) (int64, error) {
	in, err := c.Open(src)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", src, err)
	}
	defer in.Close()
	n, err := writeNew(c, dst, perm, func(w io.Writer) (int64, error) {
		if tee != nil {
			w = io.MultiWriter(w, tee)
		}
		return io.Copy(w, in)
	})
	if err != nil {
		return n, fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return n, nil
}

// writeNew creates the new file name, has fill write it, fsyncs and closes it and gives
// it exactly perm whatever the umask.
func writeNew(c copier, name string, perm os.FileMode, fill func(io.Writer) (int64, error)) (int64, error) {
	out, err := c.Create(name, perm&fs.ModePerm)
	if err != nil {
		return 0, err
	}
	n, err := fill(out)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = c.Chmod(name, perm)
	}
	return n, err
}

// MkdirAll creates dir and its missing parents, each with exactly perm whatever
// the umask (module builds run as any user and need 0755). Directories that
// exist, links to directories inside the root included, are left as they are.
func MkdirAll(fsys FS, dir string, perm os.FileMode) error {
	if fi, err := fsys.Stat(dir); err == nil {
		if fi.IsDir() {
			return nil
		}
		return fmt.Errorf("create %s: %w", dir, &os.PathError{Op: "mkdir", Path: dir, Err: unix.ENOTDIR})
	}
	if parent := path.Dir(dir); parent != dir {
		if err := MkdirAll(fsys, parent, perm); err != nil {
			return err
		}
	}
	if err := fsys.Mkdir(dir, perm); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if fi, serr := fsys.Stat(dir); serr == nil && fi.IsDir() {
				return nil
			}
		}
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := fsys.Chmod(dir, perm); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}
