package hook

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
)

// The shipped scripts and trigger files are thin: these tests hold them to the
// contexts and names that Decide expects.

const repoRoot = "../.."

var osFS = afero.NewOsFs()

func readRepo(t *testing.T, name string) string {
	t.Helper()
	b, err := afero.ReadFile(osFS, path.Join(repoRoot, name))
	require.NoError(t, err)
	return string(b)
}

func TestKernelHookScripts(t *testing.T) {
	runParts := regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	tests := []struct {
		dir         Context
		beforeDKMS  bool // install hooks: the links must exist before dkms builds
		wantEntries int
	}{
		{HeaderPostinst, true, 1},
		{ImagePostinst, true, 1},
		{ImagePrerm, false, 1},
		{ImagePostrm, false, 1},
	}
	for _, tt := range tests {
		t.Run(string(tt.dir), func(t *testing.T) {
			entries, err := afero.ReadDir(osFS, path.Join(repoRoot, "hooks", string(tt.dir)))
			require.NoError(t, err)
			require.Len(t, entries, tt.wantEntries)
			for _, e := range entries {
				name := e.Name()
				assert.Regexp(t, runParts, name, "run-parts skips names with other characters")
				if tt.beforeDKMS {
					assert.Less(t, name, "dkms")
				} else {
					assert.Greater(t, name, "dkms")
					assert.Less(t, name, "zz-", "zz- is reserved for boot loaders")
				}
				checkScript(t, path.Join("hooks", string(tt.dir), name), e.Mode().Perm(), string(tt.dir))
			}
		})
	}
}

func TestKernelInstallPlugin(t *testing.T) {
	entries, err := afero.ReadDir(osFS, path.Join(repoRoot, "hooks", "install.d"))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	name := entries[0].Name()
	assert.Regexp(t, `^[0-9][0-9]-linux-librust\.install$`, name)
	assert.Less(t, name, "40-dkms.install")
	checkScript(t, "hooks/install.d/"+name, entries[0].Mode().Perm(), string(KernelInstall))
}

func checkScript(t *testing.T, name string, perm fs.FileMode, ctx string) {
	t.Helper()
	assert.Equal(t, fs.FileMode(0o111), perm&0o111, "%s must be executable by all", name)
	s := readRepo(t, name)
	assert.True(t, strings.HasPrefix(s, "#!/bin/sh\n"), "%s: #!/bin/sh first", name)
	assert.Contains(t, s, "\nset -e\n")
	assert.Contains(t, s, "command -v linux-librust >/dev/null 2>&1 || exit 0\n", "%s: exit 0 when the tool is gone", name)
	assert.Contains(t, s, fmt.Sprintf("exec linux-librust hook %s \"$@\" </dev/null >&2\n", ctx))
	_, err := Decide(Context(ctx), []string{abi}, Env{})
	if ctx == string(KernelInstall) {
		_, err = Decide(Context(ctx), []string{"add", abi}, Env{})
	}
	assert.NoError(t, err, "%s calls a context Decide knows", name)
}

func TestMaintscriptTemplates(t *testing.T) {
	for _, script := range []string{"postinst", "prerm", "postrm"} {
		t.Run(script, func(t *testing.T) {
			s := readRepo(t, "hooks/maintscript/"+script)
			assert.True(t, strings.HasPrefix(s, "#!/bin/sh\n"))
			assert.Contains(t, s, "\nset -e\n")
			assert.Contains(t, s, fmt.Sprintf("\tlinux-librust hook librust-%s '@ABI@' \"$@\" </dev/null >&2\n", script))
			assert.Contains(t, s, "\n#DEBHELPER#\n")
			_, err := Decide(Context("librust-"+script), []string{abi, "configure"}, Env{})
			assert.NoError(t, err)
		})
	}
	trig := directives(readRepo(t, "hooks/maintscript/triggers"))
	assert.Equal(t, []string{
		"interest-noawait " + fmt.Sprintf(layout.HeadersPattern, "@ABI@"),
		"activate-noawait " + RelinkTrigger,
	}, trig)
}

func TestToolTriggers(t *testing.T) {
	want := []string{"interest-noawait " + RelinkTrigger}
	for _, p := range RustcTriggerPaths {
		want = append(want, "interest-noawait "+p)
	}
	assert.ElementsMatch(t, want, directives(readRepo(t, "debian/linux-librust.triggers")))
}

// directives returns the directive lines of a deb-triggers(5) file.
func directives(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if f := strings.Fields(line); len(f) > 0 {
			out = append(out, strings.Join(f, " "))
		}
	}
	return out
}
