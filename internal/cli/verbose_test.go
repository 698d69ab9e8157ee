package cli

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// -v shows each step of every command that acts on kernels; without it there is
// no debug line. The commands run in sequence on one root.
func TestVerboseShowsEachStep(t *testing.T) {
	root := collected(t)
	st := "/var/lib/linux-librust/" + abi
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"link", abi}, []string{
			"D: took the lock /var/lib/linux-librust/lock",
			"D: " + abi + ": link: looking at what is on disk",
			"D: " + abi + ": headers tree /usr/src/linux-headers-" + abi + ": installed",
			"D: " + abi + ": artifacts tree /usr/lib/linux-librust-" + abi + ": 4 artifact(s) in the manifest",
			"D: " + abi + ": state record " + st + ": 0 entries",
			"D: " + abi + ": 0 of 4 artifact(s) linked, 0 stale",
			"D: " + abi + ": quick checks of 4 artifact(s), built by ",
			"D: " + abi + ": note: rustc-not-installed: ",
			"D: " + abi + ": quick checks: 1 finding(s), 0 refusing the link",
			"I: link /usr/src/linux-headers-" + abi + "/rust/libcore.rmeta",
			"D: " + abi + ": link: done, 6 action(s) taken",
		}},
		{[]string{"status", abi}, []string{
			"D: " + abi + ": status: looking at what is on disk",
			"D: " + abi + ": state record " + st + ": 6 entries",
			"D: " + abi + ": 4 of 4 artifact(s) linked, 0 stale",
			"D: " + abi + ": 0 problem(s); repair would take 0 action(s)",
		}},
		{[]string{"verify", abi}, []string{
			"D: " + abi + ": quick check of /usr/lib/linux-librust-" + abi + ", linked into /usr/src/linux-headers-" + abi,
			"D: " + abi + ": checked rust/libmacros.so",
			"D: " + abi + ": the set was built by ",
			"D: " + abi + ": installed rustc: ",
			"D: " + abi + ": 1 finding(s)",
		}},
		{[]string{"repair", abi}, []string{
			"D: " + abi + ": repair: looking at what is on disk",
			"D: " + abi + ": 0 problem(s), 0 action(s) planned",
			"D: " + abi + ": repair: done, 0 action(s) taken",
		}},
		{[]string{"unlink", abi}, []string{
			"D: " + abi + ": unlink: looking at what is on disk",
			"D: " + abi + ": 0 problem(s), 6 action(s) planned",
			"I: remove link /usr/src/linux-headers-" + abi + "/rust/libcore.rmeta",
			"D: " + abi + ": unlink: done, 6 action(s) taken",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.args[0], func(t *testing.T) {
			quiet := run(t, nil, append([]string{"--root", root, "--dry-run"}, tt.args...)...)
			assert.NotContains(t, quiet.stderr, "D: ", "no debug lines without -v")

			r := run(t, nil, append([]string{"--root", root, "-v"}, tt.args...)...)
			require.Equal(t, ExitOK, r.code, r.stderr)
			lines := strings.Split(r.stderr, "\n")
			at := 0
			for _, w := range tt.want {
				found := false
				for at < len(lines) && !found {
					found = strings.HasPrefix(lines[at], w)
					at++
				}
				assert.True(t, found, "%v -v: no line %q in order in:\n%s", tt.args, w, r.stderr)
			}
		})
	}
}
