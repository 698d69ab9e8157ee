package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// HeadersPathError says why a symbolic link above the headers tree cannot be followed.
type HeadersPathError struct {
	Link, Target string // the link and its target as stored
	Reason       string // "leads out of the root", "leads nowhere", …
	Headers      string // the headers tree, as Headers names it
}

func (e *HeadersPathError) Error() string {
	return fmt.Sprintf("%s is a symbolic link to %s, which %s; linux-librust leaves %s alone: make %s a directory, or a link to a directory inside the root (dpkg follows such a link as well)",
		e.Link, e.Target, e.Reason, e.Headers, e.Link)
}

// HeadersDir returns where the headers tree of abi is: Headers(abi) with every directory
// above it that is a symbolic link followed inside the root, as dpkg follows such a link
// (an administrator moving /usr/src to a larger disk). The result has no link above the
// tree, so that relative links made in it resolve as computed from it; the tree itself
// is not looked at. A link above it that leads out of the root (a relative target with
// more ".." than the link has directories above it), nowhere, in a loop or to something
// other than a directory is a *HeadersPathError. A missing directory is not an error:
// the result is then Headers(abi).
func HeadersDir(fsys rootfs.FS, abi string) (string, error) {
	h := Headers(abi)
	parent := path.Dir(h)
	d, followed := "", false
	for _, c := range strings.Split(strings.TrimPrefix(parent, "/"), "/") {
		if c == "" {
			continue // the headers tree is right below the root
		}
		d += "/" + c
		fi, err := fsys.Lstat(d)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return h, nil
		}
		if err != nil {
			return "", fmt.Errorf("inspect %s: %w", d, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			continue
		}
		followed = true
		t, err := fsys.Readlink(d)
		if err != nil {
			return "", fmt.Errorf("inspect %s: %w", d, err)
		}
		bad := func(reason string) error { return &HeadersPathError{Link: d, Target: t, Reason: reason, Headers: h} }
		up, err := fsys.Resolve(path.Dir(d))
		if err != nil {
			return "", fmt.Errorf("resolve %s: %w", path.Dir(d), err)
		}
		if climbsOut(up, t) {
			return "", bad("leads out of the root")
		}
		r, err := fsys.Resolve(d)
		switch {
		case errors.Is(err, syscall.ELOOP):
			return "", bad("loops")
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
			return "", bad("leads nowhere")
		case err != nil:
			return "", fmt.Errorf("resolve %s: %w", d, err)
		}
		if fi, err := fsys.Stat(r); err != nil || !fi.IsDir() {
			return "", bad("does not lead to a directory")
		}
	}
	if !followed {
		return h, nil // every directory above it is a real one
	}
	real, err := fsys.Resolve(parent)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", parent, err)
	}
	return path.Join(real, path.Base(h)), nil
}

// climbsOut reports whether the relative target t of a link in the directory dir (clean,
// absolute) has more ".." than dir has components: it leads out of the root. The root
// clamps such a ".." (as chroot does); the tool refuses to guess what was meant.
func climbsOut(dir, t string) bool {
	if path.IsAbs(t) {
		return false
	}
	depth := 0
	if dir != "/" {
		depth = strings.Count(dir, "/")
	}
	for _, c := range strings.Split(t, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}
