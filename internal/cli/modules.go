package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/linux-librust/linux-librust/internal/dkms"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
)

// buildModules asks DKMS to build and install abi's modules, now that its Rust
// artifacts are linked. DKMS works on the running system only, so under another root
// nothing is run. A build that fails is reported as a warning naming its log; only a
// dkms that cannot be run at all is an error (of a warn-only step).
func (a *App) buildModules(abi string) error {
	if a.root != "/" {
		a.log.Debugf("%s: DKMS not run for the system under %s", abi, a.root)
		return nil
	}
	if _, err := a.fs.Stat(path.Join(layout.Headers(abi), "Makefile")); errors.Is(err, fs.ErrNotExist) {
		// DKMS would fail for want of headers; their installation builds the modules.
		a.log.Debugf("%s: headers not installed: DKMS not run now", abi)
		return nil
	}
	if a.opts.dryRun {
		a.log.Planf(abi, "%s: would run %s autoinstall --kernelver %s", abi, dkms.Program, abi)
		return nil
	}
	res, err := dkms.Autoinstall(a.fs, abi, a.Stderr)
	switch {
	case err != nil:
		return err
	case !res.Ran:
		a.log.Debugf("%s: DKMS is not installed: no modules to build", abi)
	case res.Exit == 0 || res.Exit == dkms.ExitSkipped:
		a.log.Log(logger.Event{Level: logger.Info, Kind: logger.KindDKMS, ABI: abi,
			Message: fmt.Sprintf("%s: dkms autoinstall done ('dkms status' lists what is installed)", abi)})
	default:
		logs := "see the output of dkms above"
		if len(res.Logs) > 0 {
			logs = "see " + strings.Join(res.Logs, ", ")
		}
		a.log.Log(logger.Event{Level: logger.Warn, Kind: logger.KindDKMS, ABI: abi,
			Message: fmt.Sprintf("%s: DKMS could not build every module for this kernel (dkms autoinstall exit %d); %s, then run 'dkms autoinstall --kernelver %s'", abi, res.Exit, logs, abi)})
	}
	return nil
}
