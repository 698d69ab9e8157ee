// Package layout names the paths linux-librust manages (and the names it gives to
// objects next to them), validates kernel ABI names, and finds the ABIs whose trees
// exist.
//
// Every path is a package variable so that a packager can override it at link time:
//
//	go build -ldflags "-X github.com/linux-librust/linux-librust/internal/layout.ArtifactsPattern=/usr/lib/rust-%s"
package layout

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Path patterns; %s is the kernel ABI (e.g. 7.2.13+deb14-amd64). All are absolute
// and interpreted inside the root (--root, DPKG_ROOT or /).
var (
	HeadersPattern   = "/usr/src/linux-headers-%s"
	ArtifactsPattern = "/usr/lib/linux-librust-%s"
	// BuildArtifactsPattern is the artifacts tree of a set whose proc macros run on
	// another machine than the kernel (a cross build's set, see set.go); the first %s is
	// that machine's multiarch tuple (e.g. x86_64-linux-gnu), the second the ABI.
	BuildArtifactsPattern = "/usr/lib/%s/linux-librust-%s"
	StateDir              = "/var/lib/linux-librust"
	LockFile              = "/var/lib/linux-librust/lock"
	LogFile               = "/var/log/linux-librust.log"
	// KbuildPattern is the host tools tree shared by every flavour of a kernel
	// version (Debian's linux-kbuild-<ver>); %s is the version (e.g. 7.2).
	KbuildPattern = "/usr/lib/linux-kbuild-%s"
)

// Names of the manifest files inside an artifacts tree.
const (
	ManifestName = "linux-librust.manifest"
	SumsName     = "SHA256SUMS"
)

// Suffixes of the names the tool gives to objects next to a path it manages.
const (
	TempSuffix       = ".linux-librust-tmp"        // a link being created
	BackupSuffix     = ".linux-librust-backup"     // a foreign object moved aside by --force
	BackupTempSuffix = ".linux-librust-backup-tmp" // a backup copy being written
)

// MaxABILen bounds an ABI name (a path component must stay well below NAME_MAX).
const MaxABILen = 200

// Headers returns the headers tree of abi.
func Headers(abi string) string { return fmt.Sprintf(HeadersPattern, abi) }

// NativeArtifacts returns the artifacts tree of abi's native set, the one built on the
// kernel's own architecture.
func NativeArtifacts(abi string) string { return fmt.Sprintf(ArtifactsPattern, abi) }

// BuildArtifacts returns the artifacts tree of abi's set whose proc macros run on the
// machine of multiarch tuple.
func BuildArtifacts(tuple, abi string) string {
	return fmt.Sprintf(BuildArtifactsPattern, tuple, abi)
}

// ValidateABI reports whether abi is a plausible Debian kernel release: letters, digits
// and ".+~_-", starting with a letter or digit, at most MaxABILen bytes, never "." or "..".
func ValidateABI(abi string) error {
	if abi == "" {
		return fmt.Errorf("invalid kernel ABI %q: empty; give a kernel release such as 7.2.13+deb14-amd64", abi)
	}
	if len(abi) > MaxABILen {
		return fmt.Errorf("invalid kernel ABI %q: longer than %d bytes", abi[:32]+"…", MaxABILen)
	}
	for i := 0; i < len(abi); i++ {
		c := abi[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !ok && (i == 0 || !strings.ContainsRune(".+~_-", rune(c))) {
			return fmt.Errorf("invalid kernel ABI %q: %s at offset %d; a kernel release has letters, digits and .+~_- and starts with a letter or digit (e.g. 7.2.13+deb14-amd64)", abi, badChar(abi[i:]), i)
		}
	}
	return nil
}

// badChar names the first character of s: the rune when s starts with valid UTF-8,
// else the byte.
func badChar(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size <= 1:
		return fmt.Sprintf("byte %#02x (not UTF-8)", s[0])
	case r >= utf8.RuneSelf:
		return fmt.Sprintf("character %q (%U)", r, r)
	}
	return fmt.Sprintf("character %q", r)
}

// ABIFromPath returns the ABI encoded in p by pattern, or "" when p does not match.
func ABIFromPath(pattern, p string) string {
	i := strings.Index(pattern, "%s")
	if i < 0 {
		return ""
	}
	prefix, suffix := pattern[:i], pattern[i+2:]
	p = path.Clean(p)
	if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, suffix) || len(p) <= len(prefix)+len(suffix) {
		return ""
	}
	abi := p[len(prefix) : len(p)-len(suffix)]
	if ValidateABI(abi) != nil {
		return ""
	}
	return abi
}

// LinkTarget returns the relative target of a link at the absolute clean path link to
// the absolute clean path to.
func LinkTarget(link, to string) string {
	from := path.Dir(link)
	fc := strings.Split(strings.TrimPrefix(from, "/"), "/")
	tc := strings.Split(strings.TrimPrefix(to, "/"), "/")
	if from == "/" {
		fc = nil
	}
	n := 0
	for n < len(fc) && n < len(tc)-1 && fc[n] == tc[n] {
		n++
	}
	parts := make([]string, 0, len(fc)-n+len(tc)-n)
	for range fc[n:] {
		parts = append(parts, "..")
	}
	parts = append(parts, tc[n:]...)
	return strings.Join(parts, "/")
}

// Scan lists the directory holding the %s component of pattern and returns, in the
// order listed, the ABIs of the entries that match it.
func Scan(fsys afero.Fs, pattern string) ([]string, error) {
	i := strings.Index(pattern, "%s")
	if i < 0 {
		return nil, nil
	}
	dir := path.Dir(pattern[:i] + "x")
	rest := pattern[len(dir)+1:] // component with %s, and what follows
	names, err := rootfs.ListDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	comp, _, _ := strings.Cut(rest, "/")
	pre, suf, _ := strings.Cut(comp, "%s")
	var abis []string
	for _, n := range names {
		if !strings.HasPrefix(n, pre) || !strings.HasSuffix(n, suf) || len(n) <= len(pre)+len(suf) {
			continue
		}
		abi := n[len(pre) : len(n)-len(suf)]
		if ABIFromPath(pattern, fmt.Sprintf(pattern, abi)) == abi {
			abis = append(abis, abi)
		}
	}
	return abis, nil
}
