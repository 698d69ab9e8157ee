package rootfs

import (
	"strings"

	"golang.org/x/sys/unix"
)

// maxLinks bounds the symbolic links followed while resolving one path, as the
// kernel does (ELOOP after 40).
const maxLinks = 40

// maxRetries bounds the retries of openat2 after EAGAIN, which the kernel returns
// when a concurrent rename or mount could have let a ".." escape the root.
const maxRetries = 128

// resolver opens rel, a cleaned path relative to the root ("." is the root
// itself), with open(2) flags and mode, resolving every symbolic link and ".."
// inside the root as if the root were "/". O_NOFOLLOW in flags keeps the last
// element from being followed. O_CLOEXEC is always added.
type resolver func(root int, rel string, flags int, mode uint32) (int, error)

// openat2InRoot resolves with the kernel: openat2(2) with RESOLVE_IN_ROOT.
func openat2InRoot(root int, rel string, flags int, mode uint32) (int, error) {
	if flags&unix.O_PATH == 0 {
		flags |= unix.O_LARGEFILE // as openat(2) does; 0 on 64-bit systems
	}
	how := unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	}
	if flags&(unix.O_CREAT|unix.O_TMPFILE) != 0 {
		how.Mode = uint64(mode)
	}
	return openat2Retry(root, rel, &how)
}

// openat2Retry is openat2(2), retried after EAGAIN and EINTR.
func openat2Retry(root int, rel string, how *unix.OpenHow) (int, error) {
	for range maxRetries {
		fd, err := unix.Openat2(root, rel, how)
		if err == unix.EAGAIN || err == unix.EINTR {
			continue
		}
		return fd, err
	}
	return -1, unix.EAGAIN
}

// openNoLinks opens rel inside the root refusing every symbolic link on the way,
// the last element included (ELOOP): with openat2 and RESOLVE_NO_SYMLINKS, else
// with the walk.
func openNoLinks(root int, rel string, flags int, useOpenat2 bool) (int, error) {
	flags |= unix.O_NOFOLLOW
	if !useOpenat2 {
		fd, _, err := walk(root, rel, flags, 0, true)
		return fd, err
	}
	return openat2Retry(root, rel, &unix.OpenHow{
		Flags:   uint64(flags | unix.O_CLOEXEC),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
	})
}

// openat2Supported reports whether the kernel has openat2 with RESOLVE_IN_ROOT.
// Seccomp filters unaware of openat2 answer ENOSYS or EPERM.
func openat2Supported(root int) bool {
	fd, err := openat2InRoot(root, ".", unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// walkInRoot resolves in user space, for kernels without openat2 (before 5.6).
func walkInRoot(root int, rel string, flags int, mode uint32) (int, error) {
	fd, _, err := walk(root, rel, flags, mode, false)
	return fd, err
}

// walk resolves rel one component at a time with openat(O_PATH|O_NOFOLLOW),
// reading symbolic links with readlinkat and resolving their targets against the
// root, with ".." never going above the root. Every step is relative to a
// directory descriptor already inside the root, so a link never leads out. It
// returns the descriptor opened with flags and the path it reached, relative to
// the root and free of links ("." for the root; with O_NOFOLLOW a final link is
// named, not followed). With noLinks any symbolic link met fails with ELOOP, as
// RESOLVE_NO_SYMLINKS does. Unlike the kernel it cannot detect a directory being
// renamed out of the root while the walk is under way.
func walk(root int, rel string, flags int, mode uint32, noLinks bool) (int, string, error) {
	if len(rel) >= unix.PathMax {
		return -1, "", unix.ENAMETOOLONG
	}
	var stack []int    // descriptors of the directories below the root, outermost first
	var names []string // their names
	defer func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
	}()
	cur := func() int {
		if len(stack) == 0 {
			return root
		}
		return stack[len(stack)-1]
	}
	reached := func(last string) string {
		p := names[:len(names):len(names)]
		if last != "" {
			p = append(p, last)
		}
		if len(p) == 0 {
			return "."
		}
		return strings.Join(p, "/")
	}
	toRoot := func() {
		for _, fd := range stack {
			unix.Close(fd)
		}
		stack, names = stack[:0], names[:0]
	}

	queue := splitPath(rel)
	links := 0
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 0 {
				unix.Close(stack[len(stack)-1])
				stack, names = stack[:len(stack)-1], names[:len(names)-1]
			}
			continue
		}
		last := isLast(queue)
		if last && flags&unix.O_NOFOLLOW != 0 {
			fd, err := openatRetry(cur(), c, flags, mode)
			return fd, reached(c), err
		}
		fd, err := openatRetry(cur(), c, unix.O_PATH|unix.O_NOFOLLOW, 0)
		if err != nil {
			if last && err == unix.ENOENT && flags&unix.O_CREAT != 0 {
				fd, err := openatRetry(cur(), c, flags|unix.O_NOFOLLOW, mode)
				return fd, reached(c), err
			}
			return -1, "", err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return -1, "", err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if noLinks {
				unix.Close(fd)
				return -1, "", unix.ELOOP
			}
			target, err := readlinkFd(fd)
			unix.Close(fd)
			if err != nil {
				return -1, "", err
			}
			links++
			if links > maxLinks {
				return -1, "", unix.ELOOP
			}
			if target == "" {
				return -1, "", unix.ENOENT
			}
			if strings.HasPrefix(target, "/") {
				toRoot()
			}
			queue = append(splitPath(target), queue...)
		case unix.S_IFDIR:
			if last {
				unix.Close(fd)
				fd, err := reopen(cur(), c, flags, mode)
				return fd, reached(c), err
			}
			stack, names = append(stack, fd), append(names, c)
		default:
			unix.Close(fd)
			if !last {
				return -1, "", unix.ENOTDIR
			}
			fd, err := reopen(cur(), c, flags, mode)
			return fd, reached(c), err
		}
	}
	// The path ended on the root, "." or "..": open the directory reached.
	fd, err := openatRetry(cur(), ".", flags&^unix.O_NOFOLLOW, mode)
	return fd, reached(""), err
}

// reopen opens the last element, known not to be a symbolic link, with the
// caller's flags. O_NOFOLLOW guards against it being replaced by a link meanwhile.
func reopen(dir int, name string, flags int, mode uint32) (int, error) {
	return openatRetry(dir, name, flags|unix.O_NOFOLLOW, mode)
}

func openatRetry(dir int, name string, flags int, mode uint32) (int, error) {
	if flags&(unix.O_CREAT|unix.O_TMPFILE) == 0 {
		mode = 0
	}
	for {
		fd, err := unix.Openat(dir, name, flags|unix.O_CLOEXEC, mode)
		if err == unix.EINTR {
			continue
		}
		return fd, err
	}
}

// isLast reports whether no component remains after the one just taken. After a
// trailing "/" or "/." an empty or "." component remains: the one taken is then
// not last and must be a directory.
func isLast(queue []string) bool {
	return len(queue) == 0
}

func splitPath(p string) []string {
	return strings.Split(p, "/")
}

// readlinkFd reads the target of the symbolic link that fd (O_PATH|O_NOFOLLOW) refers to.
func readlinkFd(fd int) (string, error) {
	return readlinkat(fd, "")
}

func readlinkat(dir int, name string) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(dir, name, buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
	}
}
