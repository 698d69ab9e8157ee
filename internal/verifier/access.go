package verifier

import (
	"os"
	"path"
	"strings"
)

// checkReadable reports an artifact that a module build as an ordinary user cannot
// read: only root (dkms) could use it.
func (r *run) checkReadable(p string, fi os.FileInfo) {
	if fi.Mode().Perm()&0o004 == 0 {
		r.add("artifact-not-world-readable", Warning, p, "chmod a+r "+p+", or "+r.reinstall(),
			"mode %04o: module builds as a user other than root cannot read it", fi.Mode().Perm())
	}
}

// checkSearchable reports each directory of the artifacts tree on the way to the
// artifacts rel that a module build as an ordinary user cannot search, once.
func (r *run) checkSearchable(rels []string) {
	seen := map[string]bool{}
	for _, rel := range rels {
		dir := r.opts.Artifacts
		for _, part := range append([]string{""}, strings.Split(path.Dir(rel), "/")...) {
			if part == "." {
				continue
			}
			dir = path.Join(dir, part)
			if seen[dir] {
				continue
			}
			seen[dir] = true
			fi, err := r.fsys.Stat(dir)
			if err != nil || !fi.IsDir() {
				break // what lies below is reported as missing
			}
			if fi.Mode().Perm()&0o001 == 0 {
				r.add("directory-not-searchable", Warning, dir, "chmod a+x "+dir+", or "+r.reinstall(),
					"mode %04o: module builds as a user other than root cannot reach the artifacts in it", fi.Mode().Perm())
			}
		}
	}
}
