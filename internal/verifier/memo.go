package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sync"
	"syscall"

	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// identity says that a file is unchanged: the same inode of the same device, with the
// same size and modification and change times. The change time cannot be set back by
// anyone: any write, chmod or rename since gives another identity.
type identity struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // nanoseconds
}

// identityOf returns fi's identity; ok is false for a file system that has none.
func identityOf(fi os.FileInfo) (identity, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return identity{}, false
	}
	return identity{Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano()}, true
}

// configFacts is what the checks need of a .config.
type configFacts struct {
	readErr  error // the file cannot be read
	sha256   string
	parseErr error // config-invalid
	rust     kconfig.Tristate
	rustErr  error
	version  string
	hasVer   bool
	verErr   error
}

// configMemo holds the facts of each .config read in this process, by path and
// identity: a .config is read and parsed once however many checks ask.
var configMemo sync.Map // configKey → *configFacts

type configKey struct {
	path string
	id   identity
}

// readConfig returns the facts of the .config at p.
func readConfig(fsys rootfs.FS, p string) *configFacts {
	var key configKey
	cached := false
	if fi, err := fsys.Stat(p); err == nil {
		if id, ok := identityOf(fi); ok {
			key, cached = configKey{p, id}, true
			if f, ok := configMemo.Load(key); ok {
				return f.(*configFacts)
			}
		}
	}
	f := &configFacts{}
	data, err := rootfs.ReadFile(fsys, p, kconfig.MaxSize)
	if err != nil {
		f.readErr = err
		return f // not remembered: an error may pass
	}
	sum := sha256.Sum256(data)
	f.sha256 = hex.EncodeToString(sum[:])
	c, err := kconfig.ParseSymbols(bytes.NewReader(data), "CONFIG_RUST", "CONFIG_RUSTC_VERSION_TEXT")
	if err != nil {
		f.parseErr = err
	} else {
		f.rust, f.rustErr = c.Bool("CONFIG_RUST")
		f.version, f.hasVer, f.verErr = c.String("CONFIG_RUSTC_VERSION_TEXT")
	}
	if cached {
		configMemo.Store(key, f)
	}
	return f
}
