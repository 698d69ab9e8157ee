package linker

import (
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/lock"
	"github.com/linux-librust/linux-librust/internal/logger"
)

// locked runs fn holding the lock of the root (layout.LockFile), so that instances (a
// kernel hook and an administrator, say) never interleave. It waits at most LockWait.
// A dry run changes nothing and takes no lock.
func (e *Engine) locked(fn func() (*Report, error)) (*Report, error) {
	if e.DryRun {
		return fn()
	}
	wait := e.LockWait
	if wait == 0 {
		wait = DefaultLockWait
	}
	l, err := lock.Acquire(e.FS, layout.LockFile, wait, func(b *lock.BusyError) {
		e.event(logger.Info, logger.KindLock, "", b.Path, false, "waiting up to %s for the lock %s, held by %s", wait, b.Path, b.Holder)
	})
	if err != nil {
		return nil, err
	}
	defer l.Release()
	e.event(logger.Debug, logger.KindLock, "", layout.LockFile, false, "took the lock %s", layout.LockFile)
	return fn()
}
