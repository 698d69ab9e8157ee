package verifier

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"sync"
	"time"

	"github.com/linux-librust/linux-librust/internal/debarch"
	"github.com/linux-librust/linux-librust/internal/kconfig"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// identity is a file's rootfs.Identity.
type identity = rootfs.Identity

func identityOf(fi os.FileInfo) (identity, bool) { return rootfs.IdentityOf(fi) }

// configFacts is what the checks need of a .config.
type configFacts struct {
	readErr  error // the file cannot be read
	sha256   string
	kernel   debarch.Kernel // SRCARCH, from the header line, and CONFIG_64BIT
	parseErr error          // config-invalid
	rust     kconfig.Tristate
	rustErr  error
	version  string
	hasVer   bool
	verErr   error
}

// configMemo holds the facts of each .config read in this process, by path and
// identity (of a settled file): a .config is read and parsed once however many checks
// ask.
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
		if id, ok := identityOf(fi); ok && id.Settled(time.Now()) {
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
	c, err := kconfig.ParseSymbols(bytes.NewReader(data), "CONFIG_RUST", "CONFIG_RUSTC_VERSION_TEXT", debarch.Config64Bit)
	if err != nil {
		f.parseErr = err
	} else {
		f.kernel = debarch.KernelOf(c)
		f.rust, f.rustErr = c.Bool("CONFIG_RUST")
		f.version, f.hasVer, f.verErr = c.String("CONFIG_RUSTC_VERSION_TEXT")
	}
	if cached {
		configMemo.Store(key, f)
	}
	return f
}
