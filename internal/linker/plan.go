package linker

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/state"
)

// plan is what one command will do for one ABI.
type plan struct {
	abi                string
	headers, artifacts string
	headersID          *[2]uint64 // device and inode of the headers directory the plan inspected
	headersPresent     bool
	artifactsPresent   bool
	nothing            string          // why there is nothing to do, when there is not
	frozen             bool            // leave the record alone: the tree is not understood
	recordTemp         bool            // an interrupted run left a temporary record
	support            map[string]bool // artifacts of manifest.KindSupport: linked only where absent
	actions            []Action
	problems           []Problem
	old                state.Record         // the record as read
	intent             state.Record         // entries to add before acting (intent precedes change)
	shared             map[string]bool      // shared paths of this ABI's artifacts (shared.go); true: linkOne needs it
	others             map[string]*recState // records of other ABIs a shared link concerns
	held               *held                // the directories the plan inspects

	// counts for Status
	artifactCount, linked, conflicts, stale int
}

func (p *plan) problem(kind, at, format string, args ...any) {
	p.problems = append(p.problems, Problem{Kind: kind, Path: at, Message: fmt.Sprintf(format, args...)})
	p.conflicts++
}

func (p *plan) add(a Action) { p.actions = append(p.actions, a) }

func (p *plan) addShared(sp string, needed bool) {
	if p.shared == nil {
		p.shared = map[string]bool{}
	}
	p.shared[sp] = p.shared[sp] || needed
}

// kind of object found at a path.
type kind int

const (
	absent      kind = iota
	ours             // a link whose target is exactly the expected one
	foreignLink      // any other link
	regular
	directory
	special // fifo, socket, device
)

func (k kind) String() string {
	return [...]string{"nothing", "a link of linux-librust", "a symbolic link", "a regular file", "a directory", "a special file"}[k]
}

// lstatIn is lstat of the name base in d.
func lstatIn(d rootfs.Dir, base, want string) (kind, string, error) {
	fi, err := d.Lstat(base)
	return classify(fi, err, want, func() (string, error) { return d.Readlink(base) })
}

// classify returns the kind of the object whose Lstat gave fi and err; readlink reads
// its target when it is a link.
func classify(fi fs.FileInfo, err error, want string, readlink func() (string, error)) (kind, string, error) {
	if isAbsent(err) {
		return absent, "", nil
	}
	if err != nil {
		return absent, "", fmt.Errorf("inspect: %w", err)
	}
	switch fi.Mode().Type() {
	case fs.ModeSymlink:
		t, err := readlink()
		if err != nil {
			return absent, "", fmt.Errorf("read link: %w", err)
		}
		if want != "" && t == want {
			return ours, t, nil
		}
		return foreignLink, t, nil
	case 0:
		return regular, "", nil
	case fs.ModeDir:
		return directory, "", nil
	default:
		return special, "", nil
	}
}

// errLinkOnTheWay is matched by the error of Engine.at when a directory on the way is a
// symbolic link: the plan never goes through one, so something changed it meanwhile.
var errLinkOnTheWay = errors.New("a directory on the way is a symbolic link now; it changed while linux-librust ran: rerun once nothing else changes it")

// at opens the directory of the absolute path p, refusing a symbolic link anywhere on
// the way (errLinkOnTheWay), and returns it with p's last element.
func (e *Engine) at(p string) (rootfs.Dir, string, error) {
	d, err := openFree(e.FS, path.Dir(p))
	if err != nil {
		return nil, "", err
	}
	return d, path.Base(p), nil
}

// openFree opens the directory dir refusing a symbolic link anywhere on the way
// (errLinkOnTheWay).
func openFree(fsys rootfs.FS, dir string) (rootfs.Dir, error) {
	d, err := fsys.OpenDir(dir)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("%s: %w (%w)", dir, errLinkOnTheWay, err)
	}
	return d, err
}

// errNotDir: a path component is not a directory, so the path does not exist.
var errNotDir = syscall.ENOTDIR

// parents is the state of the directories on the way to <headers>/P.
type parents struct {
	missing []string // relative directories to create, outermost first
	problem *Problem
	shared  string // P lives at this shared path in a linux-kbuild tree (shared.go)
}

// plan computes the actions of md for abi from what is on disk. The caller closes
// p.held once done with the plan.
func (e *Engine) plan(c *command, abi string) (*plan, error) {
	h := newHeld(e.FS)
	p, err := e.planWith(c, abi, h)
	if err != nil {
		h.forget()
	}
	return p, err
}

func (e *Engine) planWith(c *command, abi string, h *held) (*plan, error) {
	md, v := c.md, c.view
	if v == nil {
		v = kbuild.NewView(e.FS)
	}
	if err := layout.ValidateABI(abi); err != nil {
		return nil, err
	}
	p := &plan{abi: abi, headers: layout.Headers(abi), artifacts: layout.Artifacts(abi), held: h}
	// Directories above the headers tree that are links inside the root are followed, as
	// dpkg follows them; the plan works on the tree where it is.
	hd, err := layout.HeadersDir(e.FS, abi)
	var hpe *layout.HeadersPathError
	if errors.As(err, &hpe) {
		p.problem(ProblemHeadersPath, hpe.Link, "%v", hpe)
		p.frozen = true
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	p.headers = hd
	if p.headersID, err = dirID(h, hd); err != nil && !errors.Is(err, syscall.ELOOP) && !errors.Is(err, syscall.ENOTDIR) {
		return nil, fmt.Errorf("inspect %s: %w", hd, err)
	}
	if p.headersPresent, err = e.exists(path.Join(p.headers, "Makefile")); err != nil {
		return nil, err
	}
	if p.artifactsPresent, err = e.exists(path.Join(p.artifacts, layout.ManifestName)); err != nil {
		return nil, err
	}
	if md == modeLink && (!p.headersPresent || !p.artifactsPresent) {
		switch {
		case !p.headersPresent && !p.artifactsPresent:
			p.nothing = fmt.Sprintf("neither %s nor %s is installed", p.headers, p.artifacts)
		case !p.headersPresent:
			p.nothing = fmt.Sprintf("%s is not installed (no Makefile)", p.headers)
		default:
			p.nothing = fmt.Sprintf("%s is not installed (no %s)", p.artifacts, layout.ManifestName)
		}
		p.frozen = true
		return p, nil
	}
	// The manifest is read first so that status counts artifacts in every case; it is
	// needed, and its errors matter, only to link.
	var m *manifest.Manifest
	var manifestErr error
	if p.artifactsPresent {
		if m, manifestErr = v.Manifest(abi); manifestErr == nil {
			p.artifactCount = len(m.Artifacts)
			v.LookAtArtifacts(abi) // each is asked of (ArtifactOK)
		}
	}
	if h, ok := debarch.Host(); ok && c.isStatus() && m != nil {
		if msg, bad := machineProblem(m, h); bad {
			p.problem(ProblemMachine, path.Join(p.artifacts, layout.ManifestName), "%s", msg)
		}
	}

	if p.old, err = state.Read(e.FS, abi); err != nil {
		var dr *state.DamagedError
		if errors.As(err, &dr) {
			// Without the record ownership is not decidable: change nothing here.
			p.problem(ProblemStateRecord, dr.Path, "%v", dr)
			p.frozen = true
			return p, nil
		}
		return nil, err
	}
	p.intent = state.Record{}
	if p.recordTemp, err = e.exists(state.TempPath(abi)); err != nil {
		return nil, err
	}

	// The links are relative and go up through the headers tree: it must be a real
	// directory (those above it are, HeadersDir resolved them), or the targets would
	// resolve elsewhere.
	if fi, err := e.FS.Lstat(p.headers); isAbsent(err) {
		if md != modeLink {
			// Nothing of the tool's can exist in it; the record is pruned. A shared
			// link in a kbuild tree may still serve this ABI.
			s := &planner{e: e, c: c, v: v, p: p, dirs: map[string]dirInfo{}, removed: map[string]bool{}, made: map[string]bool{}}
			if err := s.planAllShared(md); err != nil {
				return nil, err
			}
			if len(p.actions) == 0 {
				p.nothing = fmt.Sprintf("%s does not exist", p.headers)
			}
			return p, nil
		}
	} else if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", p.headers, err)
	} else if !fi.IsDir() {
		p.problem(ProblemHeadersPath, p.headers, "%s is %s, not a directory; linux-librust leaves it alone: make it a directory", p.headers, rootfs.DescribeType(fi.Mode().Type()))
		p.frozen = true
		return p, nil
	}

	if manifestErr != nil {
		if p.headersPresent && md != modeUnlink {
			// Without a manifest the set of links is unknown: change nothing.
			p.problem(ProblemManifest, path.Join(p.artifacts, layout.ManifestName), "%v", manifestErr)
			p.frozen = true
			return p, nil
		}
		e.event(logger.Warn, logger.KindLink, abi, "", false, "%v", manifestErr)
	}

	want := map[string]bool{}
	if md != modeUnlink && p.headersPresent && m != nil {
		for _, a := range m.Artifacts {
			want[a.Path] = true
			if a.Kind == manifest.KindSupport {
				if p.support == nil {
					p.support = map[string]bool{}
				}
				p.support[a.Path] = true
			}
		}
	}
	cands := map[string]bool{}
	if m != nil {
		for _, a := range m.Artifacts {
			cands[a.Path] = true
		}
	}
	for e := range p.old {
		if e.Kind == state.Link || e.Kind == state.Backup {
			cands[e.Path] = true
		}
	}
	paths := make([]string, 0, len(cands))
	for c := range cands {
		paths = append(paths, c)
	}
	sort.Strings(paths)

	s := &planner{e: e, c: c, v: v, p: p, dirs: map[string]dirInfo{}, removed: map[string]bool{}, made: map[string]bool{}}
	for _, rel := range paths {
		if want[rel] {
			if err := s.linkOne(rel); err != nil {
				return nil, err
			}
		} else if err := s.unlinkOne(rel); err != nil {
			return nil, err
		}
	}
	if err := s.planDirs(md); err != nil {
		return nil, err
	}
	if err := s.planAllShared(md); err != nil {
		return nil, err
	}
	return p, nil
}

// planAllShared plans every shared path of the plan. A damaged record of another
// ABI that a shared path concerns leaves that path alone and is a problem here too.
func (s *planner) planAllShared(md mode) error {
	for _, sp := range s.p.sharedPaths() {
		err := s.planShared(sp, md)
		var dr *state.DamagedError
		if errors.As(err, &dr) {
			s.p.problem(ProblemStateRecord, dr.Path, "%s not changed: %v", sp, dr)
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// exists reports whether anything, a link included, is at p; a path through a
// non-directory does not exist.
func (e *Engine) exists(p string) (bool, error) {
	_, err := e.FS.Lstat(p)
	if isAbsent(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", p, err)
	}
	return true, nil
}

type dirInfo struct {
	k      kind
	target string
	kbuild string // a link resolving to this directory of a linux-kbuild tree
}

// planner holds what planning has learnt about one headers tree.
type planner struct {
	e       *Engine
	c       *command
	v       *kbuild.View
	p       *plan
	dirs    map[string]dirInfo // relative directory → what is there
	made    map[string]bool    // relative directories the plan creates
	removed map[string]bool    // absolute paths the plan removes or moves away
	needed  map[string]bool    // relative directories that hold a wanted link
}

func (s *planner) abs(rel string) string { return path.Join(s.p.headers, rel) }

// walk inspects the directories on the way to rel inside the headers tree.
func (s *planner) walk(rel string) (parents, error) {
	var ps parents
	comps := strings.Split(rel, "/")
	for i := 1; i < len(comps); i++ {
		d := strings.Join(comps[:i], "/")
		info, ok := s.dirs[d]
		if !ok {
			k, t, err := s.p.held.lstat(s.abs(d), "")
			if err != nil {
				return ps, err
			}
			info = dirInfo{k: k, target: t}
			if k == foreignLink {
				if info.kbuild, err = s.v.Link(s.abs(d)); err != nil {
					return ps, err
				}
			}
			s.dirs[d] = info
		}
		switch info.k {
		case directory:
		case absent:
			ps.missing = append(ps.missing, d)
		case foreignLink:
			if info.kbuild != "" {
				// Debian's scripts -> ../../lib/linux-kbuild-<ver>/scripts: the artifact
				// has one place for every flavour (shared.go).
				sp, err := s.v.Below(info.kbuild, strings.Join(comps[i:], "/"))
				if err != nil {
					return ps, err
				}
				if sp != "" {
					ps.shared = sp
					return ps, nil
				}
			}
			// Never write through any other link into another package's tree.
			ps.problem = &Problem{Kind: ProblemSymlinkParent, Path: s.abs(d), Message: fmt.Sprintf(
				"%s is a symlink into another package's tree (-> %s); %s not linked", s.abs(d), info.target, rel)}
			return ps, nil
		default:
			ps.problem = &Problem{Kind: ProblemNotDirectory, Path: s.abs(d), Message: fmt.Sprintf(
				"%s is %s, not a directory; %s not linked", s.abs(d), info.k, rel)}
			return ps, nil
		}
	}
	return ps, nil
}

// linkOne plans the link of artifact rel.
func (s *planner) linkOne(rel string) error {
	p, l, t := s.p, s.abs(rel), target(s.p.headers, s.p.abi, rel)
	ps, err := s.walk(rel)
	if err != nil {
		return err
	}
	if ps.problem != nil {
		p.problem(ps.problem.Kind, ps.problem.Path, "%s", ps.problem.Message)
		return nil
	}
	if ok, err := s.v.ArtifactOK(p.abi, rel); err != nil {
		return err
	} else if !ok {
		p.problem(ProblemArtifact, path.Join(p.artifacts, rel), "%s is missing or not a regular file; %s not linked; reinstall linux-librust-%s",
			path.Join(p.artifacts, rel), rel, p.abi)
		return nil
	}
	if ps.shared != "" {
		p.addShared(ps.shared, true)
		return nil
	}
	s.need(rel)
	if len(ps.missing) > 0 {
		// Everything below a missing directory is missing too: no more look-ups.
		for _, d := range ps.missing {
			if !s.made[d] {
				s.made[d] = true
				p.intent.Add(state.Dir, d)
				p.add(Action{Op: OpMkdir, Path: s.abs(d), rel: d})
			}
		}
		p.intent.Add(state.Link, rel)
		p.add(Action{Op: OpLink, Path: l, Target: t, rel: rel})
		return nil
	}

	m, err := s.p.held.inspect(l, t)
	if err != nil {
		return err
	}
	if m.temp.k != absent && m.temp.k != ours {
		p.problem(ProblemConflict, l+layout.TempSuffix, "%s is %s not made by linux-librust; %s not linked; move it away", l+layout.TempSuffix, m.temp.k, rel)
		return nil
	}
	s.cleanTemp(m, rel)
	backedUp := s.backedUp(m, p.old.Has(state.Backup, rel), rel)
	switch m.at.k {
	case ours:
		p.linked++
		p.intent.Add(state.Link, rel)
		if backedUp {
			p.intent.Add(state.Backup, rel)
		}
		return nil
	case absent:
		if backedUp {
			p.intent.Add(state.Backup, rel)
		}
		p.intent.Add(state.Link, rel)
		p.add(Action{Op: OpLink, Path: l, Target: t, rel: rel})
		return nil
	}
	if p.support[rel] {
		// The headers ship a file of their own there: it serves, no link.
		p.linked++
		return nil
	}
	return s.inTheWay(m, t, rel, backedUp, func() {
		p.intent.Add(state.Backup, rel)
		p.intent.Add(state.Link, rel)
	})
}

// unlinkOne plans the removal of what the tool made for rel.
func (s *planner) unlinkOne(rel string) error {
	p, l, t := s.p, s.abs(rel), target(s.p.headers, s.p.abi, rel)
	ps, err := s.walk(rel)
	if err != nil {
		return err
	}
	if ps.shared != "" {
		p.addShared(ps.shared, false)
		return nil
	}
	if ps.problem != nil || len(ps.missing) > 0 {
		return nil // the tool never writes through a link; nothing can be below a missing directory
	}
	m, err := s.p.held.inspect(l, t)
	if err != nil {
		return err
	}
	s.cleanTemp(m, rel)
	blocked, err := s.undo(m, s.backedUp(m, p.old.Has(state.Backup, rel), rel), Action{rel: rel})
	if blocked {
		p.intent.Add(state.Backup, rel)
	}
	return err
}

func (s *planner) need(rel string) {
	if s.needed == nil {
		s.needed = map[string]bool{}
	}
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		s.needed[d] = true
	}
}

// planDirs keeps the recorded directories that still hold links, plans the removal of the
// others once empty, and, when the headers package is gone, of the directories it left
// only because of the tool's objects, up to the headers directory itself.
func (s *planner) planDirs(md mode) error {
	p := s.p
	cands := map[string]bool{}
	perms := map[string]fs.FileMode{}
	for _, d := range p.old.Paths(state.Dir) {
		// Below a link (someone replaced a directory on the way): not the tool's.
		if fi, err := s.p.held.lstatInfo(s.abs(d)); err == nil && fi.IsDir() {
			cands[d] = true
			perms[d] = fi.Mode().Perm()
		} else if err != nil && !isAbsent(err) && !errors.Is(err, errLinkOnTheWay) {
			return fmt.Errorf("inspect %s: %w", s.abs(d), err)
		}
	}
	// dpkg could not remove the headers directory and the directories above the tool's
	// objects because of them; it would have removed them, empty, otherwise. Only then
	// does the tool remove directories it did not create, and only empty ones.
	inHeaders := 0
	for e := range p.old {
		if e.InHeaders() {
			inHeaders++
		}
	}
	leftovers := md != modeLink && !p.headersPresent && (inHeaders > 0 || len(p.actions) > 0)
	if leftovers {
		for e := range p.old {
			if !e.InHeaders() {
				continue
			}
			for d := path.Dir(e.Path); d != "."; d = path.Dir(d) {
				cands[d] = true
			}
			if e.Kind == state.Dir {
				cands[e.Path] = true
			}
		}
		cands["."] = true
	}
	list := make([]string, 0, len(cands))
	for d := range cands {
		list = append(list, d)
	}
	// Deepest first, so that a parent is judged after its children.
	sort.Slice(list, func(i, j int) bool {
		di, dj := strings.Count(list[i], "/"), strings.Count(list[j], "/")
		if list[i] == "." {
			di = -1
		}
		if list[j] == "." {
			dj = -1
		}
		if di != dj {
			return di > dj
		}
		return list[i] < list[j]
	})
	for _, d := range list {
		recorded := p.old.Has(state.Dir, d)
		if s.needed[d] || s.made[d] {
			if recorded {
				p.intent.Add(state.Dir, d)
				if perm, ok := perms[d]; ok && perm != dirMode {
					// An interruption between mkdir and chmod under a strict umask.
					p.add(Action{Op: OpChmod, Path: s.abs(d), rel: d})
				}
			}
			continue
		}
		abs := s.abs(d)
		if d != "." {
			if info, ok := s.dirs[d]; ok && info.k != directory {
				continue
			}
			if fi, err := s.p.held.lstatInfo(abs); err != nil || !fi.IsDir() {
				continue
			}
		}
		empty, err := s.emptyAfter(abs)
		if err != nil {
			return err
		}
		if !empty {
			if recorded {
				p.intent.Add(state.Dir, d)
			}
			continue
		}
		if d == "." && !leftovers {
			continue
		}
		s.removed[abs] = true
		p.add(Action{Op: OpRmdir, Path: abs, rel: d})
	}
	return nil
}

// emptyAfter reports whether directory dir holds nothing but objects the plan removes.
func (s *planner) emptyAfter(dir string) (bool, error) {
	d, err := s.e.FS.OpenDir(dir)
	if err != nil {
		return false, fmt.Errorf("list %s: %w", dir, err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return false, fmt.Errorf("list %s: %w", dir, err)
	}
	for _, n := range names {
		if !s.removed[path.Join(dir, n)] {
			return false, nil
		}
	}
	return true, nil
}
