package linker

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/state"
)

// Shared artifacts (package kbuild: the shared path, its members, the owner of the
// tool's link there, and the choice of what it serves). The tool makes the shared path
// a relative link into the member kbuild.Choose picks, so a second run writes nothing;
// every member that needs another file reports ProblemSharedConflict and, like any ABI
// with a problem, gets no new link.
//
// The record of X lists the shared path ("shared") before the link is made to point
// into X, and keeps it while it may; a re-point writes the new ABI's record first. So
// after a crash every object at the shared path is covered by the record of the ABI its
// target names, and a foreign object moved aside by --force by a "shared-backup" entry.
//
// The tool never creates directories in the kbuild tree. When the kbuild package is
// gone (its tree holds nothing but the way to the shared path), the link goes, and so
// do the directories dpkg had to leave because of it.

// recState is a record a plan reads and extends.
type recState struct {
	abi         string
	old, intent state.Record
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
	old, err := state.Read(s.e.FS, abi)
	if err != nil {
		return nil, err
	}
	r := &recState{abi: abi, old: old, intent: state.Record{}}
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
		if !en.InHeaders() {
			set["/"+en.Path] = true
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
	p := s.p
	if kbuild.Dir(sp) == "" {
		return nil // a damaged record names another place: never touched
	}
	key := strings.TrimPrefix(sp, "/")
	gone, err := s.v.Gone(sp)
	if err != nil {
		return err
	}
	var ms []kbuild.Member
	if !gone {
		if ms, err = s.v.Members(sp); err != nil {
			return err
		}
		if p.shared[sp] && kbuild.Find(ms, p.abi) == nil {
			// The plan reached sp through its headers tree and needs it there, but the
			// View, looking a moment later, did not: a directory on the way (the headers
			// tree itself) was a link meanwhile.
			p.problem(ProblemSymlinkParent, sp, "%s not linked: %v", sp, errLinkOnTheWay)
			return nil
		}
	}
	m, err := s.p.held.inspect(sp, "")
	if err != nil {
		return err
	}
	// The foreign object --force moved aside, when a record that may cover it says so.
	backupRecorded := false
	for _, a := range []string{p.abi, m.at.owner, m.temp.owner} {
		if a == "" {
			continue
		}
		r, err := s.rec(a)
		if err != nil {
			return err
		}
		backupRecorded = backupRecorded || r.old.Has(state.SharedBackup, key)
	}
	// Leftovers of an interrupted run go in every mode: the lock is held, so no run
	// is using them.
	s.cleanTemp(m, "")
	sh := &sharedState{managed: m, key: key, gone: gone, current: kbuild.Find(ms, m.at.owner),
		backedUp: s.backedUp(m, backupRecorded, "")}
	if md == modeUnlink {
		switch {
		case m.at.owner == p.abi: // re-point or remove, below
		case m.at.owner == "" && sh.backedUp:
			// An interrupted link --force: the backup is put back, or dropped when
			// identical to what is in place.
			return s.unlinkShared(sh)
		default:
			return nil // the shared path does not serve this ABI
		}
	}
	ch := kbuild.Choose(ms, m.at.owner, s.leaving, s.valid)
	sh.choice, sh.mine = ch, kbuild.Find(ch.Serve, p.abi)
	if mine := kbuild.Find(ch.Conflict, p.abi); mine != nil {
		p.problem(ProblemSharedConflict, sp, "%s", conflictMessage(sp, *mine, ch))
	}
	if ch.Into != nil {
		return s.linkShared(sh)
	}
	return s.unlinkShared(sh)
}

// leaving reports whether abi may not serve a shared path that unlink re-points: it is
// unlinked by this command, or was by an earlier one (its record lists no link).
func (s *planner) leaving(abi string) bool {
	if s.c.leaving[abi] {
		return true
	}
	if s.c.md != modeUnlink {
		return false
	}
	r, err := s.rec(abi)
	return err != nil || len(r.old.Paths(state.Link)) == 0
}

// valid reports whether the set of abi passes its own checks (Engine.Check), as far as
// this command knows: status runs no check, and with --force the plan's own ABI passes.
func (s *planner) valid(abi string) bool {
	if s.c.isStatus() || s.e.Check == nil || s.e.Force && abi == s.p.abi {
		return true
	}
	return len(s.e.checkOf(s.c, abi)) == 0
}

// sharedState is what planShared found at a shared path.
type sharedState struct {
	managed
	key      string         // the path relative to the root, as records list it
	backedUp bool           // a backup is recorded and present
	gone     bool           // the kbuild package is gone
	choice   kbuild.Choice  // what the path serves
	current  *kbuild.Member // the member the link serves now, if any
	mine     *kbuild.Member // the plan's ABI among the members served
}

// conflictMessage says why the member mine of the shared path sp is a conflict.
func conflictMessage(sp string, mine kbuild.Member, ch kbuild.Choice) string {
	kb := path.Base(kbuild.Dir(sp))
	if ch.SHA256 != "" {
		served := make([]string, len(ch.Serve))
		for i, m := range ch.Serve {
			served[i] = m.ABI
		}
		return fmt.Sprintf("%s needs another %s (sha256 %s) than the flavours %s of %s (sha256 %s), which %s serves; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
			mine.ABI, mine.Path, mine.SHA256, strings.Join(served, ", "), kb, ch.SHA256, sp, mine.ABI)
	}
	parts := make([]string, len(ch.Conflict))
	for i, m := range ch.Conflict {
		parts[i] = fmt.Sprintf("%s (sha256 %s)", m.ABI, m.SHA256)
	}
	return fmt.Sprintf("the flavours %s of %s need different %s; %s not linked: only flavours that agree can be installed with Rust artifacts at once",
		strings.Join(parts, ", "), kb, mine.Path, sp)
}

// linkShared plans the link at the shared path into the member chosen.
func (s *planner) linkShared(sh *sharedState) error {
	p, sp := s.p, sh.path
	want := *sh.choice.Into
	t := kbuild.Target(sp, want.ABI, want.Path)
	w, err := s.rec(want.ABI)
	if err != nil {
		return err
	}
	claim := func(backup bool) {
		w.intent.Add(state.Shared, sh.key)
		if backup {
			w.intent.Add(state.SharedBackup, sh.key)
		}
	}
	switch sh.at.k {
	case ours:
		if sh.mine != nil && sh.current != nil && sh.current.SHA256 == sh.choice.SHA256 {
			p.linked++ // it opens a file identical to the plan's own
		}
		claim(sh.backedUp)
		if sh.at.target != t {
			// Re-point in one rename; the new ABI's record comes first.
			p.add(Action{Op: OpLink, Path: sp, Target: t, Replace: true, rel: want.Path})
		}
		return nil
	case absent:
		claim(sh.backedUp)
		p.add(Action{Op: OpLink, Path: sp, Target: t, rel: want.Path})
		return nil
	}
	if sh.mine == nil {
		return nil // not this ABI's to report or force
	}
	if sh.mine.Kind == manifest.KindSupport {
		// The kbuild package ships the file itself (a later linux-kbuild that packages
		// the kernel's Rust availability check): the kernel's own file serves, no link.
		p.linked++
		return nil
	}
	if sh.temp.k != absent && sh.temp.k != ours {
		p.problem(ProblemConflict, sp+layout.TempSuffix, "%s is not made by linux-librust; %s not linked; move it away", sp+layout.TempSuffix, sh.mine.Path)
		return nil
	}
	return s.inTheWay(sh.managed, t, sh.mine.Path, sh.backedUp, func() { claim(true) })
}

// unlinkShared plans the removal of the tool's link at the shared path (restoring a
// backup), and of the kbuild directories left only because of it.
func (s *planner) unlinkShared(sh *sharedState) error {
	sp := sh.path
	if _, err := s.undo(sh.managed, sh.backedUp, Action{want: sh.at.target}); err != nil {
		return err
	}
	if !sh.gone {
		return nil
	}
	// All or nothing: the directories from the link's up to the kbuild tree, once empty.
	kb := kbuild.Dir(sp)
	var dirs []string
	for d := path.Dir(sp); ; d = path.Dir(d) {
		if _, err := s.e.FS.Lstat(d); isAbsent(err) && d != kb {
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
		s.p.add(Action{Op: OpRmdir, Path: d})
	}
	return nil
}
