// Package kbuild knows which kernels share a linux-kbuild tree, read-only.
//
// Debian's headers tree has scripts -> ../../lib/linux-kbuild-<ver>/scripts, a tree
// that every flavour of the version shares (layout.KbuildPattern, one package,
// Multi-Arch: foreign). An artifact below such a link, scripts/target.json, has one
// place for all flavours, the shared path (/usr/lib/linux-kbuild-<ver>/scripts/target.json).
// Its members are the ABIs whose headers are installed and reach the shared path, and
// whose manifest lists an artifact there that is a regular file.
//
// The tool's link at a shared path is a relative link into one member's artifacts tree
// (Target); its target alone says which ABI it serves (Owner). The package answers
// where an artifact's shared path is, who the members are, who the link serves, what
// it should serve and who is then the conflict (Choose), and whether the kbuild
// package is gone; it changes nothing. A View reads each of these once. The linker
// plans from these answers, the verifier reports from the same ones.
package kbuild

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Dir returns the linux-kbuild tree (layout.KbuildPattern) that holds the clean
// absolute path p, or "" when there is none.
func Dir(p string) string {
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if layout.ABIFromPath(layout.KbuildPattern, p[:i]) != "" {
				return p[:i]
			}
		}
	}
	return ""
}

// Target is the target of the tool's link at the shared path sp into artifact rel of
// abi.
func Target(sp, abi, rel string) string {
	return layout.LinkTarget(sp, path.Join(layout.Artifacts(abi), rel))
}

// Owner returns the ABI and the artifact path that a link at sp with target t serves,
// when the link is the tool's: t is exactly Target(sp, abi, rel) for a valid ABI and an
// artifact path ending in the link's own name, in the artifacts tree of abi that serves
// this machine (layout.Artifacts: the native set, or the set built for this machine).
func Owner(sp, t string) (abi, rel string, ok bool) {
	if t == "" || path.IsAbs(t) {
		return "", "", false
	}
	to := path.Join(path.Dir(sp), t)
	for i := 1; i < len(to); i++ {
		if to[i] != '/' {
			continue
		}
		for _, pattern := range layout.ArtifactsPatterns() {
			a := layout.ABIFromPath(pattern, to[:i])
			if a == "" {
				continue
			}
			r := to[i+1:]
			if manifest.CheckPath(r) == nil && path.Base(r) == path.Base(sp) && Target(sp, a, r) == t {
				return a, r, true
			}
		}
	}
	return "", "", false
}

// Member is an ABI that may serve a shared path.
type Member struct {
	ABI    string
	Path   string // the artifact path in its manifest
	SHA256 string // from its manifest
	// Kind from its manifest: a support file (manifest.KindSupport) is needed only
	// where the kbuild tree has no file of its own at the path.
	Kind manifest.Kind
}

// View answers questions about the kernels under the root of a file system. It
// remembers what it has read, so that one pass over many kernels reads each manifest
// and each directory once: keep a View only while nothing changes on disk.
type View struct {
	fs        rootfs.FS
	abis      []string
	listed    bool
	kinds     map[string]fs.FileMode // lstat type of an absolute path; fs.ModeIrregular: absent
	links     map[string]string      // a link → the kbuild directory it resolves to, or ""
	manifests map[string]manifestRead
	members   map[string][]Member            // shared path → its members
	reached   map[string]map[string][]string // see reachedBy
	looked    map[string]bool                // ABIs whose artifacts LookAtArtifacts saw
}

type manifestRead struct {
	m   *manifest.Manifest
	err error
}

// NewView returns a View of fsys.
func NewView(fsys rootfs.FS) *View {
	return &View{fs: fsys, kinds: map[string]fs.FileMode{}, links: map[string]string{},
		manifests: map[string]manifestRead{}, members: map[string][]Member{},
		reached: map[string]map[string][]string{}, looked: map[string]bool{}}
}

// absentMode marks a path that does not exist in View.kinds.
const absentMode = fs.ModeIrregular

// IsAbsent reports whether err says that a path does not exist (a component missing,
// or not a directory).
func IsAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// kind returns the type bits of the object at p, absentMode when there is none.
func (v *View) kind(p string) (fs.FileMode, error) {
	if k, ok := v.kinds[p]; ok {
		return k, nil
	}
	fi, err := v.fs.Lstat(p)
	k := absentMode
	switch {
	case IsAbsent(err):
	case err != nil:
		return 0, fmt.Errorf("inspect %s: %w", p, err)
	default:
		k = fi.Mode().Type()
	}
	v.kinds[p] = k
	return k, nil
}

// Link returns what the link at l resolves to when that is a directory inside a
// linux-kbuild tree, else "".
func (v *View) Link(l string) (string, error) {
	if d, ok := v.links[l]; ok {
		return d, nil
	}
	d, err := v.link(l)
	if err == nil {
		v.links[l] = d
	}
	return d, err
}

func (v *View) link(l string) (string, error) {
	r, err := v.fs.Resolve(l)
	if IsAbsent(err) || errors.Is(err, syscall.ELOOP) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", l, err)
	}
	if Dir(r) == "" {
		return "", nil
	}
	if k, err := v.kind(r); err != nil || k != fs.ModeDir {
		return "", err
	}
	return r, nil
}

// Below returns dir/rest when the directories of rest below dir are real directories,
// else "".
func (v *View) Below(dir, rest string) (string, error) {
	comps := strings.Split(rest, "/")
	d := dir
	for _, c := range comps[:len(comps)-1] {
		d = path.Join(d, c)
		if k, err := v.kind(d); err != nil || k != fs.ModeDir {
			return "", err
		}
	}
	return path.Join(dir, rest), nil
}

// Reach returns the shared path of artifact rel of abi's headers tree, or "" when rel
// is not below a link into a linux-kbuild tree.
func (v *View) Reach(abi, rel string) (string, error) {
	h := layout.Headers(abi)
	comps := strings.Split(rel, "/")
	for i := 1; i < len(comps); i++ {
		d := path.Join(h, strings.Join(comps[:i], "/"))
		k, err := v.kind(d)
		if err != nil {
			return "", err
		}
		switch k {
		case fs.ModeDir:
			continue
		case fs.ModeSymlink:
			kb, err := v.Link(d)
			if err != nil || kb == "" {
				return "", err
			}
			return v.Below(kb, strings.Join(comps[i:], "/"))
		}
		return "", nil
	}
	return "", nil
}

// Manifest returns the manifest of abi's artifacts tree, checked to be abi's.
func (v *View) Manifest(abi string) (*manifest.Manifest, error) {
	if r, ok := v.manifests[abi]; ok {
		return r.m, r.err
	}
	m, err := manifest.Read(v.fs, layout.Artifacts(abi))
	if err == nil && m.ABI != abi {
		m, err = nil, fmt.Errorf("manifest %s is for ABI %s, not %s; reinstall linux-librust-%s",
			path.Join(layout.Artifacts(abi), layout.ManifestName), m.ABI, abi, abi)
	}
	v.manifests[abi] = manifestRead{m, err}
	return m, err
}

// ArtifactOK reports whether artifact rel of abi is a regular file reached through
// real directories, so that a link to it resolves inside the artifacts tree. It looks
// at rel's own path; LookAtArtifacts, before, looks at all of abi's at once.
func (v *View) ArtifactOK(abi, rel string) (bool, error) {
	a := layout.Artifacts(abi)
	comps := strings.Split(rel, "/")
	for i, c := range comps {
		a = path.Join(a, c)
		k, err := v.kind(a)
		if err != nil {
			return false, err
		}
		if i < len(comps)-1 && k != fs.ModeDir || i == len(comps)-1 && k != 0 {
			return false, nil
		}
	}
	return true, nil
}

// LookAtArtifacts looks, once, at every artifact of abi's manifest (read already) and
// the directories on the way, a directory's names together (rootfs.LstatAll): for one
// that asks ArtifactOK of each of them, as a plan does of its own ABI's.
func (v *View) LookAtArtifacts(abi string) {
	r, ok := v.manifests[abi]
	if !ok || r.m == nil || v.looked[abi] {
		return
	}
	v.looked[abi] = true
	a := layout.Artifacts(abi)
	var names []string
	seen := map[string]bool{}
	for _, art := range r.m.Artifacts {
		p := a
		for _, c := range strings.Split(art.Path, "/") {
			p = path.Join(p, c)
			if _, known := v.kinds[p]; !known && !seen[p] {
				seen[p] = true
				names = append(names, p)
			}
		}
	}
	fis, errs := rootfs.LstatAll(v.fs, names)
	for i, p := range names {
		switch {
		case IsAbsent(errs[i]):
			v.kinds[p] = absentMode
		case errs[i] == nil:
			v.kinds[p] = fis[i].Mode().Type()
		} // other errors: kind asks again and reports them
	}
}

// Installed reports whether abi's headers tree (its Makefile) and artifacts tree (its
// manifest) are both there.
func (v *View) Installed(abi string) (bool, error) {
	for _, p := range []string{path.Join(layout.Headers(abi), "Makefile"), path.Join(layout.Artifacts(abi), layout.ManifestName)} {
		if k, err := v.kind(p); err != nil || k == absentMode {
			return false, err
		}
	}
	return true, nil
}

// headersABIs returns the ABIs that have a headers tree, sorted.
func (v *View) headersABIs() ([]string, error) {
	if !v.listed {
		abis, err := layout.Scan(v.fs, layout.HeadersPattern)
		if err != nil {
			return nil, err
		}
		sort.Strings(abis)
		v.abis, v.listed = abis, true
	}
	return v.abis, nil
}

// Members returns the members of the shared path sp, sorted by ABI. A member whose
// manifest cannot be read is left out: its own commands report it.
func (v *View) Members(sp string) ([]Member, error) {
	if ms, ok := v.members[sp]; ok {
		return ms, nil
	}
	// A flavour reaches sp through the same path below its headers tree as sp has below
	// the kbuild tree (Debian: scripts -> ../../lib/linux-kbuild-<ver>/scripts). Which
	// flavours reach which path is found once for all; only the flavours that reach sp
	// have their manifests read.
	reached, err := v.reachedBy(strings.TrimPrefix(sp, Dir(sp)+"/"))
	if err != nil {
		return nil, err
	}
	var out []Member
	for _, y := range reached[sp] {
		if k, err := v.kind(layout.Headers(y)); err != nil {
			return nil, err
		} else if k != fs.ModeDir {
			continue
		}
		if ok, err := v.Installed(y); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		m, err := v.Manifest(y)
		if err != nil {
			continue
		}
		for _, art := range m.Artifacts {
			p, err := v.Reach(y, art.Path)
			if err != nil {
				return nil, err
			}
			if p != sp {
				continue
			}
			if ok, err := v.ArtifactOK(y, art.Path); err != nil {
				return nil, err
			} else if ok {
				out = append(out, Member{ABI: y, Path: art.Path, SHA256: art.SHA256, Kind: art.Kind})
			}
			break
		}
	}
	v.members[sp] = out
	return out, nil
}

// reachedBy returns, for the path rest below a kbuild tree, the ABIs (sorted) whose
// headers tree reaches each shared path through rest.
func (v *View) reachedBy(rest string) (map[string][]string, error) {
	if r, ok := v.reached[rest]; ok {
		return r, nil
	}
	abis, err := v.headersABIs()
	if err != nil {
		return nil, err
	}
	r := map[string][]string{}
	for _, y := range abis {
		sp, err := v.Reach(y, rest)
		if err != nil {
			return nil, err
		}
		if sp != "" {
			r[sp] = append(r[sp], y)
		}
	}
	v.reached[rest] = r
	return r, nil
}

// Gone reports whether the kbuild tree of sp holds nothing but the directories on the
// way to sp, the tool's objects at sp (its link, temporary and backup names) and the
// tool's links at the other shared paths next to it (scripts/target.json and the Rust
// availability check share scripts/): its package was removed, and dpkg left the
// directories only because of them.
func (v *View) Gone(sp string) (bool, error) {
	kb := Dir(sp)
	allowed := map[string]bool{}
	for _, n := range []string{sp, sp + layout.TempSuffix, sp + layout.BackupSuffix, sp + layout.BackupTempSuffix} {
		allowed[n] = true
	}
	if only, err := v.allowSiblingLinks(path.Dir(sp), allowed); err != nil || !only {
		return false, err
	}
	for d := path.Dir(sp); ; d = path.Dir(d) {
		k, err := v.kind(d)
		switch {
		case err != nil:
			return false, err
		case k == absentMode && d != kb && d != "/":
			allowed = map[string]bool{d: true} // removed by an interrupted run
			continue
		case k != fs.ModeDir:
			return false, nil
		}
		only, err := v.holdsOnly(d, allowed)
		if err != nil || !only {
			return false, err
		}
		if d == kb || d == "/" {
			return d == kb, nil
		}
		allowed = map[string]bool{d: true}
	}
}

// allowSiblingLinks adds to allowed the tool's links in dir (at a shared path or its
// temporary name): links whose target names an artifact they serve (Owner). It reports
// false at the first other name not in allowed: dir then holds more than Gone allows,
// and no further name is read as a link.
func (v *View) allowSiblingLinks(dir string, allowed map[string]bool) (bool, error) {
	if k, err := v.kind(dir); err != nil || k != fs.ModeDir {
		return true, err // Gone decides on what is not a directory
	}
	names, err := rootfs.ListDir(v.fs, dir)
	if err != nil {
		return false, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if allowed[p] {
			continue
		}
		t, err := v.fs.ReadlinkIfPossible(p)
		if err != nil {
			return false, nil // not a link
		}
		if _, _, ok := Owner(strings.TrimSuffix(p, layout.TempSuffix), t); !ok {
			return false, nil
		}
		allowed[p] = true
	}
	return true, nil
}

// holdsOnly reports whether the directory dir holds only names in allowed; it stops
// reading at the first other name.
func (v *View) holdsOnly(dir string, allowed map[string]bool) (bool, error) {
	f, err := v.fs.Open(dir)
	if err != nil {
		return false, fmt.Errorf("list %s: %w", dir, err)
	}
	defer f.Close()
	for {
		names, err := f.Readdirnames(16)
		for _, n := range names {
			if !allowed[path.Join(dir, n)] {
				return false, nil
			}
		}
		if err == io.EOF || len(names) == 0 {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("list %s: %w", dir, err)
		}
	}
}

// Shared returns the shared path of artifact rel of abi's headers tree, "" when rel is
// not below a link into a linux-kbuild tree, and the members of that path sorted by
// ABI (none when the kbuild package is gone).
func (v *View) Shared(abi, rel string) (string, []Member, error) {
	if err := layout.ValidateABI(abi); err != nil {
		return "", nil, err
	}
	sp, err := v.Reach(abi, rel)
	if err != nil || sp == "" {
		return "", nil, err
	}
	if gone, err := v.Gone(sp); err != nil || gone {
		return sp, nil, err
	}
	ms, err := v.Members(sp)
	return sp, ms, err
}

// Served returns the shared path that the path p is when its directory resolves into a
// linux-kbuild tree and the object there is the tool's link; ok is false otherwise.
func (v *View) Served(p string) (sp string, ok bool) {
	dir, err := v.fs.Resolve(path.Dir(p))
	if err != nil || Dir(dir) == "" {
		return "", false
	}
	sp = path.Join(dir, path.Base(p))
	t, err := v.fs.Readlink(sp)
	if err != nil {
		return "", false
	}
	_, _, ok = Owner(sp, t)
	return sp, ok
}

// Serving returns the ABI that the tool's link at the shared path sp serves, "" when
// there is none.
func (v *View) Serving(sp string) (string, error) {
	k, err := v.kind(sp)
	if err != nil || k != fs.ModeSymlink {
		return "", err
	}
	t, err := v.fs.Readlink(sp)
	if err != nil {
		return "", fmt.Errorf("read link %s: %w", sp, err)
	}
	abi, _, _ := Owner(sp, t)
	return abi, nil
}

// Choice is what a shared path serves.
type Choice struct {
	SHA256   string   // the content served; "" when none can be
	Into     *Member  // the member the link points into; nil when none
	Serve    []Member // the members that need the content served
	Conflict []Member // the members that need another content (or all, when none is served)
}

// Choose decides what the shared path with the members ms serves. owner is the ABI the
// tool's link there serves now ("" for none); leaving tells the ABIs that may not serve
// it any more (being unlinked), valid those whose sets pass their own checks; nil
// means none and all. valid is asked only when the members that stay disagree.
//
// Members that stay and agree are all served; the link points into the lexically first.
// When they disagree, the candidates are the valid ones (or, when none is valid, all
// that stay: a set that fails its checks takes part in no choice but loses nothing by
// that alone). The content the link serves now stays while a candidate needs it: a
// flavour installed later that needs another content is the conflict, never the
// flavours already served. Otherwise the candidates must all agree; when they do not,
// nothing is served and every member that stays is a conflict. The link points into the
// lexically first valid member that needs the content served.
func Choose(ms []Member, owner string, leaving, valid func(abi string) bool) Choice {
	if leaving == nil {
		leaving = func(string) bool { return false }
	}
	var stay []Member
	sum := ""
	for _, m := range ms {
		if m.ABI == owner {
			sum = m.SHA256
		}
		if !leaving(m.ABI) {
			stay = append(stay, m)
		}
	}
	var c Choice
	if agree(stay) {
		if len(stay) > 0 {
			c.SHA256, c.Serve, c.Into = stay[0].SHA256, stay, &stay[0]
		}
		return c
	}
	if valid == nil {
		valid = func(string) bool { return true }
	}
	var cands []Member
	for _, m := range stay {
		if valid(m.ABI) {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		cands = stay
	}
	if !needs(cands, sum) {
		sum = ""
		if agree(cands) {
			sum = cands[0].SHA256
		}
	}
	if sum == "" {
		c.Conflict = stay
		return c
	}
	c.SHA256 = sum
	for _, m := range stay {
		if m.SHA256 == sum {
			c.Serve = append(c.Serve, m)
		} else {
			c.Conflict = append(c.Conflict, m)
		}
	}
	for i := range c.Serve {
		if Find(cands, c.Serve[i].ABI) != nil {
			c.Into = &c.Serve[i]
			break
		}
	}
	return c
}

// agree reports whether the members ms need the same content.
func agree(ms []Member) bool {
	for _, m := range ms {
		if m.SHA256 != ms[0].SHA256 {
			return false
		}
	}
	return true
}

// needs reports whether a member of ms needs the content sum.
func needs(ms []Member, sum string) bool {
	for _, m := range ms {
		if m.SHA256 == sum {
			return true
		}
	}
	return false
}

// Find returns the member of abi in ms, nil when there is none.
func Find(ms []Member, abi string) *Member {
	for i := range ms {
		if ms[i].ABI == abi {
			return &ms[i]
		}
	}
	return nil
}
