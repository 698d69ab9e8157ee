// Package manifest reads and writes the manifest of an artifacts tree: the deb822 file
// linux-librust.manifest, which describes the set and every artifact, and SHA256SUMS, which
// `sha256sum -c` accepts inside the tree.
//
// linux-librust.manifest is UTF-8 with LF line ends and is byte-identical for the same
// input. Its first stanza describes the set:
//
//	Format: 1
//	ABI: 7.2.13+deb14-amd64
//	Architecture: x86
//	Rustc-Version: rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)
//	Config-SHA256: <64 lowercase hex digits>
//	Proc-Macro-Architecture: amd64   (optional: a cross-built set only)
//
// Proc-Macro-Architecture is the Debian architecture whose rustc loads the set's proc
// macros, written when it is not the kernel's own (a set cross-built for building
// modules on another machine); a native set's manifest has no such field.
//
// Then one stanza per artifact, sorted by Path in byte order:
//
//	Path: rust/libmacros.so
//	Kind: proc-macro
//	Size: 1234
//	SHA256: <64 lowercase hex digits>
//	BLAKE3: <64 lowercase hex digits>  (optional: absent from manifests of earlier versions)
//	Rustc-Version: rustc 1.97.1 (…)   (optional; never for target-spec)
//	Machine: EM_X86_64                 (proc-macro only)
//	Class: ELFCLASS64                  (proc-macro only)
//
// SHA256 is what SHA256SUMS repeats, for `sha256sum -c`. BLAKE3 (the 256-bit BLAKE3
// digest) is what a full check of the tree hashes when it is there: on amd64 with
// AVX2 or AVX-512, about twice as fast as SHA-256 even with the CPU's SHA
// instructions, and its tree can be hashed in pieces on all cores. Every reader
// ignores it where it does not know it, so adding it needed no new Format; a reader
// that knows it refuses a malformed one.
//
// Later versions only add fields; readers ignore fields they do not know. Format changes
// only for an incompatible change, which readers refuse.
package manifest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/layout"
)

// Kind is the kind of an artifact.
type Kind string

// Artifact kinds.
const (
	KindRmeta      Kind = "rmeta"       // crate metadata, rust/*.rmeta
	KindProcMacro  Kind = "proc-macro"  // proc-macro shared object run by the host rustc
	KindTargetSpec Kind = "target-spec" // scripts/target.json
	// KindSupport is a file of the kernel source that an out-of-tree Rust build uses
	// and the headers may lack (the Rust availability check, scripts/rust_is_available.sh
	// and the files it uses). Linked only where the headers tree has no file there: a
	// file a package ships at that path is the kernel's own and serves as well.
	KindSupport Kind = "support"
)

// Format is the manifest format this package reads and writes.
const Format = 1

// Bounds on input; a real manifest is a few KiB with a few dozen artifacts.
const (
	MaxBytes     = 1 << 20
	MaxArtifacts = 10000
	maxPathLen   = 1024 // the links' targets add the depth and the artifacts tree
	maxNameLen   = 255
	maxDepth     = 16 // components of a path; the kernel's are two or three deep
)

// Artifact is one file of an artifacts tree.
type Artifact struct {
	Path         string // relative to the kernel build tree, e.g. rust/libcore.rmeta
	Kind         Kind
	Size         int64
	SHA256       string // 64 lowercase hex digits
	BLAKE3       string // 64 lowercase hex digits; empty in a manifest written without it
	RustcVersion string // rustc that built it; empty for target-spec
	Machine      string // proc-macro only: elf.Machine String(), e.g. EM_X86_64
	Class        string // proc-macro only: elf.Class String(), e.g. ELFCLASS64
}

// Manifest describes an artifacts tree.
type Manifest struct {
	Format       int
	ABI          string // kernel release
	Arch         string // kernel SRCARCH, e.g. x86
	RustcVersion string // CONFIG_RUSTC_VERSION_TEXT, unquoted
	ConfigSHA256 string // SHA-256 of the kernel .config
	// ProcMacroArch is the Debian architecture the proc macros run on, when they were
	// cross-built for another machine than the kernel's; empty for a native set.
	ProcMacroArch string
	Artifacts     []Artifact
}

// Marshal returns the deb822 text of m, artifacts sorted by path. Call Validate first
// when m does not come from Parse: Marshal does not check values.
func (m *Manifest) Marshal() []byte {
	var b bytes.Buffer
	field := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteByte('\n')
	}
	format := m.Format
	if format == 0 {
		format = Format
	}
	field("Format", strconv.Itoa(format))
	field("ABI", m.ABI)
	field("Architecture", m.Arch)
	field("Rustc-Version", m.RustcVersion)
	field("Config-SHA256", m.ConfigSHA256)
	if m.ProcMacroArch != "" {
		field("Proc-Macro-Architecture", m.ProcMacroArch)
	}
	for _, a := range m.sorted() {
		b.WriteByte('\n')
		field("Path", a.Path)
		field("Kind", string(a.Kind))
		field("Size", strconv.FormatInt(a.Size, 10))
		field("SHA256", a.SHA256)
		if a.BLAKE3 != "" {
			field("BLAKE3", a.BLAKE3)
		}
		if a.RustcVersion != "" {
			field("Rustc-Version", a.RustcVersion)
		}
		if a.Machine != "" {
			field("Machine", a.Machine)
		}
		if a.Class != "" {
			field("Class", a.Class)
		}
	}
	return b.Bytes()
}

// Package names the package that ships the set: linux-librust-<ABI>, or
// linux-librust-<ABI>-for-<arch> for a set cross-built for another machine.
func (m *Manifest) Package() string { return debarch.SetPackage(m.ABI, m.ProcMacroArch) }

// Sums returns SHA256SUMS exactly as sha256sum writes it: "<hex>  <path>\n", sorted by path.
func (m *Manifest) Sums() []byte {
	var b bytes.Buffer
	for _, a := range m.sorted() {
		b.WriteString(a.SHA256)
		b.WriteString("  ")
		b.WriteString(a.Path)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func (m *Manifest) sorted() []Artifact {
	byPath := func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) }
	if slices.IsSortedFunc(m.Artifacts, byPath) {
		return m.Artifacts // as Parse leaves them: no copy
	}
	as := slices.Clone(m.Artifacts)
	slices.SortStableFunc(as, byPath)
	return as
}

// Paths returns the artifact paths, sorted.
func (m *Manifest) Paths() []string {
	ps := make([]string, 0, len(m.Artifacts))
	for _, a := range m.sorted() {
		ps = append(ps, a.Path)
	}
	return ps
}

// Validate checks every value of m as Parse would.
func (m *Manifest) Validate() error {
	if m.Format != Format {
		return fmt.Errorf("unsupported manifest format %d (this linux-librust reads format %d)", m.Format, Format)
	}
	if err := layout.ValidateABI(m.ABI); err != nil {
		return err
	}
	if err := checkToken("Architecture", m.Arch); err != nil {
		return err
	}
	if err := checkValue("Rustc-Version", m.RustcVersion, true); err != nil {
		return err
	}
	if err := CheckSHA256(m.ConfigSHA256); err != nil {
		return fmt.Errorf("Config-SHA256: %w", err)
	}
	if m.ProcMacroArch != "" {
		if err := checkToken("Proc-Macro-Architecture", m.ProcMacroArch); err != nil {
			return err
		}
	}
	if len(m.Artifacts) > MaxArtifacts {
		return fmt.Errorf("%d artifacts, more than %d", len(m.Artifacts), MaxArtifacts)
	}
	seen := make(map[string]bool, len(m.Artifacts))
	for _, a := range m.Artifacts {
		if err := a.Validate(); err != nil {
			return err
		}
		if seen[a.Path] {
			return fmt.Errorf("artifact %s listed twice", a.Path)
		}
		seen[a.Path] = true
	}
	return checkNesting(m.Paths())
}

// Validate checks the values of a.
func (a *Artifact) Validate() error {
	if err := CheckPath(a.Path); err != nil {
		return err
	}
	switch a.Kind {
	case KindRmeta, KindProcMacro, KindTargetSpec, KindSupport:
	default:
		return fmt.Errorf("artifact %s: unknown Kind %q (known: rmeta, proc-macro, target-spec, support)", a.Path, a.Kind)
	}
	if a.Size < 0 {
		return fmt.Errorf("artifact %s: negative Size %d", a.Path, a.Size)
	}
	if err := CheckSHA256(a.SHA256); err != nil {
		return fmt.Errorf("artifact %s: SHA256: %w", a.Path, err)
	}
	if a.BLAKE3 != "" {
		if err := CheckBLAKE3(a.BLAKE3); err != nil {
			return fmt.Errorf("artifact %s: BLAKE3: %w", a.Path, err)
		}
	}
	if err := checkValue("Rustc-Version", a.RustcVersion, false); err != nil {
		return fmt.Errorf("artifact %s: %w", a.Path, err)
	}
	if (a.Kind == KindTargetSpec || a.Kind == KindSupport) && a.RustcVersion != "" {
		return fmt.Errorf("artifact %s: a %s has no Rustc-Version", a.Path, a.Kind)
	}
	if a.Kind == KindProcMacro {
		if err := checkToken("Machine", a.Machine); err != nil {
			return fmt.Errorf("artifact %s: %w", a.Path, err)
		}
		if err := checkToken("Class", a.Class); err != nil {
			return fmt.Errorf("artifact %s: %w", a.Path, err)
		}
	} else if a.Machine != "" || a.Class != "" {
		return fmt.Errorf("artifact %s: Machine and Class are for proc-macro artifacts only", a.Path)
	}
	if suf := kindSuffix(a.Kind); !strings.HasSuffix(a.Path, suf) {
		return fmt.Errorf("artifact %s: a %s artifact's name ends in %s", a.Path, a.Kind, suf)
	}
	return nil
}

// reserved tells the names of the manifest files and their temporary copies.
func reserved(p string) bool {
	switch p {
	case layout.ManifestName, layout.SumsName, layout.ManifestName + tempSuffix, layout.SumsName + tempSuffix:
		return true
	}
	return false
}

// toolSuffixes end the names linux-librust gives to objects next to a path it manages.
var toolSuffixes = []string{layout.TempSuffix, layout.BackupSuffix, layout.BackupTempSuffix}

// CheckPath reports whether p is a clean relative artifact path: no leading "/", no
// empty, "." or ".." components, no backslash or control characters, valid UTF-8, at
// most 16 components and 1024 bytes, not one of the manifest files, and no component
// ending in a suffix of the tool's own temporary files and backups.
func CheckPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("empty artifact path")
	case strings.Count(p, "/") >= maxDepth:
		return fmt.Errorf("artifact path %.40q…: %d components, more than %d", p, strings.Count(p, "/")+1, maxDepth)
	case len(p) > maxPathLen:
		return fmt.Errorf("artifact path %.40q…: longer than %d bytes", p, maxPathLen)
	case !utf8.ValidString(p):
		return fmt.Errorf("artifact path %q: not UTF-8", p)
	case p[0] == '/':
		return fmt.Errorf("artifact path %q: absolute; paths are relative to the kernel build tree", p)
	case reserved(p):
		return fmt.Errorf("artifact path %q: reserved for the manifest", p)
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return fmt.Errorf("artifact path %q: character %q not allowed", p, c)
		}
	}
	for _, c := range strings.Split(p, "/") {
		switch {
		case c == "":
			return fmt.Errorf("artifact path %q: empty component", p)
		case c == "." || c == "..":
			return fmt.Errorf("artifact path %q: %q component", p, c)
		case len(c) > maxNameLen:
			return fmt.Errorf("artifact path %q: component longer than %d bytes", p, maxNameLen)
		}
		for _, suf := range toolSuffixes {
			if strings.HasSuffix(c, suf) {
				return fmt.Errorf("artifact path %q: ends in %s, which linux-librust reserves for its own temporary files and backups", p, suf)
			}
		}
	}
	return nil
}

// kindSuffix returns the name ending each kind of artifact has.
func kindSuffix(k Kind) string {
	switch k {
	case KindRmeta:
		return ".rmeta"
	case KindProcMacro:
		return ".so"
	case KindTargetSpec:
		return ".json"
	}
	return ""
}

// CheckSHA256 reports whether s is 64 lowercase hex digits.
func CheckSHA256(s string) error { return checkDigest("SHA-256", s) }

// CheckBLAKE3 reports whether s is 64 lowercase hex digits.
func CheckBLAKE3(s string) error { return checkDigest("BLAKE3", s) }

// checkDigest reports whether s is a 256-bit digest in 64 lowercase hex digits.
func checkDigest(what, s string) error {
	ok := len(s) == 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
	}
	if !ok {
		return fmt.Errorf("%.80q is not a %s (64 lowercase hex digits)", s, what)
	}
	return nil
}

// checkNesting rejects a path that is also a directory of another (rust and rust/x):
// both cannot exist in one tree. paths must be sorted.
func checkNesting(paths []string) error {
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	for _, p := range paths {
		for d := p; ; {
			i := strings.LastIndexByte(d, '/')
			if i < 0 {
				break
			}
			d = d[:i]
			if set[d] {
				return fmt.Errorf("artifact path %s is also the directory of %s", d, p)
			}
		}
	}
	return nil
}

// checkValue accepts a one-line UTF-8 field value without surrounding space.
func checkValue(name, v string, required bool) error {
	if v == "" {
		if required {
			return fmt.Errorf("%s: empty", name)
		}
		return nil
	}
	if !utf8.ValidString(v) {
		return fmt.Errorf("%s: not UTF-8", name)
	}
	if strings.TrimSpace(v) != v {
		return fmt.Errorf("%s %q: leading or trailing space", name, v)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s %q: control character", name, v)
		}
	}
	return nil
}

// checkToken accepts a non-empty word of letters, digits and "._-".
func checkToken(name, v string) error {
	if v == "" {
		return fmt.Errorf("%s: empty", name)
	}
	if len(v) > 64 {
		return fmt.Errorf("%s %.20q…: too long", name, v)
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("%s %q: character %q not allowed", name, v, c)
		}
	}
	return nil
}
