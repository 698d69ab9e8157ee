package verifier

import (
	"fmt"
	"path"
	"sync"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/toolchain"
)

// RustABIs returns the ABIs of candidates that have Rust artifacts or a state record of
// the tool: the ones verify --all and status cover. A headers tree alone (a kernel
// without Rust artifacts, linux-headers-<ver>-common) does not count.
func RustABIs(fsys afero.Fs, candidates []string) []string {
	var out []string
	for _, abi := range candidates {
		for _, p := range []string{layout.Artifacts(abi), path.Join(layout.StateDir, abi)} {
			if _, err := fsys.Stat(p); err == nil {
				out = append(out, abi)
				break
			}
		}
	}
	return out
}

// RustcMatch is how one ABI's artifact set relates to the installed rustc.
type RustcMatch struct {
	ABI     string
	Need    string // the version text the set needs; "" when it cannot be told
	Have    string // what the installed rustc prints; "" with Err
	Err     error  // why the installed rustc's version is unknown
	Verdict toolchain.Verdict
}

// MatchRustc tells whether the installed rustc (installed is typically
// (*toolchain.Rustc).Version) reads abi's artifacts. It reads the manifest and the
// headers' .config only, which decide the version text needed as in Verify.
func MatchRustc(fsys rootfs.FS, abi string, installed func() (string, error)) RustcMatch {
	need := ""
	r := newRun(fsys, Options{Headers: layout.Headers(abi), Artifacts: layout.Artifacts(abi)})
	if r.readManifest() {
		need = r.neededRustc()
	}
	return judgeRustc(abi, need, installed)
}

// judgeRustc compares what the installed rustc prints with need, the version text abi's
// set needs ("" when it cannot be told: installed is not asked).
func judgeRustc(abi, need string, installed func() (string, error)) RustcMatch {
	m := RustcMatch{ABI: abi, Need: need}
	if m.Need != "" {
		m.Have, m.Err = installed()
	}
	m.Verdict = toolchain.Judge(m.Need, m.Have, m.Err)
	return m
}

// CheckRustc runs MatchRustc for every ABI of abis with an artifacts tree (the others
// need no rustc) and asks the installed rustc at most once.
func CheckRustc(fsys rootfs.FS, abis []string, installed func() (string, error)) []RustcMatch {
	installed = sync.OnceValues(installed)
	var out []RustcMatch
	for _, abi := range abis {
		if _, err := fsys.Stat(layout.Artifacts(abi)); err != nil {
			continue
		}
		out = append(out, MatchRustc(fsys, abi, installed))
	}
	return out
}

// Message says the outcome for people: the ABI, and the exact version text it needs.
func (m RustcMatch) Message() string {
	switch m.Verdict {
	case toolchain.Matches:
		return fmt.Sprintf("%s: the installed rustc still matches (%s)", m.ABI, m.Need)
	case toolchain.Unknown:
		return fmt.Sprintf("%s: cannot tell which rustc its Rust artifacts need; run 'linux-librust verify %s'", m.ABI, m.ABI)
	case toolchain.NotInstalled:
		return fmt.Sprintf("%s: rustc is no longer installed; out-of-tree Rust modules for this kernel need the rustc that prints %q", m.ABI, m.Need)
	case toolchain.Unusable:
		return fmt.Sprintf("%s: cannot run rustc (%v); out-of-tree Rust modules for this kernel need the rustc that prints %q", m.ABI, m.Err, m.Need)
	}
	return fmt.Sprintf("%s: needs the rustc that prints %q, but the installed one prints %q: out-of-tree Rust modules for this kernel fail to build (E0514) until that rustc is installed again, or a linux-librust-%s built by the new one", m.ABI, m.Need, m.Have, m.ABI)
}
