package linker

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/state"
)

// execute carries out a plan. The record first gains the entries of what the plan will
// make (so that after a crash every object of the tool is still known as such), then
// every action runs, then the record is pruned to what is on disk.
//
// A shared link (shared.go) may concern the records of other ABIs too: each is extended
// before and pruned after in the same way, the plan's own first.
func (e *Engine) execute(p *plan) error {
	if p.frozen {
		return nil
	}
	recs := []*recState{{abi: p.abi, old: p.old, intent: p.intent}}
	others := make([]string, 0, len(p.others))
	for a := range p.others {
		others = append(others, a)
	}
	sort.Strings(others)
	for _, a := range others {
		recs = append(recs, p.others[a])
	}
	pres := make([]state.Record, len(recs))
	for i, rs := range recs {
		pre := rs.old.Clone()
		for en := range rs.intent {
			pre[en] = true
		}
		pres[i] = pre
		if !pre.Equal(rs.old) {
			if err := state.Write(e.FS, rs.abi, pre); err != nil {
				return err
			}
		}
	}
	if len(p.actions) > 0 {
		p.held.forget() // what the actions change is observed afresh
	}
	var runErr error
	for _, a := range p.actions {
		if err := e.do(p, a); err != nil {
			runErr = fmt.Errorf("%s: %w; run linux-librust repair %s once the cause is fixed", a, err, p.abi)
			if a.Op == OpMkdir && errors.Is(err, fs.ErrExist) && !p.old.Has(state.Dir, a.rel) {
				// Someone else made the directory meanwhile: it is not the tool's.
				delete(pres[0], state.Entry{Kind: state.Dir, Path: a.rel})
			}
			break
		}
	}
	for i, rs := range recs {
		final, err := observe(p.held, p.headersOf(e, rs.abi), rs.abi, pres[i])
		if err != nil {
			return errors.Join(runErr, err)
		}
		if i == 0 && errors.Is(runErr, errMoved) {
			// What is at the headers path now is not the tree the plan inspected: the
			// record keeps every entry until a run sees the tree again.
			final = pres[0]
		}
		if !final.Equal(pres[i]) || i == 0 && p.recordTemp {
			if err := state.Write(e.FS, rs.abi, final); err != nil {
				return errors.Join(runErr, err)
			}
		}
	}
	return runErr
}

// observe returns the entries of the record r of abi, whose headers tree is at headers,
// that still have something on disk, as seen through h.
func observe(h *held, headers, abi string, r state.Record) (state.Record, error) {
	out := state.Record{}
	for en := range r {
		l := path.Join(headers, en.Path)
		var keep bool
		var err error
		switch en.Kind {
		case state.Dir:
			var fi os.FileInfo
			fi, err = h.lstatInfo(l)
			keep = err == nil && fi.IsDir()
			if isAbsent(err) {
				err = nil
			}
		case state.Link:
			var m managed
			m, err = h.inspect(l, target(headers, abi, en.Path))
			keep = m.at.k == ours || m.temp.k == ours
		case state.Backup:
			var m managed
			m, err = h.inspect(l, target(headers, abi, en.Path))
			keep = m.hasBackup()
		case state.Shared:
			var m managed
			m, err = h.inspect("/"+en.Path, "")
			keep = m.serves(abi)
		case state.SharedBackup:
			// Kept while the backup exists and the link serves abi, or is no tool's
			// link (the backup is still to be restored).
			var m managed
			m, err = h.inspect("/"+en.Path, "")
			keep = m.hasBackup() && (m.serves(abi) || !m.claimed())
		}
		if errors.Is(err, errLinkOnTheWay) {
			// A link on the way hides what is there (a directory exchanged while
			// running): keep the entry, so that the record still covers the disk.
			keep, err = true, nil
		}
		if err != nil {
			return nil, err
		}
		if keep {
			out[en] = true
		}
	}
	return out, nil
}

func isAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir)
}

// do carries out one action. The directory of a.Path is opened once, free of links
// (rootfs.FS.OpenDir), and every check and change of the action goes through that
// handle: a directory on the way renamed or exchanged with a link meanwhile cannot
// redirect it into another tree.
func (e *Engine) do(p *plan, a Action) error {
	if err := e.samePlace(p, a.Path); err != nil {
		return err
	}
	d, base, err := e.at(a.Path)
	if err != nil {
		return err
	}
	defer d.Close()
	switch a.Op {
	case OpClean:
		if err := d.Remove(base); err != nil && !isAbsent(err) {
			return err
		}
	case OpMkdir:
		if err := d.Mkdir(base, dirMode); err != nil {
			return err
		}
		// Mkdir's mode passes through the umask; module builds need 0755.
		fallthrough
	case OpChmod:
		if err := d.Chmod(base, dirMode); err != nil {
			return err
		}
	case OpBackup:
		copied, err := backup(d, base, a.dir)
		if err != nil {
			return err
		}
		how := ""
		if copied {
			how = " as a copy (the file system has no hard links; other hard links of it no longer share it)"
		}
		e.event(logger.Warn, logger.KindBackup, p.abi, a.Path, true, "moved %s aside to %s%s (--force); unlink puts it back", a.Path, a.Path+layout.BackupSuffix, how)
	case OpLink:
		// Create under a temporary name, then rename: the path goes from absent (or the
		// backed-up object) to the finished link in one step.
		tmp := base + layout.TempSuffix
		if err := d.Symlink(a.Target, tmp); err != nil {
			return err
		}
		if a.Replace {
			err = d.Rename(tmp, base)
		} else {
			err = d.RenameNoReplace(tmp, base) // never replace what appeared meanwhile
		}
		if err != nil {
			_ = d.Remove(tmp)
			return err
		}
	case OpUnlink:
		// dpkg does not take the lock: check again just before removing.
		want := a.want
		if want == "" {
			want = target(p.headers, p.abi, a.rel)
		}
		if k, _, err := lstatIn(d, base, want); err != nil {
			return err
		} else if k != ours {
			return fmt.Errorf("%s changed meanwhile (it is no longer the link of linux-librust); not removed: rerun once nothing else changes it", a.Path)
		}
		if err := d.Remove(base); err != nil {
			return err
		}
	case OpRestore:
		if a.Replace {
			err = d.Rename(base+layout.BackupSuffix, base) // replaces the tool's link at once
		} else {
			err = d.RenameNoReplace(base+layout.BackupSuffix, base)
		}
		if err != nil {
			return err
		}
	case OpRmdir:
		if err := d.Rmdir(base); err != nil {
			if errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST) {
				e.event(logger.Warn, logger.KindUnlink, p.abi, a.Path, false, "%s is not empty; left in place", a.Path)
				return nil
			}
			return err
		}
	default:
		return fmt.Errorf("unknown action %q", a.Op)
	}
	if a.Op != OpBackup {
		e.event(logger.Info, a.Op.kind(), p.abi, a.Path, true, "%s", a)
	}
	return d.Sync()
}

// samePlace checks, for a path in the headers tree, that the headers tree is still where
// the plan found it: its path reaches the very directory the plan inspected (a link
// above it followed, layout.HeadersDir). A link above it that appeared or went since
// would otherwise move the change into another tree.
func (e *Engine) samePlace(p *plan, at string) error {
	if !strings.HasPrefix(at, p.headers+"/") || p.headersID == nil {
		return nil
	}
	h, err := layout.HeadersDir(e.FS, p.abi)
	if err == nil && h == p.headers {
		fresh := newHeld(e.FS)
		id, err := dirID(fresh, h)
		fresh.forget()
		if err == nil && id != nil && *id == *p.headersID {
			return nil
		}
	}
	return fmt.Errorf("%s: %w", layout.Headers(p.abi), errMoved)
}

// errMoved: the headers tree is not where the plan found it any more.
var errMoved = errors.New("the headers tree is not where it was when linux-librust started (a directory above it was renamed or replaced by a link meanwhile): nothing changed there; rerun once nothing else changes it")

// dirID returns the device and inode of the directory dir, opened free of links
// through h; nil when it does not exist.
func dirID(h *held, dir string) (*[2]uint64, error) {
	d, err := h.dir(dir)
	if isAbsent(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	fi, err := d.Stat()
	if err != nil {
		return nil, err
	}
	id, ok := rootfs.IdentityOf(fi)
	if !ok {
		return nil, fmt.Errorf("stat %s: no device and inode", dir)
	}
	return &[2]uint64{id.Dev, id.Ino}, nil
}

// backup moves the object name of d aside to its backup name, so that the link can
// replace it in one rename and unlink can put the very object back. A directory (isDir)
// is renamed. A regular file or a link gets the backup name as a second hard link
// (through the temporary name, then renamed): the same inode, so owner, mode, times,
// extended attributes and its other hard links stay as they are. Where the file system
// has no hard links it is copied with mode, owner and times; copied reports that.
func backup(d rootfs.Dir, name string, isDir bool) (copied bool, err error) {
	bak, tmp := name+layout.BackupSuffix, name+layout.BackupTempSuffix
	if isDir {
		return false, d.RenameNoReplace(name, bak)
	}
	if err := d.Link(name, tmp); err == nil {
		return false, d.RenameNoReplace(tmp, bak)
	} else if !noHardLinks(err) {
		return false, err
	}
	fi, err := d.Lstat(name)
	if err != nil {
		return false, err
	}
	if err := copyFile(d, name, tmp, fi); err != nil {
		return false, err
	}
	return true, d.RenameNoReplace(tmp, bak)
}

// noHardLinks reports whether a link(2) error says that the file system cannot make
// the hard link, as opposed to a problem with the names.
func noHardLinks(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EOPNOTSUPP) ||
		errors.Is(err, syscall.EMLINK) || errors.Is(err, syscall.EXDEV)
}

// copyFile copies the file or link src to the new dst of d with src's mode, owner and
// times. A file's copy stays 0600 until it has its owner: chown(2) would clear a
// set-user-ID bit.
func copyFile(d rootfs.Dir, src, dst string, fi os.FileInfo) error {
	if fi.Mode().Type() == fs.ModeSymlink {
		t, err := d.Readlink(src)
		if err != nil {
			return err
		}
		if err := d.Symlink(t, dst); err != nil {
			return err
		}
	} else if _, err := rootfs.CopyFileIn(d, src, dst, 0o600, nil); err != nil {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		if err := d.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
	}
	if fi.Mode().Type() != fs.ModeSymlink {
		if err := d.Chmod(dst, fi.Mode()&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
	}
	return d.Lchtimes(dst, fi.ModTime(), fi.ModTime())
}
