package main

import (
	"flag"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden pages")

// The pages are golden: a change of a command's help, flags or of the sections
// written here shows in testdata/*.8 (go test -update rewrites them).
func TestManPagesGolden(t *testing.T) {
	dir := t.TempDir()
	app := &cli.App{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	h := header{date: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), version: "0.1.0"}
	require.NoError(t, write(dir, app.Command(), h))

	got, err := filepath.Glob(filepath.Join(dir, "man", "*.8"))
	require.NoError(t, err)
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	assert.Equal(t, []string{
		"linux-librust-collect.8", "linux-librust-dkms-prebuild.8", "linux-librust-hook.8", "linux-librust-link.8",
		"linux-librust-repair.8", "linux-librust-status.8", "linux-librust-unlink.8", "linux-librust-verify.8",
		"linux-librust.8",
	}, names)
	for _, p := range got {
		name := filepath.Base(p)
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		page := string(data)
		gold := filepath.Join("testdata", name)
		if *update {
			require.NoError(t, os.WriteFile(gold, data, 0o644))
		}
		want, err := os.ReadFile(gold)
		require.NoError(t, err, "go test ./cmd/linux-librust-docs -update writes %s", gold)
		assert.Equal(t, string(want), page, "%s: a help text changed? go test ./cmd/linux-librust-docs -update rewrites it; read the diff", name)

		// No generated noise, and the sections a man page has.
		assert.NotContains(t, page, "[=false]", name)
		assert.NotContains(t, page, `=""`, name)
		for _, sec := range []string{".SH NAME\n", ".SH SYNOPSIS\n", ".SH DESCRIPTION\n", ".SH EXIT STATUS\n", ".SH SEE ALSO\n"} {
			assert.Contains(t, page, sec, name)
		}
		if groff, err := exec.LookPath("groff"); err == nil {
			out, err := exec.Command(groff, "-man", "-ww", "-z", "-Tutf8", p).CombinedOutput()
			assert.NoError(t, err, name)
			assert.Empty(t, string(out), "%s: groff warns", name)
		}
	}
	main, err := os.ReadFile(filepath.Join(dir, "man", "linux-librust.8"))
	require.NoError(t, err)
	for _, sec := range []string{"LAYOUT", "COMMANDS", "OPTIONS", "FILES", "ENVIRONMENT", "EXAMPLES"} {
		assert.Contains(t, string(main), ".SH "+sec+"\n")
	}
	for _, env := range []string{"DPKG_ROOT", "DEB_MAINT_PARAMS"} {
		assert.Contains(t, string(main), ".TP\n\\fI"+env+"\\fR\n")
	}

	comp, err := os.ReadFile(filepath.Join(dir, "bash-completion", "linux-librust"))
	require.NoError(t, err)
	assert.Contains(t, string(comp), "__complete")
}
