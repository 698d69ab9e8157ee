// Package layout names the paths linux-librust manages and validates kernel ABI names.
//
// Every path is a package variable so that a packager can override it at link time:
//
//	go build -ldflags "-X github.com/linux-librust/linux-librust/internal/layout.ArtifactsPattern=/usr/lib/rust-%s"
package layout

import (
	"fmt"
	"path"
	"strings"
)

// Path patterns; %s is the kernel ABI (e.g. 7.2.13+deb14-amd64). All are absolute
// and interpreted inside the root (--root, DPKG_ROOT or /).
var (
	HeadersPattern   = "/usr/src/linux-headers-%s"
	ArtifactsPattern = "/usr/lib/linux-librust-%s"
	StateDir         = "/var/lib/linux-librust"
	LockFile         = "/var/lib/linux-librust/lock"
	LogFile          = "/var/log/linux-librust.log"
	// KbuildPattern is the host tools tree shared by every flavour of a kernel
	// version (Debian's linux-kbuild-<ver>); %s is the version (e.g. 7.2).
	KbuildPattern = "/usr/lib/linux-kbuild-%s"
)

// Names of the manifest files inside an artifacts tree.
const (
	ManifestName = "linux-librust.manifest"
	SumsName     = "SHA256SUMS"
)

// MaxABILen bounds an ABI name (a path component must stay well below NAME_MAX).
const MaxABILen = 200

// Headers returns the headers tree of abi.
func Headers(abi string) string { return fmt.Sprintf(HeadersPattern, abi) }

// Artifacts returns the artifacts tree of abi.
func Artifacts(abi string) string { return fmt.Sprintf(ArtifactsPattern, abi) }

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
			return fmt.Errorf("invalid kernel ABI %q: character %q at offset %d; a kernel release has letters, digits and .+~_- and starts with a letter or digit (e.g. 7.2.13+deb14-amd64)", abi, c, i)
		}
	}
	return nil
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
