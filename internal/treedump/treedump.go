// Package treedump describes a whole directory tree as a map, for tests that
// assert the complete result of an operation on the file system.
//
// Dump walks a real directory without following symbolic links and returns one
// entry per file, directory or link below it (the directory itself is not
// listed), keyed by its slash path relative to the directory with a leading "/":
//
//	"/a/b":   "dir 0755"
//	"/a/f":   "file 0644 2cf24dba"   (first 8 hex digits of the SHA-256 of the content)
//	"/a/e":   "file 0600 empty"      (no content)
//	"/a/l":   "symlink ../x"         (the target exactly as stored)
//	"/a/p":   "fifo 0644", "socket 0755", "device 0660"
//
// Modes are the permission bits plus setuid (4000), setgid (2000) and sticky
// (1000), as four octal digits. Dir, File and Symlink build expected entries, so
// that a test states file content in clear:
//
//	require.Equal(t, map[string]string{
//		"/etc":        treedump.Dir(0o755),
//		"/etc/hosts":  treedump.File(0o644, "127.0.0.1 localhost\n"),
//		"/etc/mtab":   treedump.Symlink("../proc/self/mounts"),
//	}, treedump.Dump(t, dir))
package treedump

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Dump returns the entries of the tree below dir; it fails the test when dir
// cannot be read.
func Dump(t testing.TB, dir string) map[string]string {
	t.Helper()
	tree, err := dump(dir)
	if err != nil {
		t.Fatalf("dump tree %s: %v", dir, err)
	}
	return tree
}

func dump(dir string) (map[string]string, error) {
	tree := make(map[string]string)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := "/" + filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		m := info.Mode()
		switch m.Type() {
		case fs.ModeDir:
			tree[key] = Dir(m)
		case fs.ModeSymlink:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			tree[key] = Symlink(target)
		case 0:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tree[key] = File(m, string(data))
		case fs.ModeNamedPipe:
			tree[key] = "fifo " + perm(m)
		case fs.ModeSocket:
			tree[key] = "socket " + perm(m)
		default:
			tree[key] = "device " + perm(m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return tree, nil
}

// Dir is the entry of a directory with mode m.
func Dir(m fs.FileMode) string { return "dir " + perm(m) }

// File is the entry of a regular file with mode m and content data.
func File(m fs.FileMode, data string) string {
	if data == "" {
		return "file " + perm(m) + " empty"
	}
	sum := sha256.Sum256([]byte(data))
	return fmt.Sprintf("file %s %.4x", perm(m), sum)
}

// Symlink is the entry of a symbolic link to target.
func Symlink(target string) string { return "symlink " + target }

func perm(m fs.FileMode) string {
	o := uint32(m.Perm())
	if m&fs.ModeSetuid != 0 {
		o |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		o |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		o |= 0o1000
	}
	return fmt.Sprintf("%04o", o)
}
