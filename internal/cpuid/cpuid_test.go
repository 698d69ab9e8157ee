package cpuid

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestSupports: each feature is answered from its own bit, a list only when all of it
// is there, an unknown feature never.
func TestSupports(t *testing.T) {
	for _, tt := range []struct {
		ids  []FeatureID
		want [4]bool // on a CPU with neither, AVX2 alone, AVX-512F alone, both
	}{
		{nil, [4]bool{true, true, true, true}},
		{[]FeatureID{AVX2}, [4]bool{false, true, false, true}},
		{[]FeatureID{AVX512F}, [4]bool{false, false, true, true}},
		{[]FeatureID{AVX2, AVX512F}, [4]bool{false, false, false, true}},
		{[]FeatureID{AVX512F, AVX2}, [4]bool{false, false, false, true}},
		{[]FeatureID{0}, [4]bool{}},
		{[]FeatureID{AVX2, 3}, [4]bool{}},
	} {
		for c, want := range tt.want {
			avx2, avx512f := c&1 != 0, c&2 != 0
			assert.Equal(t, want, supports(avx2, avx512f, tt.ids),
				fmt.Sprintf("%v with avx2 %v, avx512f %v", tt.ids, avx2, avx512f))
		}
	}
}
