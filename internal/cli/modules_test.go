package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/dkms"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// TestBuildModules runs a stand-in dkms, a real process, as the postinst of
// linux-librust-ABI does after linking: a failed build is a warning naming its log,
// never an error.
func TestBuildModules(t *testing.T) {
	tests := []struct {
		name      string
		root      string // "" is the running system
		body      string
		ran       bool
		contains  []string
		level     string // the line's prefix
		noHeaders bool   // the kernel's headers are not installed
		dryRunQ   bool   // --dry-run -q: the plan's line shows all the same
	}{
		{name: "built", body: "echo built", ran: true, level: "I: ",
			contains: []string{"built\n", abi + ": dkms autoinstall done"}},
		{name: "skipped", body: "exit 77", ran: true, level: "I: "},
		{name: "failed", ran: true, level: "W: ",
			body:     `mkdir -p $TREE/rust-e2e/1.0/build && echo "DKMS (dkms-3.2.2) make.log for rust-e2e/1.0 for kernel $3 (x86_64)" >$TREE/rust-e2e/1.0/build/make.log; exit 10`,
			contains: []string{"dkms autoinstall exit 10", "rust-e2e/1.0/build/make.log", "run 'dkms autoinstall --kernelver " + abi + "'"}},
		{name: "another root", root: "other", body: "echo built", ran: false},
		{name: "no headers", noHeaders: true, body: "echo built", ran: false},
		{name: "dry run, quiet", dryRunQ: true, body: "echo built", ran: false, level: "I: ",
			contains: []string{abi + ": would run "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			prog := filepath.Join(dir, "dkms")
			require.NoError(t, os.WriteFile(prog, []byte("#!/bin/sh\ntouch "+filepath.Join(dir, "ran")+"\nTREE="+tree+"\n"+tt.body+"\n"), 0o755))
			oldProg, oldTree := dkms.Program, dkms.Tree
			dkms.Program, dkms.Tree = prog, tree
			t.Cleanup(func() { dkms.Program, dkms.Tree = oldProg, oldTree })

			headers := filepath.Join(dir, "headers-%s")
			if !tt.noHeaders {
				require.NoError(t, os.MkdirAll(fmt.Sprintf(headers, abi), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(fmt.Sprintf(headers, abi), "Makefile"), nil, 0o644))
			}
			oldHeaders := layout.HeadersPattern
			layout.HeadersPattern = headers
			t.Cleanup(func() { layout.HeadersPattern = oldHeaders })

			var errb bytes.Buffer
			root := "/"
			if tt.root != "" {
				root = dir
			}
			fs, err := rootfs.New(root)
			require.NoError(t, err)
			a := &App{Stderr: &errb, root: root, fs: fs, log: logger.New(&errb, logger.Options{Quiet: tt.dryRunQ})}
			a.opts.dryRun, a.opts.quiet = tt.dryRunQ, tt.dryRunQ
			require.NoError(t, a.buildModules(abi))
			_, err = os.Stat(filepath.Join(dir, "ran"))
			assert.Equal(t, tt.ran, err == nil, "dkms run")
			for _, c := range tt.contains {
				assert.Contains(t, errb.String(), c)
			}
			if tt.level != "" {
				assert.Contains(t, errb.String(), tt.level+abi+": ")
			} else {
				assert.NotContains(t, errb.String(), abi)
			}
		})
	}
}
