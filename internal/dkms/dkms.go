// Package dkms asks DKMS to build the modules of one kernel: it runs
// "dkms autoinstall --kernelver ABI" when DKMS is installed, and says which builds
// failed and where their logs are. It decides nothing about when to run; the hook
// planner does.
package dkms

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Program is the dkms command and Tree its tree of modules ($dkms_tree); package
// variables that a packager can override at link time.
var (
	Program = "/usr/sbin/dkms"
	Tree    = "/var/lib/dkms"
)

// ExitSkipped is the exit status with which DKMS says that a module is not to be
// built for a kernel (BUILD_EXCLUSIVE_*, or a PRE_BUILD that exits with it); the
// package scripts DKMS generates treat it as success.
const ExitSkipped = 77

// Result is what one autoinstall did.
type Result struct {
	// Ran is false when DKMS is not installed: nothing was run.
	Ran bool
	// Exit is dkms's exit status.
	Exit int
	// Logs are the make.log files of the builds for the kernel that failed in this
	// run, sorted.
	Logs []string
}

// Autoinstall runs dkms autoinstall for abi on the running system, with standard
// input closed and its output on out, and then looks in fsys (the root file system)
// for the logs of the builds that failed. A dkms that ran and failed is a Result
// with Exit != 0, not an error; an error means dkms could not be run at all.
func Autoinstall(fsys afero.Fs, abi string, out io.Writer) (Result, error) {
	if _, err := fsys.Stat(Program); errors.Is(err, fs.ErrNotExist) {
		return Result{}, nil
	} else if err != nil {
		return Result{}, fmt.Errorf("inspect %s: %w", Program, err)
	}
	start := time.Now()
	cmd := exec.Command(Program, "autoinstall", "--kernelver", abi)
	cmd.Stdout, cmd.Stderr = out, out
	res := Result{Ran: true}
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return Result{}, fmt.Errorf("run %s autoinstall --kernelver %s: %w", Program, abi, err)
		}
		res.Exit = ee.ExitCode()
	}
	if res.Exit != 0 {
		var err error
		if res.Logs, err = FailedLogs(fsys, abi, start); err != nil {
			return res, err
		}
	}
	return res, nil
}

// FailedLogs returns the logs of builds for abi that failed since since: DKMS keeps
// <Tree>/<module>/<version>/build/make.log only for a build that failed (a
// successful one moves it under the kernel's directory), and its first line names
// the kernel ("DKMS (dkms-3.2.2) make.log for MODULE/VERSION for kernel ABI (ARCH)").
func FailedLogs(fsys afero.Fs, abi string, since time.Time) ([]string, error) {
	logs, err := afero.Glob(fsys, path.Join(Tree, "*", "*", "build", "make.log"))
	if err != nil {
		return nil, fmt.Errorf("list the DKMS build logs in %s: %w", Tree, err)
	}
	var out []string
	for _, l := range logs {
		fi, err := fsys.Stat(l)
		if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(since.Truncate(time.Second)) {
			continue
		}
		if forKernel(fsys, l, abi) {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out, nil
}

// forKernel reports whether the first line of the log l names the kernel abi.
func forKernel(fsys afero.Fs, l, abi string) bool {
	f, err := rootfs.OpenRegular(fsys, l, os.O_RDONLY, 0) // a FIFO is refused, not waited on
	if err != nil {
		return false
	}
	defer f.Close()
	line, err := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return false
	}
	return strings.Contains(line, " for kernel "+abi+" ")
}
