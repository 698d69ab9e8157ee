package linker

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
)

// Shared artifacts. Debian's headers tree has scripts -> ../../lib/linux-kbuild-<ver>/scripts,
// a tree that every flavour of the version shares (layout.KbuildPattern, one package,
// Multi-Arch: foreign). An artifact below such a link, scripts/target.json, has one
// place for all flavours: the tool makes that place (the "shared path",
// /usr/lib/linux-kbuild-<ver>/scripts/target.json) a relative link into one ABI's
// artifacts tree. Its candidates, the members, are the ABIs whose headers are
// installed and reach the shared path, and whose manifest lists an artifact there that
// is a regular file. All members' SHA-256 agree: the link points into the lexically
// first member, so a second run writes nothing and the link moves only when that ABI
// goes. They disagree: no link, and every member reports ProblemSharedConflict.
//
// A link at the shared path is the tool's when its target is exactly the relative path
// from its directory to <artifacts of X>/P for a valid ABI X and an artifact path P
// ending in the link's own name (SharedOwner): the target says which ABI it serves.
// The record of X lists the shared path ("shared") before the link is made to point
// into X, and keeps it while it may; a re-point writes the new ABI's record first. So
// after a crash every object at the shared path is covered by the record of the ABI its
// target names, and a foreign object moved aside by --force by a "shared-backup" entry.
//
// The tool never creates directories in the kbuild tree. When the kbuild package is
// gone (its tree holds nothing but the way to the shared path), the link goes, and so
// do the directories dpkg had to leave because of it.

// member is an ABI that may serve a shared path.
type member struct {
	abi, rel, sum string
}

// linkFS is what resolving links needs.
type linkFS interface {
	LstatIfPossible(string) (os.FileInfo, bool, error)
	ReadlinkIfPossible(string) (string, error)
}

// maxHops bounds the links followed by Resolve, as the kernel's 40.
const maxHops = 40

// Resolve returns the absolute path p with every symbolic link in it resolved inside
// the root: ".." at the root stays there, an absolute target starts again at the root.
// It fails when a component is missing (fs.ErrNotExist) or on a loop (syscall.ELOOP).
func Resolve(fsys linkFS, p string) (string, error) {
	queue := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
	cur, hops := "/", 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		fi, err := lstat(fsys, next)
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if hops++; hops > maxHops {
			return "", fmt.Errorf("resolve %s: %w", p, syscall.ELOOP)
		}
		t, err := fsys.ReadlinkIfPossible(next)
		if err != nil {
			return "", err
		}
		if path.IsAbs(t) {
			cur = "/"
		}
		queue = append(strings.Split(t, "/"), queue...)
	}
	return cur, nil
}

// KbuildDir returns the linux-kbuild tree (layout.KbuildPattern) that holds the clean
// absolute path p, or "" when there is none.
func KbuildDir(p string) string {
	for i := 1; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			if layout.ABIFromPath(layout.KbuildPattern, p[:i]) != "" {
				return p[:i]
			}
		}
	}
	return ""
}

// sharedTarget is the target of the link at the shared path sp into artifact rel of abi.
func sharedTarget(sp, abi, rel string) string {
	return relPath(path.Dir(sp), path.Join(layout.Artifacts(abi), rel))
}

// SharedOwner returns the ABI and the artifact path that a link at sp with target t
// serves, when the link is linux-librust's (see the comment above).
func SharedOwner(sp, t string) (abi, rel string, ok bool) {
	if t == "" || path.IsAbs(t) {
		return "", "", false
	}
	to := path.Join(path.Dir(sp), t)
	for i := 1; i < len(to); i++ {
		if to[i] != '/' {
			continue
		}
		a := layout.ABIFromPath(layout.ArtifactsPattern, to[:i])
		if a == "" {
			continue
		}
		r := to[i+1:]
		if manifest.CheckPath(r) == nil && path.Base(r) == path.Base(sp) && sharedTarget(sp, a, r) == t {
			return a, r, true
		}
	}
	return "", "", false
}

// kbuildLink returns what the link at l resolves to when that is a directory inside a
// linux-kbuild tree, else "".
func (e *Engine) kbuildLink(l string) (string, error) {
	r, err := Resolve(e.FS, l)
	if isAbsent(err) || errors.Is(err, syscall.ELOOP) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", l, err)
	}
	if KbuildDir(r) == "" {
		return "", nil
	}
	if fi, err := lstat(e.FS, r); err != nil || !fi.IsDir() {
		return "", nil
	}
	return r, nil
}

// below returns dir/rest when the directories of rest below dir are real directories.
func (e *Engine) below(dir, rest string) (string, error) {
	comps := strings.Split(rest, "/")
	d := dir
	for _, c := range comps[:len(comps)-1] {
		d = path.Join(d, c)
		fi, err := lstat(e.FS, d)
		if isAbsent(err) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("inspect %s: %w", d, err)
		}
		if !fi.IsDir() {
			return "", nil
		}
	}
	return path.Join(dir, rest), nil
}

// sharedPath returns the shared path of artifact rel of the headers tree h, or "" when
// rel is not below a link into a linux-kbuild tree. dirs caches what was found.
func (e *Engine) sharedPath(h, rel string, dirs map[string]dirInfo) (string, error) {
	comps := strings.Split(rel, "/")
	for i := 1; i < len(comps); i++ {
		d := strings.Join(comps[:i], "/")
		info, ok := dirs[d]
		if !ok {
			k, t, err := e.lstat(path.Join(h, d), "")
			if err != nil {
				return "", err
			}
			info = dirInfo{k: k, target: t}
			if k == foreignLink {
				if info.kbuild, err = e.kbuildLink(path.Join(h, d)); err != nil {
					return "", err
				}
			}
			dirs[d] = info
		}
		switch {
		case info.k == directory:
		case info.kbuild != "":
			return e.below(info.kbuild, strings.Join(comps[i:], "/"))
		default:
			return "", nil
		}
	}
	return "", nil
}

// reaches returns the shared path that rest has below abi's headers tree ("" for none),
// remembered while a memo is set.
func (e *Engine) reaches(abi, rest string) (string, error) {
	key := [2]string{abi, rest}
	if e.memo != nil {
		if sp, ok := e.memo.shared[key]; ok {
			return sp, nil
		}
	}
	sp, err := e.sharedPath(layout.Headers(abi), rest, map[string]dirInfo{})
	if err == nil && e.memo != nil {
		e.memo.shared[key] = sp
	}
	return sp, err
}

// members returns, sorted by ABI, the members of the shared path sp but except.
func (e *Engine) members(sp, except string) ([]member, error) {
	abis, err := e.ABIs()
	if err != nil {
		return nil, err
	}
	// A flavour reaches sp through the same path below its headers tree as sp has below
	// the kbuild tree (Debian: scripts -> ../../lib/linux-kbuild-<ver>/scripts). Checking
	// that first costs a few lookups per kernel; only the flavours that pass have their
	// manifests read.
	rest := strings.TrimPrefix(sp, KbuildDir(sp)+"/")
	var out []member
	for _, y := range abis {
		if y == except {
			continue
		}
		if p, err := e.reaches(y, rest); err != nil {
			return nil, err
		} else if p != sp {
			continue
		}
		h, a := layout.Headers(y), layout.Artifacts(y)
		if fi, err := lstat(e.FS, h); err != nil || !fi.IsDir() {
			continue
		}
		ok, err := e.exists(path.Join(h, "Makefile"))
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if ok, err = e.exists(path.Join(a, layout.ManifestName)); err != nil {
			return nil, err
		} else if !ok {
			continue
		}
		m, err := e.readManifest(y)
		if err != nil {
			continue // its own plan reports it
		}
		dirs := map[string]dirInfo{}
		for _, art := range m.Artifacts {
			p, err := e.sharedPath(h, art.Path, dirs)
			if err != nil {
				return nil, err
			}
			if p != sp {
				continue
			}
			if ok, err := e.artifactOK(a, art.Path); err != nil {
				return nil, err
			} else if ok {
				out = append(out, member{abi: y, rel: art.Path, sum: art.SHA256})
			}
			break
		}
	}
	return out, nil
}

// kbuildGone reports whether the kbuild tree of sp holds nothing but the directories on
// the way to sp and the tool's objects at sp: its package was removed, and dpkg left
// the directories only because of them.
func (e *Engine) kbuildGone(sp string) (bool, error) {
	kb := KbuildDir(sp)
	allowed := map[string]bool{}
	for _, n := range []string{sp, sp + TempSuffix, sp + BackupSuffix, sp + BackupTempSuffix} {
		allowed[n] = true
	}
	for d := path.Dir(sp); ; d = path.Dir(d) {
		fi, err := lstat(e.FS, d)
		switch {
		case isAbsent(err) && d != kb && d != "/":
			allowed = map[string]bool{d: true} // removed by an interrupted run
			continue
		case isAbsent(err):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("inspect %s: %w", d, err)
		case !fi.IsDir():
			return false, nil
		}
		only, err := e.holdsOnly(d, allowed)
		if err != nil || !only {
			return false, err
		}
		if d == kb || d == "/" {
			return d == kb, nil
		}
		allowed = map[string]bool{d: true}
	}
}

// holdsOnly reports whether the directory dir exists and holds only names in allowed;
// it stops reading at the first other name.
func (e *Engine) holdsOnly(dir string, allowed map[string]bool) (bool, error) {
	if fi, err := lstat(e.FS, dir); isAbsent(err) || err == nil && !fi.IsDir() {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("inspect %s: %w", dir, err)
	}
	f, err := e.FS.Open(dir)
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

// serves reports whether the link at sp, or its temporary name, is the tool's and
// serves abi; any: whether either is the tool's at all.
func (e *Engine) serves(sp, abi string) (mine, any bool, err error) {
	for _, n := range []string{sp, sp + TempSuffix} {
		k, t, err := e.lstat(n, "")
		if err != nil {
			return false, false, err
		}
		if k != foreignLink {
			continue
		}
		if a, _, ok := SharedOwner(sp, t); ok {
			any = true
			mine = mine || a == abi
		}
	}
	return mine, any, nil
}

// recState is a record a plan reads and extends.
type recState struct {
	abi         string
	old, intent record
}

// rec returns the record of abi for this plan, reading another ABI's once.
func (s *planner) rec(abi string) (*recState, error) {
	p := s.p
	if abi == p.abi {
		return &recState{abi: abi, old: p.old, intent: p.intent}, nil
	}
	if r, ok := p.others[abi]; ok {
		return r, nil
	}
	old, err := readRecord(s.e.FS, abi)
	if err != nil {
		return nil, err
	}
	r := &recState{abi: abi, old: old, intent: record{}}
	if p.others == nil {
		p.others = map[string]*recState{}
	}
	p.others[abi] = r
	return r, nil
}

// sharedPaths returns the shared paths this plan looks after: found through the
// headers tree, or listed in the record.
func (p *plan) sharedPaths() []string {
	set := map[string]bool{}
	for sp := range p.shared {
		set[sp] = true
	}
	for en := range p.old {
		if !en.headersEntry() {
			set["/"+en.path] = true
		}
	}
	list := make([]string, 0, len(set))
	for sp := range set {
		list = append(list, sp)
	}
	sort.Strings(list)
	return list
}

// planShared plans the shared path sp: see the comment at the top of the file.
func (s *planner) planShared(sp string, md mode) error {
	p, e := s.p, s.e
	if KbuildDir(sp) == "" {
		return nil // a damaged record names another place: never touched
	}
	key := strings.TrimPrefix(sp, "/")
	except := ""
	if md == modeUnlink {
		except = p.abi
	}
	gone, err := e.kbuildGone(sp)
	if err != nil {
		return err
	}
	var ms []member
	if !gone {
		if ms, err = e.members(sp, except); err != nil {
			return err
		}
	}
	var mine *member
	for i := range ms {
		if ms[i].abi == p.abi {
			mine = &ms[i]
		}
	}

	k, cur, err := e.lstat(sp, "")
	if err != nil {
		return err
	}
	owner := ""
	if k == foreignLink {
		if a, _, ok := SharedOwner(sp, cur); ok {
			k, owner = ours, a
		}
	}
	tk, tcur, err := e.lstat(sp+TempSuffix, "")
	if err != nil {
		return err
	}
	towner := ""
	if tk == foreignLink {
		if a, _, ok := SharedOwner(sp, tcur); ok {
			tk, towner = ours, a
		}
	}
	// The foreign object --force moved aside, when a record that may cover it says so.
	backupRecorded := false
	for _, a := range []string{p.abi, owner, towner} {
		if a == "" {
			continue
		}
		r, err := s.rec(a)
		if err != nil {
			return err
		}
		backupRecorded = backupRecorded || r.old.has(entrySharedBackup, key)
	}
	bk, _, err := e.lstat(sp+BackupSuffix, "")
	if err != nil {
		return err
	}
	backedUp := backupRecorded && bk != absent

	// Leftovers of an interrupted run go in every mode: the lock is held, so no run
	// is using them.
	if tk == ours {
		p.stale++
		s.removed[sp+TempSuffix] = true
		p.add(Action{Op: OpClean, Path: sp + TempSuffix})
	}
	if backupRecorded {
		if btk, _, err := e.lstat(sp+BackupTempSuffix, ""); err != nil {
			return err
		} else if btk != absent {
			s.removed[sp+BackupTempSuffix] = true
			p.add(Action{Op: OpClean, Path: sp + BackupTempSuffix})
		}
	}
	if md == modeUnlink {
		switch {
		case owner == p.abi: // re-point or remove, below
		case owner == "" && backedUp:
			// An interrupted link --force: the backup is put back, or dropped when
			// identical to what is in place.
			return s.unlinkShared(sp, key, k, cur, bk, backedUp, gone)
		default:
			return nil // the shared path does not serve this ABI
		}
	}

	agree := len(ms) > 0
	for _, m := range ms {
		agree = agree && m.sum == ms[0].sum
	}
	if !agree && len(ms) > 1 && mine != nil {
		p.problem(ProblemSharedConflict, sp, "%s", conflictMessage(sp, ms))
	}
	if agree {
		return s.linkShared(sp, key, ms, mine, k, cur, owner, bk, backedUp, tk != absent && tk != ours)
	}
	return s.unlinkShared(sp, key, k, cur, bk, backedUp, gone)
}

// conflictMessage says which members need different files at sp.
func conflictMessage(sp string, ms []member) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = fmt.Sprintf("%s (sha256 %s)", m.abi, m.sum)
	}
	return fmt.Sprintf("the flavours %s of %s need different %s; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
		strings.Join(parts, ", "), path.Base(KbuildDir(sp)), ms[0].rel, sp)
}

func isMember(ms []member, abi string) bool {
	for _, m := range ms {
		if m.abi == abi {
			return true
		}
	}
	return false
}

// linkShared plans the link at sp into the first member; the members agree.
func (s *planner) linkShared(sp, key string, ms []member, mine *member, k kind, cur, owner string, bk kind, backedUp, tempForeign bool) error {
	p := s.p
	want := ms[0]
	t := sharedTarget(sp, want.abi, want.rel)
	w, err := s.rec(want.abi)
	if err != nil {
		return err
	}
	claim := func(backup bool) {
		w.intent[entry{entryShared, key}] = true
		if backup {
			w.intent[entry{entrySharedBackup, key}] = true
		}
	}
	switch k {
	case ours:
		if mine != nil && isMember(ms, owner) {
			p.linked++ // the members agree: it opens an identical file
		}
		claim(backedUp)
		if cur != t {
			// Re-point in one rename; the new ABI's record comes first.
			p.add(Action{Op: OpLink, Path: sp, Target: t, Replace: true, rel: want.rel})
		}
		return nil
	case absent:
		claim(backedUp)
		p.add(Action{Op: OpLink, Path: sp, Target: t, rel: want.rel})
		return nil
	}
	if mine == nil {
		return nil // not this ABI's to report or force
	}
	if tempForeign {
		p.problem(ProblemConflict, sp+TempSuffix, "%s is not made by linux-librust; %s not linked; move it away", sp+TempSuffix, mine.rel)
		return nil
	}
	return s.inTheWay(sp, t, mine.rel, k, cur, backedUp, bk, func() { claim(true) })
}

// unlinkShared plans the removal of the tool's link at sp (restoring a backup), and of
// the kbuild directories left only because of it.
func (s *planner) unlinkShared(sp, key string, k kind, cur string, bk kind, backedUp, gone bool) error {
	p := s.p
	switch {
	case k == ours:
		p.stale++
		if backedUp {
			if bk == directory {
				p.add(Action{Op: OpUnlink, Path: sp, want: cur})
			}
			s.removed[sp+BackupSuffix] = true
			p.add(Action{Op: OpRestore, Path: sp, Replace: bk != directory, dir: bk == directory})
		} else {
			s.removed[sp] = true
			p.add(Action{Op: OpUnlink, Path: sp, want: cur})
		}
	case backedUp && k == absent:
		s.removed[sp+BackupSuffix] = true
		p.add(Action{Op: OpRestore, Path: sp, dir: bk == directory})
	case backedUp:
		same, err := s.same(sp, sp+BackupSuffix)
		if err != nil {
			return err
		}
		if same {
			s.removed[sp+BackupSuffix] = true
			p.add(Action{Op: OpClean, Path: sp + BackupSuffix})
		} else {
			p.problem(ProblemRestoreBlocked, sp, "cannot restore %s from %s: %s is now %s not made by linux-librust; move one of them away and rerun",
				sp, sp+BackupSuffix, sp, k)
		}
	}
	if !gone {
		return nil
	}
	// All or nothing: the directories from the link's up to the kbuild tree, once empty.
	kb := KbuildDir(sp)
	var dirs []string
	for d := path.Dir(sp); ; d = path.Dir(d) {
		if _, err := lstat(s.e.FS, d); isAbsent(err) && d != kb {
			continue // removed by an interrupted run
		}
		empty, err := s.emptyAfter(d)
		if err != nil || !empty {
			for _, r := range dirs {
				delete(s.removed, r)
			}
			return err
		}
		s.removed[d] = true
		dirs = append(dirs, d)
		if d == kb {
			break
		}
	}
	for _, d := range dirs {
		p.add(Action{Op: OpRmdir, Path: d})
	}
	return nil
}

// SharedMember is an ABI whose headers reach a shared path and whose manifest lists an
// artifact there.
type SharedMember struct {
	ABI    string
	Path   string // the artifact path in its manifest
	SHA256 string // from its manifest
}

// Shared returns the shared path of artifact rel of abi's headers tree, "" when rel is
// not below a link into a linux-kbuild tree, and the members of that path sorted by
// ABI (none when the kbuild package is gone). It changes nothing and takes no lock.
func (e *Engine) Shared(abi, rel string) (string, []SharedMember, error) {
	if err := layout.ValidateABI(abi); err != nil {
		return "", nil, err
	}
	sp, err := e.sharedPath(layout.Headers(abi), rel, map[string]dirInfo{})
	if err != nil || sp == "" {
		return "", nil, err
	}
	if gone, err := e.kbuildGone(sp); err != nil || gone {
		return sp, nil, err
	}
	ms, err := e.members(sp, "")
	if err != nil {
		return "", nil, err
	}
	out := make([]SharedMember, len(ms))
	for i, m := range ms {
		out[i] = SharedMember{ABI: m.abi, Path: m.rel, SHA256: m.sum}
	}
	return sp, out, nil
}
