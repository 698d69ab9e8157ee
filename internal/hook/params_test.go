package hook

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitParams(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"configure", []string{"configure"}},
		{"configure 7.2.13-1", []string{"configure", "7.2.13-1"}},
		{"configure  7.2.13-1 ", []string{"configure", "7.2.13-1"}},
		{"'configure' '7.2.13-1'", []string{"configure", "7.2.13-1"}},
		{"'configure' ''", []string{"configure", ""}},
		{"'abort-upgrade' '7.2.13-2'", []string{"abort-upgrade", "7.2.13-2"}},
		{"remove\t'a b'", []string{"remove", "a b"}},
		{`'it'\''s'`, []string{"it's"}},
		{`a\ b c`, []string{"a b", "c"}},
		{"'unterminated", []string{"unterminated"}},
		{`trailing\`, []string{`trailing\`}},
		{"con'fig'ure", []string{"configure"}},
		{"upgrade\n7.2.13-1", []string{"upgrade", "7.2.13-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, SplitParams(tt.in))
		})
	}
}

func TestSplitTriggers(t *testing.T) {
	assert.Equal(t, []string{"/usr/bin/rustc", "linux-librust-relink"}, SplitTriggers(" /usr/bin/rustc  linux-librust-relink "))
	assert.Empty(t, SplitTriggers(""))
}

// FuzzSplitParams checks that splitting never panics, never yields more fields
// than the input has bytes, and that plain blank-separated words round-trip.
func FuzzSplitParams(f *testing.F) {
	for _, s := range []string{"", "configure 1.0", "'configure' '1.0'", `'a'\''b'`, "'", `\`, "a\\", "x 'y z' \\w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fields := SplitParams(s)
		if len(fields) > len(s) {
			t.Fatalf("%q: %d fields from %d bytes", s, len(fields), len(s))
		}
		if !strings.ContainsAny(s, `'\`) {
			want := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
			if len(want) == 0 {
				want = nil
			}
			assert.Equal(t, want, fields)
		}
	})
}
