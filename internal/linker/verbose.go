package linker

import (
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/state"
)

// explain reports, as debug events (shown with -v), what the plan of md found on disk
// for its ABI and what it is going to do; forStatus says that it only serves status,
// which does nothing.
func (e *Engine) explain(p *plan, md mode, forStatus bool) {
	if !e.Verbose {
		return
	}
	debug := func(format string, args ...any) {
		e.event(logger.Debug, logger.KindMessage, p.abi, "", false, "%s: "+format, append([]any{p.abi}, args...)...)
	}
	cmd := md.String()
	if forStatus {
		cmd = "status"
	}
	debug("%s: looking at what is on disk", cmd)
	if p.headersPresent {
		debug("headers tree %s: installed", p.headers)
	} else {
		debug("headers tree %s: not installed (no Makefile)", p.headers)
	}
	if !p.artifactsPresent {
		debug("artifacts tree %s: not installed (no manifest)", p.artifacts)
	}
	if p.nothing != "" {
		return // said as it is
	}
	if p.artifactsPresent {
		debug("artifacts tree %s: %d artifact(s) in the manifest", p.artifacts, p.artifactCount)
	}
	debug("state record %s: %d entries", state.Path(p.abi), len(p.old))
	for _, pr := range p.problems {
		debug("problem %s: %s", pr.Kind, pr.Message)
	}
	if md != modeUnlink {
		debug("%d of %d artifact(s) linked, %d stale", p.linked, p.artifactCount, p.stale)
	}
	if forStatus {
		debug("%d problem(s); repair would take %d action(s)", len(p.problems), len(p.actions))
	} else {
		debug("%d problem(s), %d action(s) planned", len(p.problems), len(p.actions))
	}
}

func (m mode) String() string {
	return [...]string{modeLink: "link", modeUnlink: "unlink", modeRepair: "repair"}[m]
}
