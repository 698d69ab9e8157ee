package verifier

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/linux-librust/linux-librust/internal/digest"
	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Artifacts below Debian's scripts -> ../../lib/linux-kbuild-<ver>/scripts have one
// place for every flavour of a version (package kbuild): the link there points into
// one flavour's artifacts tree, so from another flavour's headers the artifact opens
// another, identical file.

// sharedSame reports whether h reaches, through the tool's link at a shared path in a
// linux-kbuild tree, a file like a: of the same size, and in full mode with the same
// content (the same BLAKE3).
func sharedSame(fsys rootfs.FS, h, a string, hi, ai os.FileInfo, full bool) bool {
	if _, ok := kbuild.NewView(fsys).Served(h); !ok || !hi.Mode().IsRegular() || hi.Size() != ai.Size() {
		return false
	}
	if !full {
		return true
	}
	buf := make([]byte, 32<<10)
	hs, err := hashFile(fsys, h, digest.NewBLAKE3(), buf)
	if err != nil {
		return false
	}
	as, err := hashFile(fsys, a, digest.NewBLAKE3(), buf)
	return err == nil && hs == as
}

// checkShared reports the artifacts of the set whose shared path other flavours need
// with a different content: none of them is linked there.
func (r *run) checkShared() {
	abi := r.manifest.ABI
	if layout.ValidateABI(abi) != nil || layout.Headers(abi) != r.opts.Headers {
		return
	}
	v := kbuild.NewView(r.fsys)
	for _, a := range r.manifest.Artifacts {
		sp, ms, err := v.Shared(abi, a.Path)
		if err != nil || sp == "" {
			continue
		}
		owner, err := v.Serving(sp)
		if err != nil {
			continue
		}
		ch := kbuild.Choose(ms, owner, nil, nil)
		mine := kbuild.Find(ch.Conflict, abi)
		if mine == nil {
			continue
		}
		kb := path.Base(kbuild.Dir(sp))
		if ch.SHA256 != "" {
			// The flavours served keep the link: this set is the newcomer.
			r.add("shared-conflict", Error, sp, "remove linux-librust-"+abi+", or "+strings.Join(packages(ch.Serve), " and ")+" then run linux-librust repair: keep the Rust artifacts of flavours that agree",
				"%s needs another %s (sha256 %s) than the flavours %s of %s (sha256 %s), which %s serves; only flavours that agree can be installed with Rust artifacts at once",
				abi, a.Path, mine.SHA256, strings.Join(names(ch.Serve), " and "), kb, ch.SHA256, sp)
			continue
		}
		var parts []string
		var others []kbuild.Member
		for _, m := range ch.Conflict {
			parts = append(parts, fmt.Sprintf("%s: sha256 %s", m.ABI, m.SHA256))
			if m.SHA256 != mine.SHA256 {
				others = append(others, m)
			}
		}
		r.add("shared-conflict", Error, sp, "remove "+strings.Join(packages(others), " and ")+" or "+"linux-librust-"+abi+": keep the Rust artifacts of flavours that agree",
			"the flavours %s of %s need different %s (%s); only flavours that agree can be installed with Rust artifacts at once",
			strings.Join(names(ch.Conflict), " and "), kb, a.Path, strings.Join(parts, "; "))
	}
}

func packages(ms []kbuild.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = "linux-librust-" + m.ABI
	}
	return out
}

func names(ms []kbuild.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ABI
	}
	return out
}
