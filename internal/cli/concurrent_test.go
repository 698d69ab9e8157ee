package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/lock"
	"github.com/linux-librust/linux-librust/internal/rootfs"
	"github.com/linux-librust/linux-librust/internal/toolchain"
	"github.com/linux-librust/linux-librust/internal/treedump"
)

// TestMain lets a test run the command line in a child process, and be the helper
// that runs a root's rustc.
func TestMain(m *testing.M) {
	if os.Getenv("LINUX_LIBRUST_RUN_CLI") == "1" || len(os.Args) > 1 && os.Args[1] == toolchain.HelperArg {
		if uid := os.Getenv("LINUX_LIBRUST_TEST_UID"); uid != "" {
			becomeUser(uid) // a child of runAs
		}
		os.Exit(Run(append([]string{"linux-librust"}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// messyRoot makes a root with a kernel to link, one whose headers package was removed
// after linking (only the tool's links keep its directory), and one with artifacts only.
func messyRoot(t *testing.T) string {
	build, root := system(t)
	for _, a := range []string{abi, "7.2.12+deb14-amd64", "7.2.11+deb14-amd64"} {
		r := run(t, nil, "collect", "--build-dir", build, "--abi", a, "--dest", filepath.Join(root, "usr/lib/linux-librust-"+a))
		require.Equal(t, ExitOK, r.code, r.stderr)
	}
	config, err := os.ReadFile(filepath.Join(build, ".config"))
	require.NoError(t, err)
	old := filepath.Join(root, "usr/src/linux-headers-7.2.12+deb14-amd64")
	writeTree(t, old, map[string]string{"Makefile": "x\n", ".config": string(config)})
	r := run(t, nil, "--root", root, "link", "7.2.12+deb14-amd64")
	require.Equal(t, ExitOK, r.code, r.stderr)
	require.NoError(t, os.Remove(filepath.Join(old, "Makefile")))
	require.NoError(t, os.Remove(filepath.Join(old, ".config")))
	return root
}

func TestConcurrentRepairProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	want := messyRoot(t)
	require.Equal(t, ExitOK, run(t, nil, "--root", want, "repair", "--all").code)

	root := messyRoot(t)
	var wg sync.WaitGroup
	outs := make([][]byte, 8)
	errs := make([]error, 8)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "--root", root, "repair", "--all")
			cmd.Env = append(os.Environ(), "LINUX_LIBRUST_RUN_CLI=1")
			outs[i], errs[i] = cmd.CombinedOutput()
		}()
	}
	wg.Wait()
	for i := range outs {
		assert.NoError(t, errs[i], "run %d: %s", i, outs[i])
	}
	got, wanted := treedump.Dump(t, root), treedump.Dump(t, want)
	// The log's time stamps differ between the two roots.
	delete(got, "/var/log/linux-librust.log")
	delete(wanted, "/var/log/linux-librust.log")
	// The processes keep a check cache; the in-process runs of the tests keep none.
	for _, p := range []string{"/var/cache", "/var/cache/linux-librust", "/var/cache/linux-librust/checks"} {
		delete(got, p)
	}
	assert.Equal(t, wanted, got)
	// The removed headers package's directory is gone entirely.
	assert.NotContains(t, got, "/usr/src/linux-headers-7.2.12+deb14-amd64")
	assert.Equal(t, treedump.Symlink("../../../lib/linux-librust-"+abi+"/rust/libkernel.rmeta"),
		got["/usr/src/linux-headers-"+abi+"/rust/libkernel.rmeta"])
}

func TestSecondInstanceWaitsThenGivesUp(t *testing.T) {
	root := collected(t)
	fsys, err := rootfs.New(root)
	require.NoError(t, err)
	held, err := lock.Acquire(fsys, layout.LockFile, 0, nil)
	require.NoError(t, err)
	defer held.Release()
	before := treedump.Dump(t, root)

	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, LockWait: 200 * time.Millisecond,
		Getenv: func(string) string { return "" }}
	code := a.Run([]string{"linux-librust", "--root", root, "link", abi})
	assert.Equal(t, ExitProblems, code)
	assert.Contains(t, errb.String(), "E: ")
	assert.Contains(t, errb.String(), "/var/lib/linux-librust/lock is held by process "+strconv.Itoa(os.Getpid()))
	assert.Contains(t, errb.String(), "wait for it to finish")
	assert.Equal(t, 1, strings.Count(errb.String(), "I: waiting up to 200ms for the lock /var/lib/linux-librust/lock, held by process "+strconv.Itoa(os.Getpid())+"\n"),
		"the wait is announced once: %s", errb.String())
	assert.Equal(t, before, treedump.Dump(t, root), "nothing changes without the lock")
}
