package cli

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/treedump"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	samples = "../../testdata/rustc"
	abi     = "7.2.13+deb14-amd64"
)

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line in-process with env as the environment.
func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LockWait: 5 * time.Second,
		Getenv: func(k string) string { return env[k] }}
	code := a.Run(append([]string{"linux-librust"}, args...))
	return result{code, out.String(), errb.String()}
}

func sample(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samples, rel))
	require.NoError(t, err)
	return b
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
}

// system lays out a build tree of real rustc output and a root with a headers tree.
func system(t *testing.T) (build, root string) {
	tmp := t.TempDir()
	build, root = filepath.Join(tmp, "build"), filepath.Join(tmp, "root")
	config := "# Linux/x86 7.2.13 Kernel Configuration\nCONFIG_RUST=y\nCONFIG_RUSTC_VERSION_TEXT=\"" +
		string(sample(t, "sid/VERSION")) + "\"\n"
	writeTree(t, build, map[string]string{
		".config":                       config,
		"include/config/kernel.release": abi + "\n",
		"rust/libkernel.rmeta":          string(sample(t, "sid/libsample.rmeta")),
		"rust/libcore.rmeta":            string(sample(t, "sid/libnocore.rmeta")),
		"rust/libmacros.so":             string(sample(t, "sid/libsamplemacro.so")),
		"rust/libother.so":              string(sample(t, "sid/libsamplec.so")),
		"scripts/target.json":           string(sample(t, "sid/target.json")),
	})
	writeTree(t, root, map[string]string{
		"usr/src/linux-headers-" + abi + "/Makefile":        "include ../Makefile\n",
		"usr/src/linux-headers-" + abi + "/.config":         config,
		"usr/src/linux-headers-" + abi + "/include/linux/a": "",
	})
	return build, root
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"link"}, "requires at least 1 arg"},
		{[]string{"link", "../etc"}, `invalid kernel ABI "../etc"`},
		{[]string{"unlink", "7.2/x"}, "invalid kernel ABI"},
		{[]string{"status", ""}, "empty"},
		{[]string{"repair"}, "either --all or ABI"},
		{[]string{"repair", "--all", abi}, "either --all or ABI"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"status", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"-q", "-v", "status"}, "exclude each other"},
		{[]string{"collect", "--list"}, "needs --build-dir"},
		{[]string{"collect", "--build-dir", "x"}, "either --dest DIR or --list"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := run(t, nil, append([]string{"--root", t.TempDir()}, tt.args...)...)
			assert.Equal(t, ExitUsage, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.Contains(t, r.stderr, "--help")
			assert.Empty(t, r.stdout)
		})
	}
}

func TestLifecycle(t *testing.T) {
	build, root := system(t)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	shipped := treedump.Dump(t, headers)

	r := run(t, nil, "collect", "--build-dir", build, "--list")
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, "rust/libcore.rmeta\nrust/libkernel.rmeta\nrust/libmacros.so\nscripts/target.json\n", r.stdout)

	r = run(t, nil, "collect", "--build-dir", build, "--dest", artifacts)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "I: collected 4 Rust artifacts of "+abi)

	// Global flags go before or after the command; DPKG_ROOT stands in for --root.
	env := map[string]string{"DPKG_ROOT": root}
	r = run(t, env, "status")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	golden(t, "status-unlinked.txt", r.stdout)

	r = run(t, env, "link", "--dry-run", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Contains(t, r.stderr, "would link")
	assert.Equal(t, shipped, treedump.Dump(t, headers), "a dry run changes nothing")

	r = run(t, nil, "link", abi, "--root", root)
	require.Equal(t, ExitOK, r.code, r.stderr)
	linked := treedump.Dump(t, headers)
	assert.Equal(t, linkedHeaders(shipped), linked)

	r = run(t, nil, "--root", root, "status", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	golden(t, "status-linked.txt", r.stdout)
	r = run(t, nil, "--root", root, "status", "--json")
	assert.Equal(t, ExitOK, r.code, r.stderr)
	golden(t, "status-linked.json", r.stdout)

	r = run(t, nil, "--root", root, "link", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, linked, treedump.Dump(t, headers))

	r = run(t, nil, "--root", root, "unlink", abi)
	require.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, shipped, treedump.Dump(t, headers), "unlink restores the headers tree as shipped")

	// The log file records the changes.
	log, err := os.ReadFile(filepath.Join(root, "var/log/linux-librust.log"))
	require.NoError(t, err)
	assert.Contains(t, string(log), "linux-librust ")
}

func TestNothingToDo(t *testing.T) {
	root := t.TempDir()
	r := run(t, nil, "--root", root, "link", abi)
	assert.Equal(t, ExitOK, r.code, r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
	assert.Contains(t, r.stderr, "nothing to do")
	// Only the lock file, which every run takes.
	assert.Equal(t, map[string]string{
		"/var":                        treedump.Dir(0o755),
		"/var/lib":                    treedump.Dir(0o755),
		"/var/lib/linux-librust":      treedump.Dir(0o755),
		"/var/lib/linux-librust/lock": treedump.File(0o644, ""),
	}, treedump.Dump(t, root))
}

func TestConflictExitsOne(t *testing.T) {
	build, root := system(t)
	artifacts := filepath.Join(root, "usr/lib/linux-librust-"+abi)
	require.Equal(t, ExitOK, run(t, nil, "collect", "--build-dir", build, "--dest", artifacts).code)
	headers := filepath.Join(root, "usr/src/linux-headers-"+abi)
	writeTree(t, headers, map[string]string{"rust/libkernel.rmeta": "mine"})
	before := treedump.Dump(t, headers)

	r := run(t, nil, "--root", root, "link", abi)
	assert.Equal(t, ExitProblems, r.code)
	assert.Contains(t, r.stderr, "E: conflict: /usr/src/linux-headers-"+abi+"/rust/libkernel.rmeta is a regular file")
	assert.Equal(t, before, treedump.Dump(t, headers), "the foreign file stays and nothing else is linked")

	r = run(t, nil, "--root", root, "status", abi)
	assert.Equal(t, ExitProblems, r.code)
	assert.True(t, strings.HasPrefix(r.stdout, abi+": conflict "), r.stdout)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(p, []byte(got), 0o644))
	}
	want, err := os.ReadFile(p)
	require.NoError(t, err, "run go test -update to create %s", p)
	assert.Equal(t, string(want), got)
}

func TestEveryErrorLineIsMarked(t *testing.T) {
	var errb bytes.Buffer
	a := &App{Stderr: &errb}
	a.printError(errors.Join(errors.New("7.2.1: cannot link a"), errors.New("7.2.2: cannot link b")))
	assert.Equal(t, "E: 7.2.1: cannot link a\nE: 7.2.2: cannot link b\n", errb.String())
}
