package manifest

import (
	"fmt"
	"path"
	"sort"
	"sync"
	"time"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// ReadError is the error of Read: what is wrong with an artifacts tree's manifest
// files, naming the file, and the fix, apart so that a report can show each in its place.
type ReadError struct {
	Err error  // what is wrong
	Fix string // what to do about it
}

func (e *ReadError) Error() string { return e.Err.Error() + "; " + e.Fix }

func (e *ReadError) Unwrap() error { return e.Err }

// Read reads and cross-checks linux-librust.manifest and SHA256SUMS in the artifacts tree
// dir. It does not hash the artifacts. Its errors are *ReadError.
func Read(fsys afero.Fs, dir string) (*Manifest, error) {
	m, _, _, err := ReadIdentified(fsys, dir)
	return m, err
}

// ReadIdentified is Read, also returning the identity of the manifest file taken
// before it was read (ok is false when it could not be taken), for a caller that keys
// results by it.
func ReadIdentified(fsys afero.Fs, dir string) (m *Manifest, id rootfs.Identity, ok bool, err error) {
	key, ok, memoize := memoKeyOf(fsys, dir)
	if memoize {
		if m, found := memo.Load(key); found {
			return m.(*Manifest).clone(), key.manifest, ok, nil
		}
	}
	m, err = read(fsys, dir)
	if err != nil {
		return nil, key.manifest, ok, &ReadError{Err: err, Fix: fmt.Sprintf("reinstall the package that ships %s, or rerun linux-librust collect", dir)}
	}
	if memoize {
		memo.Store(key, m.clone())
	}
	return m, key.manifest, ok, nil
}

// memo holds the manifests read in this process, by directory and the identities of
// both files taken before they were read: a manifest is parsed once however many
// packages ask, and read again after any change.
var memo sync.Map // memoKey → *Manifest

type memoKey struct {
	dir            string
	manifest, sums rootfs.Identity
}

// memoKeyOf returns the key of dir's manifest; manifestOK tells whether the manifest's
// identity was taken, and memoize is false when an identity cannot be taken or a file
// changed too recently to stand for its content.
func memoKeyOf(fsys afero.Fs, dir string) (key memoKey, manifestOK, memoize bool) {
	now := time.Now()
	key.dir = dir
	identity := func(name string) (rootfs.Identity, bool) {
		fi, err := fsys.Stat(path.Join(dir, name))
		if err != nil {
			return rootfs.Identity{}, false
		}
		return rootfs.IdentityOf(fi)
	}
	if key.manifest, manifestOK = identity(layout.ManifestName); !manifestOK {
		return key, false, false
	}
	var sumsOK bool
	key.sums, sumsOK = identity(layout.SumsName)
	return key, true, sumsOK && key.manifest.Settled(now) && key.sums.Settled(now)
}

// clone returns a copy of m that shares nothing mutable with it.
func (m *Manifest) clone() *Manifest {
	c := *m
	c.Artifacts = append([]Artifact(nil), m.Artifacts...)
	return &c
}

func read(fsys afero.Fs, dir string) (*Manifest, error) {
	mp, sp := path.Join(dir, layout.ManifestName), path.Join(dir, layout.SumsName)
	data, err := readBounded(fsys, mp)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", mp, err)
	}
	m, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", mp, err)
	}
	data, err = readBounded(fsys, sp)
	if err != nil {
		return nil, fmt.Errorf("read checksums %s: %w", sp, err)
	}
	sums, err := ParseSums(data)
	if err != nil {
		return nil, fmt.Errorf("parse checksums %s: %w", sp, err)
	}
	for _, a := range m.Artifacts {
		sum, ok := sums[a.Path]
		switch {
		case !ok:
			return nil, fmt.Errorf("%s lists %s but %s does not", mp, a.Path, sp)
		case sum != a.SHA256:
			return nil, fmt.Errorf("%s and %s disagree on the SHA-256 of %s", mp, sp, a.Path)
		}
		delete(sums, a.Path)
	}
	if len(sums) > 0 {
		extra := make([]string, 0, len(sums))
		for p := range sums {
			extra = append(extra, p)
		}
		sort.Strings(extra)
		return nil, fmt.Errorf("%s lists %s but %s does not", sp, extra[0], mp)
	}
	return m, nil
}

func readBounded(fsys afero.Fs, name string) ([]byte, error) {
	return rootfs.ReadFile(fsys, name, MaxBytes)
}

// tempSuffix names the temporary copy of a manifest file being written.
const tempSuffix = ".tmp"

// Write validates m and writes SHA256SUMS and linux-librust.manifest into the existing
// directory dir, each atomically (rootfs.WriteFile), mode 0644.
func Write(fsys rootfs.FS, dir string, m *Manifest) error {
	if err := m.Validate(); err != nil {
		return fmt.Errorf("write manifest in %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{layout.SumsName, m.Sums()}, {layout.ManifestName, m.Marshal()}} {
		name := path.Join(dir, f.name)
		if err := rootfs.WriteFile(fsys, name, name+tempSuffix, f.data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
