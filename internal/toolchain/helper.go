package toolchain

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// HelperArg as the first argument makes this program the helper that runs a program of
// a root unprivileged: HelperArg ROOT PROGRAM [ARG...]. The command line's entry point
// hands such an invocation to Helper before anything else.
const HelperArg = "__linux-librust-run-unprivileged"

// Nobody is the identity the root's programs run as (uid and gid 65534).
const Nobody = 65534

// Limits of the program run (it only has to print one line).
var helperLimits = []struct {
	resource int
	value    uint64
}{
	{unix.RLIMIT_CPU, 10},        // seconds
	{unix.RLIMIT_FSIZE, 0},       // writes no file content
	{unix.RLIMIT_CORE, 0},        // leaves no core dump
	{unix.RLIMIT_NOFILE, 64},     // opens little
	{unix.RLIMIT_AS, 8 << 30},    // address space
	{unix.RLIMIT_MEMLOCK, 0},     // locks no memory
	{unix.RLIMIT_MSGQUEUE, 0},    // no message queues
	{unix.RLIMIT_STACK, 8 << 20}, // a normal stack
}

// Helper runs args (ROOT PROGRAM [ARG...]) as Helper's doc says and returns only when
// it fails, with the exit status to use: no new privileges (a set-user-ID program in
// the root gains nothing), confined to ROOT with chroot and its working directory
// there, no supplementary groups, uid and gid Nobody, the limits above, and an
// environment of PATH alone (without root privileges, PATH and what the caller passed).
// Without root privileges it cannot chroot elsewhere than "/" and refuses to.
func Helper(args []string, stderr io.Writer) int {
	runtime.LockOSThread() // no_new_privs is a property of the thread that execs
	if len(args) < 2 {
		fmt.Fprintf(stderr, "usage: %s ROOT PROGRAM [ARG...]\n", HelperArg)
		return 2
	}
	root, argv := args[0], args[1:]
	if err := confine(root); err != nil {
		fmt.Fprintf(stderr, "cannot run %s unprivileged: %v\n", argv[0], err)
		return 126
	}
	env := []string{"PATH=/usr/bin:/bin"}
	if unix.Geteuid() != 0 {
		for _, kv := range os.Environ() { // the caller's own, as Rustc passed it
			if !strings.HasPrefix(kv, "PATH=") {
				env = append(env, kv)
			}
		}
	}
	err := unix.Exec(argv[0], argv, env)
	fmt.Fprintf(stderr, "cannot run %s: %v\n", argv[0], err)
	return 127
}

func confine(root string) error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	privileged := unix.Geteuid() == 0
	if root != "/" {
		if !privileged {
			return fmt.Errorf("confining it to %s needs root privileges", root)
		}
		if err := unix.Chroot(root); err != nil {
			return fmt.Errorf("chroot %s: %w", root, err)
		}
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	if privileged {
		if err := unix.Setgroups(nil); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := unix.Setresgid(Nobody, Nobody, Nobody); err != nil {
			return fmt.Errorf("setgid %d: %w", Nobody, err)
		}
		if err := unix.Setresuid(Nobody, Nobody, Nobody); err != nil {
			return fmt.Errorf("setuid %d: %w", Nobody, err)
		}
		if unix.Setresuid(0, 0, 0) == nil || unix.Geteuid() == 0 {
			return fmt.Errorf("still privileged after dropping to uid %d", Nobody)
		}
	}
	for _, l := range helperLimits {
		lim := unix.Rlimit{Cur: l.value, Max: l.value}
		var old unix.Rlimit
		if unix.Getrlimit(l.resource, &old) == nil && old.Max < l.value {
			lim = unix.Rlimit{Cur: old.Max, Max: old.Max}
		}
		if err := unix.Setrlimit(l.resource, &lim); err != nil {
			return fmt.Errorf("setrlimit %d: %w", l.resource, err)
		}
	}
	return nil
}
