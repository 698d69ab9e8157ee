package verifier

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// CheckLinks checks that every artifact path (relative to the kernel build tree) opens
// the artifact from the headers tree, and that no link into the artifacts tree dangles
// in the directories holding them. An
// artifact below a link into a shared linux-kbuild tree may open another flavour's
// identical file through the tool's link there: it passes when the sizes are equal.
func CheckLinks(fsys rootfs.FS, headers, artifacts string, paths []string) []Finding {
	return checkLinks(fsys, headers, artifacts, paths, nil, false)
}

// checkLinks is CheckLinks; full also compares the SHA-256 of a shared artifact. A
// path in support (manifest.KindSupport) may open any file: one the headers ship there
// is the kernel's own.
func checkLinks(fsys rootfs.FS, headers, artifacts string, paths []string, support map[string]bool, full bool) []Finding {
	var out []Finding
	add := func(code, p, fix, msg string) {
		out = append(out, Finding{Code: code, Severity: Error, Path: p, Message: msg, Fix: fix})
	}
	const relink = "run linux-librust repair"
	listed := make(map[string]bool, len(paths))
	dirs := map[string]bool{}
	for _, rel := range paths {
		listed[rel] = true
		dirs[path.Dir(rel)] = true
		h, a := path.Join(headers, rel), path.Join(artifacts, rel)
		hi, err := fsys.Stat(h)
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				// Not damage: this user may not follow it (root, as dkms runs, does).
				add("link-unreachable", h, permissionFix(a),
					"cannot be followed by this user: "+err.Error())
			} else if li, lerr := fsys.Lstat(h); lerr == nil && li.Mode()&os.ModeSymlink != 0 {
				add("link-dangling", h, relink, "a link that leads nowhere: "+describeLink(fsys, h))
			} else if errors.Is(err, fs.ErrNotExist) {
				add("link-missing", h, relink+" (or linux-librust link)",
					"the artifact "+rel+" is not reachable from the headers tree: module builds fail")
			} else {
				add("link-unreadable", h, relink, err.Error())
			}
			continue
		}
		ai, err := fsys.Stat(a)
		if err != nil {
			continue // reported as artifact-missing
		}
		if !rootfs.SameFile(hi, ai) && !support[rel] && !sharedSame(fsys, h, a, hi, ai, full) {
			add("link-foreign", h, relink+" --force to move it aside",
				"opens another file than "+a+": module builds would use it")
		}
	}
	// Stale links of the tool next to the artifacts: into the artifacts tree, dangling.
	ds := make([]string, 0, len(dirs))
	for d := range dirs {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	for _, d := range ds {
		hd := path.Join(headers, d)
		entries, err := afero.ReadDir(fsys, hd)
		if err != nil {
			continue
		}
		for _, e := range entries {
			rel := path.Join(d, e.Name())
			if listed[rel] || e.Mode()&os.ModeSymlink == 0 {
				continue
			}
			h := path.Join(hd, e.Name())
			target, ok := readlink(fsys, h)
			if !ok {
				continue
			}
			if !path.IsAbs(target) {
				target = path.Join(hd, target)
			}
			if !strings.HasPrefix(target, artifacts+"/") {
				continue
			}
			if _, err := fsys.Stat(h); err != nil && !errors.Is(err, fs.ErrPermission) {
				add("link-dangling", h, relink, "a link into the artifacts tree that leads nowhere: "+describeLink(fsys, h))
			}
		}
	}
	return out
}

func readlink(fsys rootfs.FS, p string) (string, bool) {
	t, err := fsys.Readlink(p)
	return t, err == nil
}

func describeLink(fsys rootfs.FS, p string) string {
	if t, ok := readlink(fsys, p); ok {
		return "-> " + t
	}
	return "unreadable link"
}
