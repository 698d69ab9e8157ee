package rootfs

import (
	"os"
	"syscall"
	"time"
)

// Identity says that a file is unchanged: the same inode of the same device, with the
// same size and modification and change times. Nobody can set a change time: any
// write, chmod, rename or replacement gives another identity, except two changes
// within one tick of the kernel's coarse clock (see Settled).
type Identity struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // nanoseconds
}

// IdentityOf returns fi's identity; ok is false for a file system that has none.
func IdentityOf(fi os.FileInfo) (id Identity, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Identity{}, false
	}
	return Identity{Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}, true
}

// SameFile reports whether a and b describe the same file (device and inode), whether
// os made them (Stat) or this package did (Lstat, Dir): os.SameFile takes only os's.
func SameFile(a, b os.FileInfo) bool {
	sa, oka := a.Sys().(*syscall.Stat_t)
	sb, okb := b.Sys().(*syscall.Stat_t)
	return oka && okb && sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// SettleTime is how long ago a file must have changed for its identity to stand for
// its content: change times are stamped with a clock of a few milliseconds, so two
// changes (or a file removed and another made on its inode) within one tick can share
// an identity.
var SettleTime = time.Second

// Settled tells whether the file last changed SettleTime or more before t.
func (id Identity) Settled(t time.Time) bool {
	return id.Ctime < t.Add(-SettleTime).UnixNano()
}
