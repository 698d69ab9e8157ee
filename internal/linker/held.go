package linker

import (
	"fmt"
	"io/fs"
	"path"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// held is the directories one plan inspects, each opened once free of links and held
// until something changes (forget), and what it found at each name in them: every name
// asked through it is read once, through the one handle of its directory, in the plan
// and in the observation after it. (The plan's first looks, at the Makefile, the
// manifest and the headers directory itself, and the kbuild View's, do not go through
// it.) Changes never go through it: each action opens its directory afresh (Engine.do).
type held struct {
	fs    rootfs.FS
	dirs  map[string]*heldDir
	infos map[string]heldInfo // by absolute path
}

type heldDir struct {
	d     rootfs.Dir
	err   error
	asked int             // names looked at
	names map[string]bool // the directory's names, listed at the second name asked
}

type heldInfo struct {
	fi     fs.FileInfo
	err    error
	target *string // of a link, once read
}

func newHeld(fsys rootfs.FS) *held {
	return &held{fs: fsys, dirs: map[string]*heldDir{}, infos: map[string]heldInfo{}}
}

// dir returns the directory dir opened free of links (Engine.at); the caller does not
// close it.
func (h *held) dir(dir string) (rootfs.Dir, error) {
	if hd, ok := h.dirs[dir]; ok {
		return hd.d, hd.err
	}
	d, err := openFree(h.fs, dir)
	h.dirs[dir] = &heldDir{d: d, err: err}
	return d, err
}

// forget closes every handle and forgets what was found: once something changed, a
// name may lead elsewhere or hold another object.
func (h *held) forget() {
	for _, hd := range h.dirs {
		if hd.d != nil {
			hd.d.Close()
		}
	}
	clear(h.dirs)
	clear(h.infos)
}

// at returns the held directory of the absolute path p and p's last element.
func (h *held) at(p string) (rootfs.Dir, string, error) {
	d, err := h.dir(path.Dir(p))
	return d, path.Base(p), err
}

// lstat returns the kind of the object at p; want is the target that makes a link ours.
// The directory of p is opened free of links (Engine.at): a symbolic link on the way,
// which the plan never goes through, fails with an error matching errLinkOnTheWay.
func (h *held) lstat(p, want string) (kind, string, error) {
	d, base, err := h.at(p)
	if isAbsent(err) {
		return absent, "", nil
	}
	if err != nil {
		return absent, "", fmt.Errorf("inspect %s: %w", p, err)
	}
	fi, err := h.info(d, p, base)
	return classify(fi, err, want, func() (string, error) { return h.readlink(d, p, base) })
}

// lstatInfo returns the FileInfo of p, its directory opened as lstat does.
func (h *held) lstatInfo(p string) (fs.FileInfo, error) {
	d, base, err := h.at(p)
	if err != nil {
		return nil, err
	}
	return h.info(d, p, base)
}

// info is d.Lstat(base), p's, asked once. From the second name asked in a directory
// on, the directory is listed once, and a name not in it is absent without asking
// (most names looked at, the temporary and backup names, are absent).
func (h *held) info(d rootfs.Dir, p, base string) (fs.FileInfo, error) {
	if hi, ok := h.infos[p]; ok {
		return hi.fi, hi.err
	}
	var fi fs.FileInfo
	var err error
	if hd := h.dirs[path.Dir(p)]; hd != nil && hd.absent(base) {
		err = &fs.PathError{Op: "lstat", Path: p, Err: syscall.ENOENT}
	} else {
		fi, err = d.Lstat(base)
	}
	h.infos[p] = heldInfo{fi: fi, err: err}
	return fi, err
}

// absent reports whether the listing of the directory says that name is not there.
func (hd *heldDir) absent(name string) bool {
	hd.asked++
	if hd.asked == 2 {
		names, err := hd.d.Readdirnames(-1)
		if err == nil {
			hd.names = make(map[string]bool, len(names))
			for _, n := range names {
				hd.names[n] = true
			}
		}
	}
	return hd.names != nil && !hd.names[name]
}

// readlink is d.Readlink(base), p's, read once; errors are not kept.
func (h *held) readlink(d rootfs.Dir, p, base string) (string, error) {
	hi := h.infos[p]
	if hi.target != nil {
		return *hi.target, nil
	}
	t, err := d.Readlink(base)
	if err == nil {
		hi.target = &t
		h.infos[p] = hi
	}
	return t, err
}
