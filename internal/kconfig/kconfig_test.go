package kconfig

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/config")
	require.NoError(t, err)
	defer f.Close()
	c, err := Parse(f)
	require.NoError(t, err)
	assert.Equal(t, "x86", c.Arch())
	assert.Equal(t, "7.2.13+deb14-amd64", c.KernelVersion())

	raw, ok := c.Get("CONFIG_HZ")
	assert.True(t, ok)
	assert.Equal(t, "1000", raw, "the last assignment wins")
	assert.Equal(t, 21, c.Line("CONFIG_HZ"))
	_, ok = c.Get("CONFIG_NOPE")
	assert.False(t, ok)
	raw, ok = c.Get("CONFIG_RUST_DEBUG_ASSERTIONS")
	assert.True(t, ok)
	assert.Equal(t, "n", raw)

	strs := []struct {
		name string
		want string
		ok   bool
		err  string
	}{
		{"CONFIG_RUSTC_VERSION_TEXT", "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)", true, ""},
		{"CONFIG_LOCALVERSION", "", true, ""},
		{"CONFIG_CMDLINE", `quiet "a b" c:\d`, true, ""},
		{"CONFIG_ABSENT", "", false, ""},
		{"CONFIG_BROKEN", "", true, "invalid kernel configuration: CONFIG_BROKEN on line 19: string value \"\\\"unterminated\" lacks its closing quote"},
		{"CONFIG_HZ", "", true, "invalid kernel configuration: CONFIG_HZ on line 21: string value \"1000\" is not in double quotes"},
	}
	for _, tt := range strs {
		t.Run(tt.name, func(t *testing.T) {
			s, ok, err := c.String(tt.name)
			assert.Equal(t, tt.ok, ok)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				require.ErrorIs(t, err, ErrSyntax)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, s)
		})
	}

	bools := []struct {
		name string
		want Tristate
		err  string
	}{
		{"CONFIG_RUST", Yes, ""},
		{"CONFIG_SAMPLES_RUST", Module, ""},
		{"CONFIG_RUST_DEBUG_ASSERTIONS", No, ""},
		{"CONFIG_BASE_SMALL", No, ""},
		{"CONFIG_ABSENT", Absent, ""},
		{"CONFIG_WEIRD", Absent, `invalid kernel configuration: CONFIG_WEIRD on line 22 is "maybe", not y, m or n`},
	}
	for _, tt := range bools {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Bool(tt.name)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		err   string
	}{
		{"junk line", "CONFIG_A=y\nhello\n", `invalid kernel configuration: line 2: expected CONFIG_NAME=value or a comment, found "hello"`},
		{"bad name", "CONFIG_A-B=y\n", `invalid kernel configuration: line 1: expected CONFIG_NAME=value or a comment, found "CONFIG_A-B=y"`},
		{"long line", "# x\nCONFIG_A=\"" + strings.Repeat("a", MaxLineLen) + "\"\n", "invalid kernel configuration: line 2 longer than 65536 bytes"},
		{"too big", strings.Repeat("#\n", MaxSize/2+1), "invalid kernel configuration: larger than 16777216 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.input))
			require.EqualError(t, err, tt.err)
			require.ErrorIs(t, err, ErrSyntax)
		})
	}
}

func TestParseNoHeader(t *testing.T) {
	c, err := Parse(strings.NewReader("CONFIG_RUST=y"))
	require.NoError(t, err)
	assert.Equal(t, "", c.Arch())
	got, err := c.Bool("CONFIG_RUST")
	require.NoError(t, err)
	assert.Equal(t, Yes, got)
}

func TestQuote(t *testing.T) {
	for _, s := range []string{"", `a"b`, `c:\d`, `\"`, "rustc 1.97.1 (8bab26f4f 2026-07-14) (built from a source tarball)"} {
		got, err := Unquote(Quote(s))
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	for _, raw := range []string{``, `"`, `x`, `"a`, `"a\"`, `"a"b"`, `'a'`} {
		_, err := Unquote(raw)
		assert.ErrorIs(t, err, ErrSyntax, raw)
	}
}

func FuzzParse(f *testing.F) {
	seed, err := os.ReadFile("testdata/config")
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte("# CONFIG_X is not set\nCONFIG_Y=\"\\\\\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(strings.NewReader(string(data)))
		if err != nil {
			return
		}
		for name := range c.values {
			s, ok, err := c.String(name)
			if err == nil && ok {
				back, err := Unquote(Quote(s))
				if err != nil || back != s {
					t.Fatalf("quote round trip of %q: %q, %v", s, back, err)
				}
			}
			_, _ = c.Bool(name)
		}
	})
}
