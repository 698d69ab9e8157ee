package layout

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateABI(t *testing.T) {
	tests := []struct {
		abi     string
		wantErr string
	}{
		{"7.2.13+deb14-amd64", ""},
		{"6.1.0-28-cloud-amd64", ""},
		{"6.12.9~bpo12+1-rt-arm64", ""},
		{"6.6.0_asahi-16-arm64", ""},
		{"", "empty"},
		{".", "character '.' at offset 0"},
		{"..", "character '.' at offset 0"},
		{"-7.2", "character '-' at offset 0"},
		{"7.2/../../etc", "character '/' at offset 3"},
		{"/etc", "character '/' at offset 0"},
		{"7.2 amd64", "character ' ' at offset 3"},
		{"7.2\n", "character '\\n' at offset 3"},
		{"7.2\x00", "character '\\x00' at offset 3"},
		{"7.2.13é", "character 'é' (U+00E9) at offset 6"},
		{"7.2.13\xc3", "byte 0xc3 (not UTF-8) at offset 6"},
		{strings.Repeat("a", MaxABILen), ""},
		{strings.Repeat("a", MaxABILen+1), "longer than 200 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.abi, func(t *testing.T) {
			err := ValidateABI(tt.abi)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Contains(t, err.Error(), "invalid kernel ABI")
			}
		})
	}
}

func TestABIFromPath(t *testing.T) {
	tests := []struct {
		pattern, path, want string
	}{
		{HeadersPattern, "/usr/src/linux-headers-7.2.13+deb14-amd64", "7.2.13+deb14-amd64"},
		{HeadersPattern, "/usr/src/linux-headers-7.2.13+deb14-amd64/", "7.2.13+deb14-amd64"},
		{HeadersPattern, "/usr/src/linux-headers-", ""},
		{HeadersPattern, "/usr/src/linux-headers-7.2.13-common", "7.2.13-common"},
		{HeadersPattern, "/usr/src/linux-headers-a/b", ""},
		{ArtifactsPattern, "/usr/lib/linux-librust-7.2.13+deb14-amd64", "7.2.13+deb14-amd64"},
		{ArtifactsPattern, "/usr/lib/linux-kbuild-7.2", ""},
		{"/var/lib/x/%s.state", "/var/lib/x/1.2.state", "1.2"},
		{"/no/verb", "/no/verb", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ABIFromPath(tt.pattern, tt.path), "%s %s", tt.pattern, tt.path)
	}
}

func FuzzValidateABI(f *testing.F) {
	for _, s := range []string{"7.2.13+deb14-amd64", "..", "a/b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, abi string) {
		if ValidateABI(abi) != nil {
			return
		}
		// An accepted ABI is a single, harmless path component.
		assert.NotContains(t, abi, "/")
		assert.NotEqual(t, "..", abi)
		assert.NotEqual(t, ".", abi)
		assert.LessOrEqual(t, len(abi), MaxABILen)
		assert.Equal(t, abi, ABIFromPath(HeadersPattern, Headers(abi)))
	})
}
