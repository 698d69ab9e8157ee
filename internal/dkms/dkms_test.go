package dkms

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const abi = "7.2.13+deb14-amd64"

// standIn installs a shell script as the dkms program and a fresh tree; the script
// records its arguments in args.txt next to it and then runs body.
func standIn(t *testing.T, body string) (dir string) {
	t.Helper()
	dir = t.TempDir()
	prog := filepath.Join(dir, "dkms")
	script := "#!/bin/sh\necho \"$@\" >" + filepath.Join(dir, "args.txt") + "\nTREE=" + filepath.Join(dir, "tree") + "\n" + body + "\n"
	require.NoError(t, os.WriteFile(prog, []byte(script), 0o755))
	oldProg, oldTree := Program, Tree
	Program, Tree = prog, filepath.Join(dir, "tree")
	t.Cleanup(func() { Program, Tree = oldProg, oldTree })
	return dir
}

// makeLog writes a DKMS make.log for module m, built for kernel k.
func makeLog(t *testing.T, m, k string, mtime time.Time) string {
	t.Helper()
	p := filepath.Join(Tree, m, "1.0", "build", "make.log")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte("DKMS (dkms-3.2.2) make.log for "+m+"/1.0 for kernel "+k+" (x86_64)\nerror[E0514]\n"), 0o644))
	require.NoError(t, os.Chtimes(p, mtime, mtime))
	return p
}

func TestAutoinstall(t *testing.T) {
	long := time.Now().Add(-time.Hour)
	tests := []struct {
		name     string
		body     string
		before   func(t *testing.T) // logs left by earlier runs
		want     Result
		wantLogs []string // module names whose log is named
		out      string
	}{
		{
			name: "built",
			body: `echo "rust-e2e/1.0, $3, x86_64: installed"`,
			want: Result{Ran: true},
			out:  "rust-e2e/1.0, " + abi + ", x86_64: installed\n",
		},
		{
			name: "skipped",
			body: "exit 77",
			want: Result{Ran: true, Exit: ExitSkipped},
		},
		{
			name: "failed: only this run's logs for this kernel are named",
			body: `mkdir -p $TREE/bad/1.0/build && echo "DKMS (dkms-3.2.2) make.log for bad/1.0 for kernel $3 (x86_64)" >$TREE/bad/1.0/build/make.log
echo "Error! Bad return status for module build" >&2; exit 11`,
			before: func(t *testing.T) {
				makeLog(t, "old", abi, long)                                // an earlier run's failure
				makeLog(t, "other", "7.2.13+deb14-cloud-amd64", time.Now()) // another kernel
				makeLog(t, "prefix", abi+"x", time.Now())                   // a kernel whose name starts alike
			},
			want:     Result{Ran: true, Exit: 11},
			wantLogs: []string{"bad"},
			out:      "Error! Bad return status for module build\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := standIn(t, tt.body)
			if tt.before != nil {
				tt.before(t)
			}
			var out bytes.Buffer
			got, err := Autoinstall(afero.NewOsFs(), abi, &out)
			require.NoError(t, err)
			want := tt.want
			for _, m := range tt.wantLogs {
				want.Logs = append(want.Logs, filepath.Join(Tree, m, "1.0", "build", "make.log"))
			}
			assert.Equal(t, want, got)
			assert.Equal(t, tt.out, out.String())
			args, err := os.ReadFile(filepath.Join(dir, "args.txt"))
			require.NoError(t, err)
			assert.Equal(t, "autoinstall --kernelver "+abi+"\n", string(args))
		})
	}
}

func TestAutoinstallWithoutDKMS(t *testing.T) {
	old := Program
	Program = filepath.Join(t.TempDir(), "dkms")
	t.Cleanup(func() { Program = old })
	var out bytes.Buffer
	got, err := Autoinstall(afero.NewOsFs(), abi, &out)
	require.NoError(t, err)
	assert.Equal(t, Result{}, got)
	assert.Empty(t, out.String())
}

func TestAutoinstallNotRunnable(t *testing.T) {
	standIn(t, "")
	require.NoError(t, os.Chmod(Program, 0o644))
	_, err := Autoinstall(afero.NewOsFs(), abi, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "autoinstall --kernelver "+abi)
}

// TestForKernelRefusesFIFO: a FIFO put where a log was (after its stat) is not waited on.
func TestForKernelRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "make.log")
	require.NoError(t, unix.Mkfifo(p, 0o644))
	done := make(chan bool, 1)
	go func() { done <- forKernel(afero.NewOsFs(), p, abi) }()
	select {
	case got := <-done:
		assert.False(t, got)
	case <-time.After(5 * time.Second):
		t.Fatal("forKernel waits on a FIFO")
	}
}
