package linker

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// object is what is at one path.
type object struct {
	k      kind
	target string // of a link
	owner  string // at a shared path: the ABI the tool's link serves
}

// managed is a path the tool manages, a link in a headers tree or a shared path in a
// linux-kbuild tree, and what is there now: at the path itself, at its temporary name
// and at its backup names. Headers links and shared links are planned from it alike.
type managed struct {
	path               string
	at, temp           object
	backup, backupTemp kind
}

// inspect returns what is at the managed path p and next to it. A link at p, or at its
// temporary name, is the tool's (ours) when its target is want; at a shared path (want
// "") when kbuild.Owner names the ABI it serves.
func (h *held) inspect(p, want string) (managed, error) {
	m := managed{path: p}
	var err error
	if m.at, err = h.object(p, p, want); err != nil {
		return m, err
	}
	if m.temp, err = h.object(p+layout.TempSuffix, p, want); err != nil {
		return m, err
	}
	if m.backup, _, err = h.lstat(p+layout.BackupSuffix, ""); err != nil {
		return m, err
	}
	m.backupTemp, _, err = h.lstat(p+layout.BackupTempSuffix, "")
	return m, err
}

// object returns what is at name, a name of the managed path p.
func (h *held) object(name, p, want string) (object, error) {
	k, t, err := h.lstat(name, want)
	o := object{k: k, target: t}
	if err == nil && want == "" && k == foreignLink {
		if a, _, ok := kbuild.Owner(p, t); ok {
			o.k, o.owner = ours, a
		}
	}
	return o, err
}

// serves reports whether the tool's link at m, or at its temporary name, serves abi.
func (m managed) serves(abi string) bool { return m.at.owner == abi || m.temp.owner == abi }

// claimed reports whether a link of the tool that serves an ABI is at m or its
// temporary name.
func (m managed) claimed() bool { return m.at.owner != "" || m.temp.owner != "" }

// hasBackup reports whether anything is at either backup name of m.
func (m managed) hasBackup() bool { return m.backup != absent || m.backupTemp != absent }

// backedUp reports whether m has a complete backup of the tool, given whether a record
// says so, and plans the removal of an incomplete copy.
func (s *planner) backedUp(m managed, recorded bool, rel string) bool {
	if !recorded {
		return false
	}
	if m.backupTemp != absent {
		s.removed[m.path+layout.BackupTempSuffix] = true
		s.p.add(Action{Op: OpClean, Path: m.path + layout.BackupTempSuffix, rel: rel})
	}
	return m.backup != absent
}

// cleanTemp plans the removal of the tool's leftover at m's temporary name, if any.
func (s *planner) cleanTemp(m managed, rel string) {
	if m.temp.k == ours {
		s.p.stale++
		s.removed[m.path+layout.TempSuffix] = true
		s.p.add(Action{Op: OpClean, Path: m.path + layout.TempSuffix, rel: rel})
	}
}

// inTheWay plans for a foreign object at m, where the link to t for artifact rel
// belongs; backedUp: a backup is recorded and present. claim records the link and its
// backup as the tool's before either is made.
func (s *planner) inTheWay(m managed, t, rel string, backedUp bool, claim func()) error {
	p, l, k := s.p, m.path, m.at.k
	what := k.String()
	if k == foreignLink {
		what = fmt.Sprintf("a symbolic link not made by linux-librust (-> %s)", m.at.target)
	}
	// A backup recorded and identical to the object in place: the copy finished before
	// an interruption; replace the object now.
	if backedUp && k != directory {
		same, err := s.same(l, l+layout.BackupSuffix)
		if err != nil {
			return err
		}
		if same {
			claim()
			p.add(Action{Op: OpLink, Path: l, Target: t, Replace: true, rel: rel})
			return nil
		}
	}
	if !s.e.Force || k == special {
		hint := "; use --force to move it aside"
		if k == special {
			hint = "; move it away"
		}
		p.problem(ProblemConflict, l, "conflict: %s is %s; %s not linked%s", l, what, rel, hint)
		return nil
	}
	if m.backup != absent {
		p.problem(ProblemBackupExists, l+layout.BackupSuffix, "conflict: %s is %s; --force cannot move it aside: %s exists", l, what, l+layout.BackupSuffix)
		return nil
	}
	claim()
	p.add(Action{Op: OpBackup, Path: l, dir: k == directory, rel: rel})
	// A file or link is copied, so the link replaces it in one rename; a directory is
	// moved, and the path is missing until the link is in place.
	p.add(Action{Op: OpLink, Path: l, Target: t, Replace: k != directory, rel: rel})
	return nil
}

// undo plans taking back what the tool did at m: removing its link and, when backedUp,
// putting the backup back. unlink is the removal of the link (its rel or want set). It
// reports whether a foreign object now in the backup's way blocks it (a problem).
func (s *planner) undo(m managed, backedUp bool, unlink Action) (blocked bool, err error) {
	p, l, k := s.p, m.path, m.at.k
	unlink.Op, unlink.Path = OpUnlink, l
	if k == ours {
		p.stale++
	}
	if !backedUp {
		if k == ours {
			s.removed[l] = true
			p.add(unlink)
		}
		return false, nil
	}
	bak := l + layout.BackupSuffix
	switch k {
	case ours, absent:
		if k == ours && m.backup == directory {
			// rename(2) cannot put a directory over a link: remove the link first.
			p.add(unlink)
		}
		s.removed[bak] = true
		p.add(Action{Op: OpRestore, Path: l, Replace: k == ours && m.backup != directory, dir: m.backup == directory, rel: unlink.rel})
		return false, nil
	}
	// The object in place is foreign. Identical to the backup: the backup was copied
	// but the link never replaced it, so the copy is redundant.
	if same, err := s.same(l, bak); err != nil || same {
		if same {
			s.removed[bak] = true
			p.add(Action{Op: OpClean, Path: bak, rel: unlink.rel})
		}
		return false, err
	}
	p.problem(ProblemRestoreBlocked, l, "cannot restore %s from %s: %s is now %s not made by linux-librust; move one of them away and rerun",
		l, bak, l, k)
	return true, nil
}

// same reports whether a and b are both regular files with the same content, or both
// links with the same target.
func (s *planner) same(a, b string) (bool, error) {
	ka, ta, err := s.p.held.lstat(a, "")
	if err != nil {
		return false, err
	}
	kb, tb, err := s.p.held.lstat(b, "")
	if err != nil {
		return false, err
	}
	if ka != kb {
		return false, nil
	}
	switch ka {
	case foreignLink:
		return ta == tb, nil
	case regular:
		da, err := readSmall(s.p.held, a)
		if err != nil {
			return false, err
		}
		db, err := readSmall(s.p.held, b)
		if err != nil {
			return false, err
		}
		return da != nil && db != nil && bytes.Equal(da, db), nil
	}
	return false, nil
}

// readSmall reads a file of at most 64 MiB; nil when larger.
func readSmall(h *held, p string) ([]byte, error) {
	d, base, err := h.at(p)
	if err == nil {
		var data []byte
		data, err = rootfs.ReadFileIn(d, base, 64<<20)
		if errors.Is(err, rootfs.ErrTooLarge) {
			return nil, nil
		}
		if err == nil {
			return data, nil
		}
	}
	return nil, fmt.Errorf("read %s: %w", p, err)
}
