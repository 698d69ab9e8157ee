package linker

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// The state record <StateDir>/<ABI> lists what linux-librust made in the headers tree of
// that ABI, so that ownership stays decidable after a crash. It is text:
//
//	linux-librust-state 1
//	backup rust/libfoo.rmeta
//	dir rust
//	link rust/libcore.rmeta
//
// One "<kind> <path>" line per entry, sorted, paths relative to the headers tree. "dir"
// is a directory the tool created, "backup" a foreign object it moved aside to
// <path>.linux-librust-backup, "link" a link it created (an index: a link is the tool's
// only when its target is exactly the expected one). "shared" and "shared-backup" name,
// relative to the root, a shared link in a linux-kbuild tree that may point into this
// ABI's artifacts tree and the foreign object --force moved aside from there (see
// shared.go); the link's target says which ABI it serves. Entries are added BEFORE the
// change is made and dropped after it is undone, so the record always covers the disk;
// entries with nothing on disk are pruned. The file is replaced atomically (temporary
// file, fsync, rename, directory fsync) and removed when empty.
const recordHeader = "linux-librust-state 1"

// maxRecordBytes bounds a record: a few thousand entries.
const maxRecordBytes = 1 << 20

type entryKind string

const (
	entryBackup entryKind = "backup"
	entryDir    entryKind = "dir"
	entryLink   entryKind = "link"
	// root-relative paths in a linux-kbuild tree
	entryShared       entryKind = "shared"
	entrySharedBackup entryKind = "shared-backup"
)

// headersEntry tells whether e names a path inside the headers tree.
func (e entry) headersEntry() bool { return e.kind != entryShared && e.kind != entrySharedBackup }

type entry struct {
	kind entryKind
	path string
}

// record is a set of entries.
type record map[entry]bool

func (r record) has(k entryKind, p string) bool { return r[entry{k, p}] }

func (r record) clone() record {
	c := make(record, len(r))
	for e := range r {
		c[e] = true
	}
	return c
}

func (r record) equal(o record) bool {
	if len(r) != len(o) {
		return false
	}
	for e := range r {
		if !o[e] {
			return false
		}
	}
	return true
}

func (r record) paths(k entryKind) []string {
	var ps []string
	for e := range r {
		if e.kind == k {
			ps = append(ps, e.path)
		}
	}
	sort.Strings(ps)
	return ps
}

func (r record) marshal() []byte {
	lines := make([]string, 0, len(r))
	for e := range r {
		lines = append(lines, string(e.kind)+" "+e.path)
	}
	sort.Strings(lines)
	var b strings.Builder
	b.WriteString(recordHeader + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

func parseRecord(data []byte) (record, error) {
	if len(data) > maxRecordBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxRecordBytes)
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("truncated: no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != recordHeader {
		return nil, fmt.Errorf("line 1: %q is not %q", trunc(lines[0]), recordHeader)
	}
	r := record{}
	for i, l := range lines[1:] {
		kind, p, ok := strings.Cut(l, " ")
		switch entryKind(kind) {
		case entryBackup, entryDir, entryLink, entryShared, entrySharedBackup:
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not \"backup|dir|link|shared|shared-backup <path>\"", i+2, trunc(l))
		}
		if err := manifest.CheckPath(p); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		e := entry{entryKind(kind), p}
		if r[e] {
			return nil, fmt.Errorf("line %d: %s %s repeated", i+2, kind, p)
		}
		r[e] = true
	}
	return r, nil
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func recordPath(abi string) string { return path.Join(layout.StateDir, abi) }

// recordTemp is the temporary name of a record being written. A leading dot cannot
// start an ABI, so it is never taken for a record.
func recordTemp(abi string) string { return path.Join(layout.StateDir, "."+abi+".tmp") }

// damagedRecord is a state record that cannot be understood: a per-ABI problem
// (ProblemStateRecord), never a reason to stop working on the other ABIs.
type damagedRecord struct {
	path string
	err  error
}

func (d *damagedRecord) Error() string {
	return fmt.Sprintf("state record %s is damaged: %v; linux-librust leaves this kernel alone until it is fixed: inspect the file, remove it, then run linux-librust repair %s (links are recognised by their targets, but directories linux-librust created then stay)",
		d.path, d.err, path.Base(d.path))
}

func (d *damagedRecord) Unwrap() error { return d.err }

// readRecord returns the record of abi; a missing record is empty. Anything but a
// regular file (a FIFO that would block the read, a link, a directory) and text that
// does not parse are a *damagedRecord.
func readRecord(fsys rootfs.FS, abi string) (record, error) {
	p := recordPath(abi)
	fi, err := lstat(fsys, p)
	if isAbsent(err) {
		return record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &damagedRecord{p, fmt.Errorf("not a regular file but %s", typeName(fi.Mode()))}
	}
	// O_NONBLOCK: should a FIFO replace the file meanwhile, opening it must not wait
	// for a writer; O_NOFOLLOW: nor may a link be followed.
	f, err := fsys.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &damagedRecord{p, errors.New("not a regular file but a symbolic link")}
		}
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	defer f.Close()
	if fi, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, &damagedRecord{p, fmt.Errorf("not a regular file but %s", typeName(fi.Mode()))}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	r, err := parseRecord(data)
	if err != nil {
		return nil, &damagedRecord{p, err}
	}
	return r, nil
}

// typeName names the type of a file that is not a regular one.
func typeName(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// writeRecord replaces the record of abi atomically, or removes it when r is empty.
func writeRecord(fsys rootfs.FS, abi string, r record) error {
	p, tmp := recordPath(abi), recordTemp(abi)
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", tmp, err)
	}
	if len(r) == 0 {
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove state record %s: %w", p, err)
		}
		return syncDir(fsys, layout.StateDir)
	}
	if err := fsys.MkdirAll(layout.StateDir, 0o755); err != nil {
		return fmt.Errorf("write state record %s: %w", p, err)
	}
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("write state record %s: %w", p, err)
	}
	_, err = f.Write(r.marshal())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Chmod(tmp, 0o644) // whatever the umask: the record is no secret
	}
	if err == nil {
		err = fsys.Rename(tmp, p)
	}
	if err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("write state record %s: %w", p, err)
	}
	return syncDir(fsys, layout.StateDir)
}

func syncDir(fsys rootfs.FS, dir string) error {
	if err := rootfs.SyncDir(fsys, dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
