package collector

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"sync"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Support files. Module build systems run the kernel's Rust availability check (make
// rustavailable) to decide whether they may build Rust, and a distribution's headers
// may lack its script and the files that script uses. They are found from the kernel's
// own build rules, not from a list: the recipe of SupportTarget in the top-level
// Makefile names files of $(srctree), and each script among them names the files it
// uses next to itself as $(dirname $0)/NAME, followed in turn.

// SupportTarget is the top-level make target whose files are collected; a package
// variable so that a packager can follow a kernel that renames it.
var SupportTarget = "rustavailable"

// maxSupportSize bounds a Makefile or script read for references.
const maxSupportSize = 4 << 20

// The patterns are compiled on first use, not when the program starts.
var (
	srctreeRef = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\$[({]srctree[)}]/([A-Za-z0-9._/+-]+)`)
	})
	siblingRef = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\$\(dirname "?\$0"?\)"?/([A-Za-z0-9._+-]+)`)
	})
)

// RecipeFiles returns the paths, relative to $(srctree), that the recipe of target in
// the Makefile text mk names as $(srctree)/PATH, in order and without repetition.
func RecipeFiles(mk []byte, target string) []string {
	var out []string
	seen := map[string]bool{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(mk))
	sc.Buffer(make([]byte, 0, 64<<10), maxSupportSize)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, target+":") && !strings.HasPrefix(line, target+":="):
			in = true
			continue
		case in && strings.HasPrefix(line, "\t"):
		case in && strings.TrimSpace(line) == "":
			continue
		default:
			in = false
			continue
		}
		for _, m := range srctreeRef().FindAllStringSubmatch(line, -1) {
			if p := path.Clean(m[1]); manifest.CheckPath(p) == nil && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// SiblingFiles returns the names that the shell script text sh uses next to itself,
// as $(dirname $0)/NAME or $(dirname "$0")/NAME, in order and without repetition.
func SiblingFiles(sh []byte) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range siblingRef().FindAllSubmatch(sh, -1) {
		n := string(m[1])
		if n != "." && n != ".." && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// sourceDir returns the kernel source tree of the build tree: its "source" link of an
// O= build, else the build tree itself.
func (t *Tree) sourceDir(fsys afero.Fs) string {
	src := path.Join(t.Dir, "source")
	if fi, err := fsys.Stat(path.Join(src, "Makefile")); err == nil && fi.Mode().IsRegular() {
		return src
	}
	return t.Dir
}

// discoverSupport adds the support files of SupportTarget. A kernel without the
// target has none; a file the rules name that is missing is an error, since the check
// would fail without it.
func (t *Tree) discoverSupport(fsys afero.Fs) error {
	t.srcDir = t.sourceDir(fsys)
	mkPath := path.Join(t.srcDir, "Makefile")
	mk, err := rootfs.ReadFile(fsys, mkPath, maxSupportSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a build tree without its source: nothing to find
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", mkPath, err)
	}
	have := map[string]bool{}
	for _, a := range t.Artifacts {
		have[a.Path] = true
	}
	queue := RecipeFiles(mk, SupportTarget)
	for len(queue) > 0 {
		rel := queue[0]
		queue = queue[1:]
		if have[rel] {
			continue
		}
		have[rel] = true
		p := path.Join(t.srcDir, rel)
		data, err := rootfs.ReadFile(fsys, p, maxSupportSize)
		if err != nil {
			return fmt.Errorf("%s: the kernel's %q check uses %s: %w; collect from a complete kernel tree", mkPath, SupportTarget, rel, err)
		}
		t.Artifacts = append(t.Artifacts, manifest.Artifact{Path: rel, Kind: manifest.KindSupport, Size: int64(len(data))})
		if bytes.HasPrefix(data, []byte("#!")) {
			for _, n := range SiblingFiles(data) {
				queue = append(queue, path.Join(path.Dir(rel), n))
			}
		}
	}
	return nil
}
