package manifest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/linux-librust/linux-librust/internal/layout"
)

type field struct {
	name, value string
	line        int
}

type stanza struct {
	line   int
	fields map[string]field // key: lower-case name (deb822 names are case-insensitive)
}

func (s stanza) get(name string) (field, bool) {
	f, ok := s.fields[fieldKey(name)]
	return f, ok
}

// fieldNames are the lower-case names of the fields Parse reads.
var fieldNames = [...]string{
	"format", "abi", "architecture", "rustc-version", "config-sha256", "proc-macro-architecture",
	"path", "kind", "size", "sha256", "blake3", "machine", "class",
}

// fieldKey returns the lower-case form of a field name, without allocating for the
// names Parse reads.
func fieldKey(name string) string {
	for _, k := range fieldNames {
		if len(k) == len(name) && strings.EqualFold(k, name) {
			return k
		}
	}
	return strings.ToLower(name)
}

// knownField tells the fields Parse reads (lower-case names), all one-line fields;
// continuation lines are only tolerated for others.
func knownField(name string) bool {
	for _, k := range fieldNames {
		if k == name {
			return true
		}
	}
	return false
}

// splitLines splits data into LF-terminated lines, checking size, encoding and line ends.
func splitLines(data []byte, what string) ([]string, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%s is %d bytes, more than %d", what, len(data), MaxBytes)
	}
	lines := strings.Split(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if !utf8.ValidString(l) {
			return nil, fmt.Errorf("line %d: not UTF-8", i+1)
		}
		if strings.ContainsRune(l, '\r') {
			return nil, fmt.Errorf("line %d: carriage return; lines end with LF only", i+1)
		}
	}
	return lines, nil
}

// parseStanzas splits deb822 text into stanzas.
func parseStanzas(data []byte) ([]stanza, error) {
	lines, err := splitLines(data, "manifest")
	if err != nil {
		return nil, err
	}
	var (
		out  []stanza
		cur  *stanza
		last string // lower-case name of the field continued by a continuation line
	)
	for i, l := range lines {
		n := i + 1
		switch {
		case l == "":
			cur, last = nil, ""
			continue
		case l[0] == ' ' || l[0] == '\t':
			if cur == nil || last == "" {
				return nil, fmt.Errorf("line %d: continuation line without a field", n)
			}
			if knownField(last) {
				return nil, fmt.Errorf("line %d: continuation line for %s, which is a one-line field", n, cur.fields[last].name)
			}
			continue
		}
		colon := strings.IndexByte(l, ':')
		if colon <= 0 {
			return nil, fmt.Errorf("line %d: %q is not \"Field: value\"", n, trunc(l))
		}
		name := l[:colon]
		for j := 0; j < len(name); j++ {
			if c := name[j]; c <= ' ' || c >= 0x7f || j == 0 && (c == '#' || c == '-') {
				return nil, fmt.Errorf("line %d: bad field name %q", n, trunc(name))
			}
		}
		if cur == nil {
			if len(out) > MaxArtifacts {
				return nil, fmt.Errorf("line %d: more than %d artifacts", n, MaxArtifacts)
			}
			out = append(out, stanza{line: n, fields: make(map[string]field, 8)})
			cur = &out[len(out)-1]
		}
		key := fieldKey(name)
		if prev, dup := cur.fields[key]; dup {
			return nil, fmt.Errorf("line %d: field %s repeated (first at line %d)", n, name, prev.line)
		}
		cur.fields[key] = field{name: name, value: strings.Trim(l[colon+1:], " \t"), line: n}
		last = key
	}
	return out, nil
}

// Parse reads the deb822 text of a manifest. Unknown fields are ignored; every known
// value is checked, and errors give the line.
func Parse(data []byte) (*Manifest, error) {
	stanzas, err := parseStanzas(data)
	if err != nil {
		return nil, err
	}
	if len(stanzas) == 0 {
		return nil, fmt.Errorf("empty manifest: no Format stanza")
	}
	h := stanzas[0]
	m := &Manifest{}
	req := func(s stanza, name string) (field, error) {
		f, ok := s.get(name)
		if !ok {
			return f, fmt.Errorf("stanza at line %d: missing %s", s.line, name)
		}
		return f, nil
	}
	f, err := req(h, "Format")
	if err != nil {
		return nil, err
	}
	if f.value != strconv.Itoa(Format) {
		return nil, fmt.Errorf("line %d: unsupported manifest format %q; this linux-librust reads format %d, upgrade it", f.line, f.value, Format)
	}
	m.Format = Format
	for _, x := range []struct {
		name  string
		dst   *string
		check func(string) error
	}{
		{"ABI", &m.ABI, layout.ValidateABI},
		{"Architecture", &m.Arch, func(v string) error { return checkToken("Architecture", v) }},
		{"Rustc-Version", &m.RustcVersion, func(v string) error { return checkValue("Rustc-Version", v, true) }},
		{"Config-SHA256", &m.ConfigSHA256, CheckSHA256},
	} {
		f, err := req(h, x.name)
		if err != nil {
			return nil, err
		}
		if err := x.check(f.value); err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", f.line, x.name, err)
		}
		*x.dst = f.value
	}
	if f, ok := h.get("Proc-Macro-Architecture"); ok {
		if err := checkToken("Proc-Macro-Architecture", f.value); err != nil {
			return nil, fmt.Errorf("line %d: %w", f.line, err)
		}
		m.ProcMacroArch = f.value
	}
	if _, ok := h.get("Path"); ok {
		return nil, fmt.Errorf("stanza at line %d: the first stanza describes the set and has no Path", h.line)
	}

	m.Artifacts = make([]Artifact, 0, len(stanzas)-1)
	seen := make(map[string]int, len(stanzas))
	for _, s := range stanzas[1:] {
		var a Artifact
		for _, name := range []string{"Path", "Kind", "Size", "SHA256"} {
			if _, err := req(s, name); err != nil {
				return nil, err
			}
		}
		pf, _ := s.get("Path")
		a.Path = pf.value
		if first, dup := seen[a.Path]; dup {
			return nil, fmt.Errorf("line %d: artifact %s already listed at line %d", pf.line, a.Path, first)
		}
		seen[a.Path] = pf.line
		kf, _ := s.get("Kind")
		a.Kind = Kind(kf.value)
		sf, _ := s.get("Size")
		if sf.value == "" || sf.value[0] < '0' || sf.value[0] > '9' {
			if strings.HasPrefix(sf.value, "-") {
				return nil, fmt.Errorf("line %d: negative Size %q", sf.line, sf.value)
			}
			return nil, fmt.Errorf("line %d: Size %q is not a decimal number", sf.line, sf.value)
		}
		if a.Size, err = strconv.ParseInt(sf.value, 10, 64); err != nil {
			return nil, fmt.Errorf("line %d: Size %q is not a decimal number", sf.line, sf.value)
		}
		hf, _ := s.get("SHA256")
		a.SHA256 = hf.value
		bf, hasBLAKE3 := s.get("BLAKE3")
		a.BLAKE3 = bf.value
		if f, ok := s.get("Rustc-Version"); ok {
			a.RustcVersion = f.value
		}
		if f, ok := s.get("Machine"); ok {
			a.Machine = f.value
		}
		if f, ok := s.get("Class"); ok {
			a.Class = f.value
		}
		if hasBLAKE3 { // its line, and an empty one too: Validate takes empty for absent
			if err := CheckBLAKE3(a.BLAKE3); err != nil {
				return nil, fmt.Errorf("line %d: artifact %s: BLAKE3: %w", bf.line, a.Path, err)
			}
		}
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("stanza at line %d: %w", s.line, err)
		}
		m.Artifacts = append(m.Artifacts, a)
	}
	sort.Slice(m.Artifacts, func(i, j int) bool { return m.Artifacts[i].Path < m.Artifacts[j].Path })
	if err := checkNesting(m.Paths()); err != nil {
		return nil, err
	}
	return m, nil
}

// ParseSums reads SHA256SUMS as sha256sum writes it ("<hex>  <path>", or "<hex> *<path>"
// for binary mode) and returns the digest by path. Escaped names (lines starting with a
// backslash) are refused: artifact paths never need escaping.
func ParseSums(data []byte) (map[string]string, error) {
	lines, err := splitLines(data, "checksum file")
	if err != nil {
		return nil, err
	}
	if len(lines) > MaxArtifacts {
		return nil, fmt.Errorf("more than %d lines", MaxArtifacts)
	}
	sums := make(map[string]string, len(lines))
	first := make(map[string]int, len(lines))
	for i, l := range lines {
		n := i + 1
		if len(l) < 67 || l[64] != ' ' || (l[65] != ' ' && l[65] != '*') {
			return nil, fmt.Errorf("line %d: %q is not \"<sha256>  <path>\"", n, trunc(l))
		}
		sum, p := l[:64], l[66:]
		if err := CheckSHA256(sum); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if err := CheckPath(p); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if prev, dup := first[p]; dup {
			return nil, fmt.Errorf("line %d: %s already listed at line %d", n, p, prev)
		}
		first[p] = n
		sums[p] = sum
	}
	return sums, nil
}

func trunc(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
