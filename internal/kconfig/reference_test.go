package kconfig

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The grammar Parse implements, as regular expressions: the reference it is fuzzed
// against.
var (
	assignRe = regexp.MustCompile(`^(CONFIG_[A-Za-z0-9_]+)=(.*)$`)
	unsetRe  = regexp.MustCompile(`^# (CONFIG_[A-Za-z0-9_]+) is not set$`)
	headerRe = regexp.MustCompile(`^# Linux/(\S+) (\S+) Kernel Configuration$`)
)

// referenceParse returns the values, the header and whether every line is valid.
func referenceParse(data string) (map[string]value, string, string, bool) {
	values := map[string]value{}
	arch, kernel := "", ""
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(nil, MaxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if m := assignRe.FindStringSubmatch(line); m != nil {
			values[m[1]] = value{m[2], n}
		} else if m := unsetRe.FindStringSubmatch(line); m != nil {
			values[m[1]] = value{"n", n}
		} else if m := headerRe.FindStringSubmatch(line); m != nil && arch == "" {
			arch, kernel = m[1], m[2]
		} else if line != "" && !strings.HasPrefix(line, "#") {
			return nil, "", "", false
		}
	}
	return values, arch, kernel, sc.Err() == nil
}

func FuzzParseAsReference(f *testing.F) {
	seed, err := os.ReadFile("testdata/config")
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte("# Linux/x86 7.2.13 Kernel Configuration\n# CONFIG_X is not set\nCONFIG_Y=\"a\"\r\nCONFIG_=1\n#  CONFIG_Z is not set\n"))
	f.Add([]byte("# Linux/x 86 7 Kernel Configuration\n# Linux/a\tb c Kernel Configuration\nCONFIG_é=1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		values, arch, kernel, ok := referenceParse(string(data))
		c, err := Parse(strings.NewReader(string(data)))
		if !ok {
			if err == nil {
				t.Fatalf("accepted what the grammar refuses: %q", data)
			}
			return
		}
		if err != nil {
			t.Fatalf("refused what the grammar accepts: %v", err)
		}
		require.Equal(t, values, c.values)
		require.Equal(t, arch, c.arch)
		require.Equal(t, kernel, c.kernel)

		some, err := ParseSymbols(strings.NewReader(string(data)), "CONFIG_RUST", "CONFIG_Y")
		require.NoError(t, err)
		for _, name := range []string{"CONFIG_RUST", "CONFIG_Y"} {
			require.Equal(t, values[name], some.values[name])
		}
		require.LessOrEqual(t, len(some.values), 2)
		require.Equal(t, arch, some.arch)
	})
}
