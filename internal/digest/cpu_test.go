package digest

import (
	"bufio"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCPUFeatures: the stand-in for github.com/klauspost/cpuid/v2 (internal/cpuid, whose
// own test takes each combination) tells guts of AVX2 and AVX-512F exactly when the
// kernel reports them in /proc/cpuinfo, so BLAKE3 is hashed with the instructions the
// machine has, and never with ones it lacks.
func TestCPUFeatures(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x86 features only")
	}
	if strings.Contains(os.Getenv("GODEBUG"), "cpu.") {
		t.Skip("GODEBUG turns CPU features off")
	}
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	flags := map[string]bool{}
	for s := bufio.NewScanner(f); s.Scan(); {
		if name, value, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(name) == "flags" {
			for _, flag := range strings.Fields(value) {
				flags[flag] = true
			}
			break
		}
	}
	require.NotEmpty(t, flags, "no flags line in /proc/cpuinfo")
	for _, tt := range []struct {
		flag string
		ids  []cpuid.FeatureID
		want bool
	}{
		{"avx2", []cpuid.FeatureID{cpuid.AVX2}, flags["avx2"]},
		{"avx512f", []cpuid.FeatureID{cpuid.AVX512F}, flags["avx512f"]},
		{"both", []cpuid.FeatureID{cpuid.AVX2, cpuid.AVX512F}, flags["avx2"] && flags["avx512f"]},
		{"none asked", nil, true},
		{"unknown", []cpuid.FeatureID{0}, false},
	} {
		assert.Equal(t, tt.want, cpuid.CPU.Supports(tt.ids...), tt.flag)
	}
	t.Logf("avx2 %v, avx512f %v", flags["avx2"], flags["avx512f"])
}
