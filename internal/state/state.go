// Package state owns the state record <StateDir>/<ABI>: what linux-librust made in the
// headers tree of that ABI and in linux-kbuild trees, so that ownership stays decidable
// after a crash. It parses, prints, reads and atomically writes records; what an entry
// means for a command is the linker's.
package state

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

// The record is text:
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
// ABI's artifacts tree and the foreign object --force moved aside from there (package
// kbuild); the link's target says which ABI it serves. Entries are added BEFORE the
// change is made and dropped after it is undone, so the record always covers the disk;
// entries with nothing on disk are pruned. The file is replaced atomically (temporary
// file, fsync, rename, directory fsync) and removed when empty.
const recordHeader = "linux-librust-state 1"

// maxRecordBytes bounds a record: a few thousand entries.
const maxRecordBytes = 1 << 20

// Kind is the kind of an entry.
type Kind string

// Kinds of entries.
const (
	Backup Kind = "backup"
	Dir    Kind = "dir"
	Link   Kind = "link"
	// root-relative paths in a linux-kbuild tree
	Shared       Kind = "shared"
	SharedBackup Kind = "shared-backup"
)

// Entry is one line of a record.
type Entry struct {
	Kind Kind
	Path string
}

// InHeaders tells whether e names a path inside the headers tree.
func (e Entry) InHeaders() bool { return e.Kind != Shared && e.Kind != SharedBackup }

// Record is a set of entries.
type Record map[Entry]bool

// Add adds the entry of kind k for p.
func (r Record) Add(k Kind, p string) { r[Entry{k, p}] = true }

// Has tells whether r holds the entry of kind k for p.
func (r Record) Has(k Kind, p string) bool { return r[Entry{k, p}] }

// Clone returns a copy of r.
func (r Record) Clone() Record {
	c := make(Record, len(r))
	for e := range r {
		c[e] = true
	}
	return c
}

// Equal tells whether r and o hold the same entries.
func (r Record) Equal(o Record) bool {
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

// Paths returns the sorted paths of the entries of kind k.
func (r Record) Paths(k Kind) []string {
	var ps []string
	for e := range r {
		if e.Kind == k {
			ps = append(ps, e.Path)
		}
	}
	sort.Strings(ps)
	return ps
}

// Marshal returns the text of r.
func (r Record) Marshal() []byte {
	lines := make([]string, 0, len(r))
	for e := range r {
		lines = append(lines, string(e.Kind)+" "+e.Path)
	}
	sort.Strings(lines)
	var b strings.Builder
	b.WriteString(recordHeader + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// Parse parses the text of a record.
func Parse(data []byte) (Record, error) {
	if len(data) > maxRecordBytes {
		return nil, fmt.Errorf("larger than %d bytes", maxRecordBytes)
	}
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("truncated: no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if lines[0] != recordHeader {
		return nil, fmt.Errorf("line 1: %.60q is not %q", lines[0], recordHeader)
	}
	r := Record{}
	for i, l := range lines[1:] {
		kind, p, ok := strings.Cut(l, " ")
		switch Kind(kind) {
		case Backup, Dir, Link, Shared, SharedBackup:
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("line %d: %.60q is not \"backup|dir|link|shared|shared-backup <path>\"", i+2, l)
		}
		if err := manifest.CheckPath(p); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+2, err)
		}
		e := Entry{Kind(kind), p}
		if r[e] {
			return nil, fmt.Errorf("line %d: %s %s repeated", i+2, kind, p)
		}
		r[e] = true
	}
	return r, nil
}

// Path returns the path of abi's record.
func Path(abi string) string { return path.Join(layout.StateDir, abi) }

// TempPath is the temporary name of a record being written. A leading dot cannot start
// an ABI, so it is never taken for a record.
func TempPath(abi string) string { return path.Join(layout.StateDir, "."+abi+".tmp") }

// DamagedError is a state record that cannot be understood: a problem of its ABI,
// never a reason to stop working on the other ABIs.
type DamagedError struct {
	Path string
	Err  error
}

func (d *DamagedError) Error() string {
	return fmt.Sprintf("state record %s is damaged: %v; linux-librust leaves this kernel alone until it is fixed: inspect the file, remove it, then run linux-librust repair %s (links are recognised by their targets, but directories linux-librust created then stay)",
		d.Path, d.Err, path.Base(d.Path))
}

func (d *DamagedError) Unwrap() error { return d.Err }

// Read returns the record of abi; a missing record is empty. Anything but a regular
// file (a FIFO that would block the read, a link, a directory) and text that does not
// parse are a *DamagedError.
func Read(fsys rootfs.FS, abi string) (Record, error) {
	p := Path(abi)
	// O_NOFOLLOW: a link there is refused like a FIFO, a directory or a device, at once.
	f, err := rootfs.OpenRegular(fsys, p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	var nr *rootfs.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return Record{}, nil
	case errors.As(err, &nr):
		return nil, &DamagedError{p, fmt.Errorf("it %w", nr)}
	case err != nil:
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read state record %s: %w", p, err)
	}
	r, err := Parse(data)
	if err != nil {
		return nil, &DamagedError{p, err}
	}
	return r, nil
}

// Write replaces the record of abi atomically (rootfs.WriteFile), or removes it when
// r is empty.
func Write(fsys rootfs.FS, abi string, r Record) error {
	p, tmp := Path(abi), TempPath(abi)
	if len(r) == 0 {
		if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove stale %s: %w", tmp, err)
		}
		if err := fsys.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove state record %s: %w", p, err)
		}
		return syncDir(fsys, layout.StateDir)
	}
	if err := rootfs.MkdirAll(fsys, layout.StateDir, 0o755); err != nil {
		return fmt.Errorf("write state record %s: %w", p, err)
	}
	// 0644 whatever the umask: the record is no secret.
	if err := rootfs.WriteFile(fsys, p, tmp, r.Marshal(), 0o644); err != nil {
		return fmt.Errorf("state record: %w", err)
	}
	return nil
}

func syncDir(fsys rootfs.FS, dir string) error {
	if err := rootfs.SyncDir(fsys, dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
