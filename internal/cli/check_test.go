package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

// linkedHeaders is the headers tree of collected(t) after a successful link.
func linkedHeaders(shipped map[string]string) map[string]string {
	rel := "../../../lib/linux-librust-" + abi + "/"
	out := map[string]string{
		"/rust":                 treedump.Dir(0o755),
		"/rust/libcore.rmeta":   treedump.Symlink(rel + "rust/libcore.rmeta"),
		"/rust/libkernel.rmeta": treedump.Symlink(rel + "rust/libkernel.rmeta"),
		"/rust/libmacros.so":    treedump.Symlink(rel + "rust/libmacros.so"),
		"/scripts":              treedump.Dir(0o755),
		"/scripts/target.json":  treedump.Symlink(rel + "scripts/target.json"),
	}
	for k, v := range shipped {
		out[k] = v
	}
	return out
}

// TestEveryLinkingPathChecks: a headers .config that is not the one the set was
// built from refuses link, repair and every hook that links, whatever the order
// the packages were installed in; --force links anyway.
func TestEveryLinkingPathChecks(t *testing.T) {
	tests := []struct {
		name   string
		params string
		args   []string
		code   int
	}{
		{"link", "", []string{"link", abi}, ExitProblems},
		{"repair", "", []string{"repair", abi}, ExitProblems},
		{"repair --all", "", []string{"repair", "--all"}, ExitProblems},
		{"headers configured", "configure", []string{"hook", "header_postinst.d", abi}, ExitOK},
		{"image configured", "configure", []string{"hook", "postinst.d", abi}, ExitOK},
		{"kernel-install", "", []string{"hook", "install.d", "add", abi}, ExitOK},
		{"librust configured", "", []string{"hook", "librust-postinst", abi, "configure", ""}, ExitOK},
		{"librust upgraded", "", []string{"hook", "librust-postinst", abi, "configure", "0.1-1"}, ExitOK},
		{"librust triggered", "", []string{"hook", "librust-postinst", abi, "triggered", "/usr/src/linux-headers-" + abi}, ExitOK},
		{"tool configured", "", []string{"hook", "tool-postinst", "configure", ""}, ExitOK},
		{"relink trigger", "", []string{"hook", "tool-postinst", "triggered", "linux-librust-relink"}, ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
			config := filepath.Join(headers, ".config")
			f, err := os.OpenFile(config, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("# CONFIG_OTHER is not set\n")
			require.NoError(t, err)
			require.NoError(t, f.Close())
			before := treedump.Dump(t, headers)

			env := map[string]string{"DPKG_ROOT": root, "DEB_MAINT_PARAMS": tt.params}
			r := run(t, env, tt.args...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, "config-mismatch: /usr/src/linux-headers-"+abi+"/.config")
			if tt.code == ExitOK {
				assert.NotContains(t, r.stderr, "E: ", "a hook only warns")
			} else {
				assert.Contains(t, r.stderr, "E: error: config-mismatch")
			}
			assert.Empty(t, r.stdout)
			assert.Equal(t, before, treedump.Dump(t, headers), "a failed check links nothing")

			if tt.args[0] != "hook" {
				r = run(t, env, append([]string{"--force"}, tt.args...)...)
				assert.Equal(t, ExitOK, r.code, r.stderr)
				assert.Contains(t, r.stderr, "W: error: config-mismatch")
				assert.Contains(t, r.stderr, "W: "+abi+": linking despite the failed checks above (--force)")
				assert.Equal(t, linkedHeaders(before), treedump.Dump(t, headers))
			}
		})
	}
}

// TestWarningsDoNotRefuse: a warning of verify (a stray file in the artifacts
// tree) is reported and the links are made.
func TestWarningsDoNotRefuse(t *testing.T) {
	root := collected(t)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	shipped := treedump.Dump(t, headers)
	writeTree(t, filepath.Join(root, "usr/lib/linux-librust-"+abi), map[string]string{"rust/libstray.rmeta": string(sample(t, "sid/libsample.rmeta"))})

	r := run(t, nil, "--root", root, "link", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "W: warning: unlisted-artifact: /usr/lib/linux-librust-"+abi+"/rust/libstray.rmeta")
	assert.NotContains(t, r.stderr, "E: ")
	assert.Equal(t, linkedHeaders(shipped), treedump.Dump(t, headers))
}

// TestNothingToDoTrees: link decides presence as the engine does (<headers>/Makefile,
// the manifest), not by the directories: nothing to do, exit 0, one line.
func TestNothingToDoTrees(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		line  string
	}{
		{"headers directory with only the tool's leftovers", func(t *testing.T, root string) {
			headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
			for _, f := range []string{"Makefile", ".config", "include/linux/a"} {
				require.NoError(t, os.Remove(filepath.Join(headers, f)))
			}
			require.NoError(t, os.MkdirAll(filepath.Join(headers, "rust"), 0o755))
		}, "I: " + abi + ": nothing to do: /usr/src/linux-headers-" + abi + " is not installed (no Makefile)\n"},
		{"artifacts directory without a manifest", func(t *testing.T, root string) {
			require.NoError(t, os.Remove(filepath.Join(root, "usr/lib/linux-librust-"+abi, "linux-librust.manifest")))
		}, "I: " + abi + ": nothing to do: /usr/lib/linux-librust-" + abi + " is not installed (no linux-librust.manifest)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := collected(t)
			tt.setup(t, root)
			before := treedump.Dump(t, filepath.Join(root, "usr"))
			r := run(t, nil, "--root", root, "link", abi)
			assert.Equal(t, ExitOK, r.code, r.stderr)
			assert.Equal(t, tt.line, r.stderr)
			assert.Equal(t, before, treedump.Dump(t, filepath.Join(root, "usr")))
		})
	}
}
