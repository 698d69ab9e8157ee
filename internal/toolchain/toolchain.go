// Package toolchain owns the installed rustc: where it is under a root, the version text
// it prints (always run unprivileged, see Rustc), and the rule that decides whether it
// can build modules against an artifact set.
package toolchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/afero"
	"golang.org/x/sys/unix"
)

// Path is where a root's rustc is looked for (outside "/": the file trigger's path).
const Path = "/usr/bin/rustc"

// DefaultTimeout bounds one run of rustc --version.
const DefaultTimeout = 10 * time.Second

// maxOutput bounds what is kept of rustc's standard output and error.
const maxOutput = 4 << 10

var (
	// ErrNotInstalled: no rustc under the root. It also matches fs.ErrNotExist.
	ErrNotInstalled = fmt.Errorf("rustc is not installed: %w", fs.ErrNotExist)
	// ErrUnusable: a rustc is there but did not print its version.
	ErrUnusable = errors.New("rustc --version failed")
)

// Verdict is how an artifact set relates to the installed rustc.
type Verdict int

const (
	Matches      Verdict = iota // the installed rustc prints exactly the version text needed
	Differs                     // it prints another one: module builds fail (E0514)
	NotInstalled                // no rustc
	Unusable                    // a rustc that cannot tell its version
	Unknown                     // the set's needed version text is unknown
)

// Judge applies the rule: rustc reads only crates whose version text equals its own,
// byte for byte. need is the set's version text ("" unknown); have and err are what
// the installed rustc printed (see Rustc.Version).
func Judge(need, have string, err error) Verdict {
	switch {
	case need == "":
		return Unknown
	case errors.Is(err, fs.ErrNotExist):
		return NotInstalled
	case err != nil:
		return Unusable
	case have != need:
		return Differs
	}
	return Matches
}

// Rustc is the installed rustc of a root. Version runs it at most once.
type Rustc struct {
	Root string   // the root directory on the host; "/" for the running system
	FS   afero.Fs // the root's file system, to see whether rustc is there
	// Exe is this program, re-executed as the unprivileged helper; default /proc/self/exe.
	Exe     string
	Timeout time.Duration // 0: DefaultTimeout
	// LookPath finds rustc on the running system; default exec.LookPath.
	LookPath func(string) (string, error)

	once    sync.Once
	version string
	err     error
}

// Version returns what `rustc --version` prints, without the newline. rustc is never
// run with privileges: a re-execution of this program (Helper) confines it to the root,
// gives it an unprivileged identity and no way to gain privileges, limits and a clean
// environment (of PATH alone, as root). A missing rustc gives an error wrapping ErrNotInstalled; one that cannot
// be run or fails, ErrUnusable.
func (r *Rustc) Version() (string, error) {
	r.once.Do(func() { r.version, r.err = r.run() })
	return r.version, r.err
}

func (r *Rustc) run() (string, error) {
	root := r.Root
	if root == "" {
		root = "/"
	}
	prog := Path
	if root == "/" {
		look := r.LookPath
		if look == nil {
			look = exec.LookPath
		}
		p, err := look("rustc")
		if err != nil {
			return "", fmt.Errorf("rustc not in PATH: %w", ErrNotInstalled)
		}
		prog = p
	} else if _, err := r.FS.Stat(Path); errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", filepath.Join(root, Path), ErrNotInstalled)
	}
	exe := r.Exe
	if exe == "" {
		exe = "/proc/self/exe"
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, HelperArg, root, prog, "--version")
	cmd.Env = userEnv()
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return unix.Kill(-cmd.Process.Pid, unix.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr capped
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	shown := path.Join(root, prog)
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("%w: %s --version did not finish within %s", ErrUnusable, shown, timeout)
	case err != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("%w: %s --version: %s", ErrUnusable, shown, msg)
	case stdout.over:
		return "", fmt.Errorf("%w: %s --version printed more than %d bytes", ErrUnusable, shown, maxOutput)
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}

// userEnv is what a caller without privileges passes on to its own rustc (a rustup
// proxy needs it); a privileged caller passes nothing.
func userEnv() []string {
	env := []string{}
	if unix.Geteuid() == 0 {
		return env
	}
	for _, k := range []string{"HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN", "CARGO_HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// capped keeps the first maxOutput bytes written to it and drops the rest.
type capped struct {
	buf  bytes.Buffer
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	n := len(p)
	if room := maxOutput - c.buf.Len(); len(p) > room {
		c.over = true
		p = p[:max(room, 0)]
	}
	c.buf.Write(p)
	return n, nil
}

func (c *capped) String() string { return c.buf.String() }

// Installed returns the rustc of the root at dir (fsys is that root): Version is what
// verify's RustcVersion option expects.
func Installed(dir string, fsys afero.Fs) *Rustc {
	return &Rustc{Root: dir, FS: fsys}
}
