// Package linker links the Rust artifacts of a kernel into its headers tree, checks those
// links and removes them.
//
// For every artifact P in the manifest of <artifacts> (layout.Artifacts), <headers>/P
// (layout.Headers) becomes a relative symbolic link to <artifacts>/P. Every command first
// computes a plan (a list of Actions) from what it finds, then executes it; with DryRun
// it only reports the plan.
//
// The links are per file, never one link per directory (rust -> …/rust): dpkg follows a
// symbolic link to a directory when a later package ships files beneath it, so a
// headers package that starts shipping rust/ would unpack into the artifacts tree, and
// remove its files from there again. The directories on the way (<headers>/rust/) are
// real directories the tool creates (mode 0755 whatever the umask), records and removes
// once empty.
//
// # All or nothing
//
// An ABI with any problem (a conflict, a failed Engine.Check, …) gets no new object:
// link and repair drop every mkdir, backup and link of its plan, shared links
// included, so that a module build never meets a half-linked set. Links already in
// place stay; removals of the tool's stale links and temporary leftovers still run.
// A state record that cannot be read (ProblemStateRecord) leaves its ABI alone
// entirely; the other ABIs are served.
//
// # Status line
//
// Status.Line is one line per ABI, stable across versions:
//
//	<abi>: <state> headers=<yes|no> artifacts=<yes|no> links=<linked>/<artifacts> conflicts=<n> stale=<n>
//
// headers: <headers>/Makefile exists. artifacts: <artifacts>/linux-librust.manifest
// exists. links: artifacts whose link is in place, of the artifacts in the manifest.
// conflicts: problems that link cannot fix by itself (a foreign object in the way, a
// parent directory that is a symbolic link not into a linux-kbuild tree, a missing
// artifact, an unreadable manifest, a headers tree that is a link or lies behind one
// that cannot be followed (layout.HeadersDir), flavours that need different files at
// one shared path, a damaged state record, a set whose proc macros are for another
// machine (ProblemMachine); Status.Problems lists them. Status never runs Engine.Check: it stays read-only and
// cheap, and verify reports what the checks find.
// stale: links of the tool (and leftover temporary links) that repair would remove. The
// state is the first that applies:
//
//	conflict  conflicts > 0
//	stale     stale > 0
//	linked    both trees present, at least one artifact, all linked
//	partial   some linked
//	absent    neither tree present and no state record: no such kernel
//	unlinked  none linked
//
// # Shared artifacts
//
// When a parent directory of <headers>/P is a symbolic link that resolves to a
// directory of a linux-kbuild tree (layout.KbuildPattern; Debian's
// scripts -> ../../lib/linux-kbuild-<ver>/scripts, one tree for every flavour), P has one
// place for all flavours: the tool links that place, e.g.
// /usr/lib/linux-kbuild-7.2/scripts/target.json -> ../../linux-librust-<ABI>/scripts/target.json,
// into one of the ABIs whose headers reach it and whose manifest lists it, as
// kbuild.Choose decides: the file served stays while a flavour already served needs
// it, a flavour that needs another file is the conflict (shared-conflict), and a set
// that fails Engine.Check takes no part in the choice. unlink re-points the link to
// another linked ABI that needs the same file (never to one unlinked, by the same
// command or before) or removes it; repair also removes it, with the directories dpkg
// left only because of it, once the kbuild package is gone. The artifact counts as
// linked for every ABI served. Package kbuild knows the shared paths and their members; see shared.go.
//
// # JSON
//
// StatusJSON writes {"format":1,"kernels":[Status…]} with the fields named by the json
// tags of Status and Problem; later versions only add fields.
package linker

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"time"

	"github.com/linux-librust/linux-librust/internal/kbuild"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/logger"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// DefaultLockWait bounds the wait for another instance.
const DefaultLockWait = 60 * time.Second

// Engine links, unlinks, repairs and reports on the kernels under the root of FS.
type Engine struct {
	FS     rootfs.FS
	Log    func(logger.Event) // nil discards
	DryRun bool               // plan and report, change nothing
	Force  bool               // move foreign objects in the way aside; link despite failed checks
	// Verbose asks for the debug events; without it they are not even formatted.
	Verbose bool

	// Check, when set, runs before link and repair make anything for an ABI whose
	// trees are both present (<headers>/Makefile and the manifest exist). The problems
	// it returns refuse the ABI like any other (nothing new is made for it); with
	// Force they are reported as warnings instead. Status never runs it.
	Check func(abi string) []Problem

	LockWait time.Duration // 0: DefaultLockWait
}

// Op names an action.
type Op string

// kind is the logger event kind of an action.
func (o Op) kind() logger.Kind {
	switch o {
	case OpBackup:
		return logger.KindBackup
	case OpRestore:
		return logger.KindRestore
	case OpUnlink, OpRmdir:
		return logger.KindUnlink
	}
	return logger.KindLink
}

// Actions, in the order a plan may contain them for one path.
const (
	OpClean   Op = "clean"   // remove a leftover temporary object of the tool
	OpMkdir   Op = "mkdir"   // create a directory on the way to a link
	OpBackup  Op = "backup"  // move a foreign object aside (--force)
	OpLink    Op = "link"    // create a link (temporary name, rename, directory fsync)
	OpUnlink  Op = "unlink"  // remove a link of the tool
	OpRestore Op = "restore" // put a backup back in place
	OpRmdir   Op = "rmdir"   // remove an empty directory
	OpChmod   Op = "chmod"   // give a directory of the tool its mode again
)

// dirMode is the mode of the directories the tool creates, whatever the umask: module
// builds run as any user.
const dirMode fs.FileMode = 0o755

// Action is one step of a plan. Paths are absolute inside the root.
type Action struct {
	Op     Op     `json:"op"`
	Path   string `json:"path"`
	Target string `json:"target,omitempty"` // OpLink: the link target
	// Replace: OpLink replaces a foreign object already copied to its backup, OpRestore
	// replaces the tool's link; both in one rename, so the path is never missing.
	Replace bool   `json:"replace,omitempty"`
	dir     bool   // OpBackup, OpRestore: the object is a directory, moved by rename
	want    string // OpUnlink of a shared link: the target that makes it the tool's
	rel     string
}

func (a Action) String() string {
	switch a.Op {
	case OpLink:
		return fmt.Sprintf("link %s -> %s", a.Path, a.Target)
	case OpBackup:
		return fmt.Sprintf("move %s aside to %s", a.Path, a.Path+layout.BackupSuffix)
	case OpRestore:
		return fmt.Sprintf("restore %s from %s", a.Path, a.Path+layout.BackupSuffix)
	case OpClean:
		return fmt.Sprintf("remove leftover %s", a.Path)
	case OpChmod:
		return fmt.Sprintf("chmod %o %s", dirMode, a.Path)
	case OpUnlink:
		return fmt.Sprintf("remove link %s", a.Path)
	default:
		return fmt.Sprintf("%s %s", a.Op, a.Path)
	}
}

// Problem kinds.
const (
	ProblemConflict       = "conflict"        // a foreign object where a link belongs
	ProblemSymlinkParent  = "symlink-parent"  // a parent directory is a symbolic link
	ProblemNotDirectory   = "not-directory"   // a parent directory is something else
	ProblemBackupExists   = "backup-exists"   // --force, but the backup name is taken
	ProblemRestoreBlocked = "restore-blocked" // a backup cannot go back: its path is taken
	ProblemArtifact       = "artifact"        // an artifact is missing or not a regular file
	ProblemManifest       = "manifest"        // the manifest cannot be read
	ProblemHeadersPath    = "headers-path"    // the headers tree is a link, or behind one that cannot be followed
	ProblemSharedConflict = "shared-conflict" // flavours need different files at one shared path
	ProblemStateRecord    = "state-record"    // the state record cannot be read: the ABI is left alone
	ProblemCheck          = "check"           // Engine.Check failed (link and repair only)
	ProblemMachine        = "machine"         // the proc macros are for another machine (status only)
)

// Problem is something the tool cannot fix by itself.
type Problem struct {
	Kind    string `json:"kind"`
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// Report is the outcome of a command for one ABI.
type Report struct {
	ABI      string
	Actions  []Action  // planned; executed unless DryRun or an error stopped them
	Problems []Problem // the command ends with problems (exit status 1) when not empty
}

// event reports what happened to path of abi; change marks an action that altered the
// system (it goes to the log file).
func (e *Engine) event(level logger.Level, kind logger.Kind, abi, path string, change bool, format string, args ...any) {
	if e.Log != nil && (level != logger.Debug || e.Verbose) {
		e.Log(logger.Event{Level: level, Kind: kind, ABI: abi, Path: path, Change: change,
			Message: fmt.Sprintf(format, args...)})
	}
}

type mode int

const (
	modeLink   mode = iota // make the links; nothing to do when a tree is missing
	modeUnlink             // remove everything of the tool
	modeRepair             // link where both trees exist, else clean up
)

// command is one run of link, unlink, repair or status over one or more ABIs: what the
// plans of its ABIs share. Nothing of it outlives the command.
type command struct {
	md      mode
	leaving map[string]bool      // unlink: the ABIs it unlinks; none serves a shared path
	checks  map[string][]Problem // Engine.Check's problems by ABI, run once each
	view    *kbuild.View         // status: one View for every ABI, as nothing changes
}

// isStatus reports whether c is a status command, the one that holds a View: it
// changes nothing, and Engine.Check never runs.
func (c *command) isStatus() bool { return c.view != nil }

func newCommand(md mode, leaving ...string) *command {
	c := &command{md: md, leaving: map[string]bool{}, checks: map[string][]Problem{}}
	for _, a := range leaving {
		c.leaving[a] = true
	}
	return c
}

// Link links the artifacts of abi into its headers tree.
func (e *Engine) Link(abi string) (*Report, error) {
	return e.locked(func() (*Report, error) { return e.run(newCommand(modeLink), abi) })
}

// Unlink removes what Link made for abi and restores the backups.
func (e *Engine) Unlink(abi string) (*Report, error) {
	return e.locked(func() (*Report, error) { return e.run(newCommand(modeUnlink, abi), abi) })
}

// UnlinkAll unlinks each of abis in one command: a shared link never moves to one of
// them. It goes on after an error and returns all errors joined.
func (e *Engine) UnlinkAll(abis []string) ([]*Report, error) {
	return e.each(newCommand(modeUnlink, abis...), func() ([]string, error) { return abis, nil })
}

// Repair converges each of abis: links where both trees exist; elsewhere removes the
// tool's links, its directories and a headers directory left only because of them.
// It goes on after an error and returns all errors joined.
func (e *Engine) Repair(abis []string) ([]*Report, error) {
	return e.each(newCommand(modeRepair), func() ([]string, error) { return abis, nil })
}

// RepairAll repairs every ABI found under the root (see ABIs).
func (e *Engine) RepairAll() ([]*Report, error) {
	return e.each(newCommand(modeRepair), e.ABIs)
}

// each runs c for the ABIs that list returns once the lock is held.
func (e *Engine) each(c *command, list func() ([]string, error)) ([]*Report, error) {
	var reports []*Report
	var errs []error
	_, err := e.locked(func() (*Report, error) {
		abis, err := list()
		if err != nil {
			return nil, err
		}
		for _, abi := range abis {
			r, err := e.run(c, abi)
			if r != nil {
				reports = append(reports, r)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return nil, nil
	})
	if err != nil {
		return reports, err
	}
	return reports, errors.Join(errs...)
}

// run plans and, unless DryRun, executes one command for abi. The lock is held.
func (e *Engine) run(c *command, abi string) (*Report, error) {
	md := c.md
	p, err := e.plan(c, abi)
	if err != nil {
		return nil, err
	}
	defer p.held.forget()
	e.explain(p, md, false)
	if p.nothing != "" {
		e.event(logger.Info, logger.KindLink, abi, "", false, "%s: nothing to do: %s", abi, p.nothing)
	}
	for _, pr := range p.problems {
		e.event(logger.Error, logger.KindConflict, abi, pr.Path, false, "%s", pr.Message)
	}
	checked := false
	if md != modeUnlink && !p.frozen && p.headersPresent && p.artifactsPresent && e.Check != nil {
		checked = e.check(c, p)
	}
	if md != modeUnlink && len(p.problems) > 0 {
		dropped, err := e.withhold(p)
		if err != nil {
			return nil, err
		}
		switch {
		case checked:
			e.event(logger.Error, logger.KindVerify, abi, "", false, "%s: not linked: fix the problems above (linux-librust verify %s), or link anyway with --force", abi, abi)
		case dropped > 0:
			e.event(logger.Error, logger.KindConflict, abi, "", false, "%s: nothing new linked because of the problems above: a partly linked set fails module builds; fix them and rerun", abi)
		}
	}
	r := &Report{ABI: abi, Actions: p.actions, Problems: p.problems}
	if e.DryRun {
		for _, a := range p.actions {
			e.event(logger.Info, logger.KindPlan, abi, a.Path, false, "would %s", a)
		}
		return r, nil
	}
	if err := e.execute(p); err != nil {
		return r, err
	}
	e.event(logger.Debug, logger.KindMessage, abi, "", false, "%s: %s: done, %d action(s) taken", abi, md, len(p.actions))
	return r, nil
}

// check runs e.Check on the ABI of p. Its problems join the plan's, or with Force are
// warnings; it reports whether they refuse the ABI.
func (e *Engine) check(c *command, p *plan) bool {
	probs := e.checkOf(c, p.abi)
	if len(probs) == 0 {
		return false
	}
	level := logger.Error
	if e.Force {
		level = logger.Warn
	}
	for _, pr := range probs {
		e.event(level, logger.KindVerify, p.abi, pr.Path, false, "%s", pr.Message)
	}
	if e.Force {
		e.event(logger.Warn, logger.KindVerify, p.abi, "", false, "%s: linking despite the failed checks above (--force)", p.abi)
		return false
	}
	for _, pr := range probs {
		p.problem(ProblemCheck, pr.Path, "%s", pr.Message)
	}
	return true
}

// checkOf returns the problems of e.Check for abi, run once in the command c.
func (e *Engine) checkOf(c *command, abi string) []Problem {
	probs, ok := c.checks[abi]
	if !ok {
		probs = e.Check(abi)
		c.checks[abi] = probs
	}
	return probs
}

// withhold drops from the plan of an ABI with problems every action that makes a new
// object (a directory, a backup, a link, also a shared one): a half-linked set gives
// module builds confusing errors, so an ABI is linked entirely or not at all. What is
// in place stays; removals of the tool's stale objects and leftovers still run. The
// record entries the dropped actions needed go too (they are written before the
// actions): of the entries the plan adds, only those with something on disk now stay,
// so that the record never claims an object the tool did not make. It returns the
// number of actions dropped.
func (e *Engine) withhold(p *plan) (int, error) {
	kept := make([]Action, 0, len(p.actions))
	for _, a := range p.actions {
		switch a.Op {
		case OpMkdir, OpBackup, OpLink:
		default:
			kept = append(kept, a)
		}
	}
	dropped := len(p.actions) - len(kept)
	if dropped == 0 {
		return 0, nil
	}
	p.actions = kept
	var err error
	if p.intent, err = observe(p.held, p.headers, p.abi, p.intent); err != nil {
		return 0, err
	}
	for _, rs := range p.others {
		if rs.intent, err = observe(p.held, p.headersOf(e, rs.abi), rs.abi, rs.intent); err != nil {
			return 0, err
		}
	}
	return dropped, nil
}

// ABIs returns every ABI found under the root, sorted: headers trees, artifacts trees
// and state records.
func (e *Engine) ABIs() ([]string, error) {
	set := map[string]bool{}
	patterns := append([]string{layout.HeadersPattern, path.Join(layout.StateDir, "%s")}, layout.ArtifactsPatterns()...)
	for _, pattern := range patterns {
		abis, err := layout.Scan(e.FS, pattern)
		if err != nil {
			return nil, err
		}
		for _, a := range abis {
			set[a] = true
		}
	}
	delete(set, path.Base(layout.LockFile))
	abis := make([]string, 0, len(set))
	for a := range set {
		abis = append(abis, a)
	}
	sort.Strings(abis)
	return abis, nil
}

// target is the link target for artifact p of abi in the headers tree at headers (where
// it is: layout.HeadersDir): relative, from the link's directory.
func target(headers, abi, p string) string {
	return layout.LinkTarget(path.Join(headers, p), path.Join(layout.Artifacts(abi), p))
}

// headersOf returns where the headers tree of abi is: the plan's for its own ABI, else
// layout.HeadersDir, or Headers(abi) when that cannot be followed (the plan of abi
// reports why). withhold and the observation after the run ask it of the other ABIs
// the plan touched.
func (p *plan) headersOf(e *Engine, abi string) string {
	if abi == p.abi {
		return p.headers
	}
	h, err := layout.HeadersDir(e.FS, abi)
	if err != nil {
		return layout.Headers(abi)
	}
	return h
}
