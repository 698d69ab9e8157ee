// Package logger reports what linux-librust does: one human line per event on stderr
// ("I: …", "W: …", "E: …" as linux-base does), a structured journald entry per event
// when journald is running, and an append-only log file for changes made to the system.
package logger

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/spf13/afero"

	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Level is the severity of an event; its value is the letter printed on stderr.
type Level byte

// Levels, from the least to the most severe.
const (
	Debug Level = 'D'
	Info  Level = 'I'
	Warn  Level = 'W'
	Error Level = 'E'
)

// Kind is the class of an event. Each class has a fixed journald MESSAGE_ID
// (MessageIDs) and is sent as the ACTION field.
type Kind string

// The event kinds. Their names and MESSAGE_IDs are stable: never change a published one.
const (
	KindLink     Kind = "link"     // a link made, or a link command's outcome
	KindUnlink   Kind = "unlink"   // a link or directory of the tool removed
	KindBackup   Kind = "backup"   // a foreign object moved aside (--force)
	KindRestore  Kind = "restore"  // a moved-aside object put back
	KindConflict Kind = "conflict" // something in the way that the tool leaves alone
	KindRepair   Kind = "repair"   // a repair's outcome
	KindCollect  Kind = "collect"  // a set of artifacts collected
	KindVerify   Kind = "verify"   // a finding of the checks
	KindRustc    Kind = "rustc"    // the installed rustc against what the kernels need
	KindPlan     Kind = "plan"     // what a dry run would do; never a change; shown under Quiet
	KindLock     Kind = "lock"     // waiting for another instance
	KindDKMS     Kind = "dkms"     // DKMS asked to build a kernel's modules, and its outcome
	KindMessage  Kind = "message"  // anything else (Infof, Warnf, …)
)

// Event is one thing that happened.
type Event struct {
	Level   Level
	Kind    Kind
	ABI     string
	Path    string
	Message string
	// Change marks an event that altered the system; only these go to the log file.
	Change bool
}

// MessageIDs maps event kinds to their journald MESSAGE_ID. Kinds missing here are
// sent with GenericMessageID.
var MessageIDs = map[Kind]string{
	KindLink:     "146253128a0c40acbdbdeba3e9c38c0a",
	KindUnlink:   "d21c18274d794ba8a0dec2ce80c4b071",
	KindBackup:   "cb9ece19a9f24d2ca49a8af61ba11bc5",
	KindRestore:  "5cb3238b693748f3a7defd15a4615cae",
	KindConflict: "29e7054e87014452a43a05fca33b4933",
	KindRepair:   "3caaec9f26f745348f66858a86d1b369",
	KindCollect:  "fe5a1cb3fd7c40f1a8055db6bbc8174b",
	KindVerify:   "f6864ab5fbf645c5a7c77808e009f48a",
	KindRustc:    "b01ffad1c9f4482e9bdcba7dfc00fb93",
	KindPlan:     "855436ad52464802a174dc62928ddb0c",
	KindLock:     "297c1b8a86614f03bc02ef4c57715bdf",
	KindDKMS:     "183104c46ade4829b5af54de8b822ed7",
}

// GenericMessageID is sent for event kinds without an entry in MessageIDs.
const GenericMessageID = "ac82ac4e72c1441598a2102c12281859"

// Options configure a Logger.
type Options struct {
	Quiet   bool // only warnings and errors on stderr
	Verbose bool // debug events on stderr too
	// Journal sends entries to journald when it is running.
	Journal bool
	// FS and File name the append-only log; File "" disables it.
	FS   afero.Fs
	File string
	// Now gives the time stamp of log file lines (default time.Now).
	Now func() time.Time
}

// Logger writes events. It is safe for concurrent use.
type Logger struct {
	mu      sync.Mutex
	w       io.Writer
	opts    Options
	journal journalState
	file    afero.File
	fileErr bool
}

// journalState is whether journald has been asked and answered.
type journalState int

const (
	journalUnasked journalState = iota
	journalOn
	journalOff
)

// journalEnabled and journalSend are go-systemd's; tests replace them.
var (
	journalEnabled = journal.Enabled
	journalSend    = journal.Send
)

// New returns a Logger writing human lines to w. journald is asked whether it runs
// only when the first event for it comes: a run with nothing to report opens no socket.
func New(w io.Writer, opts Options) *Logger {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Logger{w: w, opts: opts}
	if !opts.Journal {
		l.journal = journalOff
	}
	return l
}

// Discard is a Logger that reports nothing.
func Discard() *Logger { return New(io.Discard, Options{}) }

// Log reports e.
func (l *Logger) Log(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.shows(e) {
		fmt.Fprintf(l.w, "%c: %s\n", e.Level, e.Message)
	}
	if e.Level == Debug {
		return
	}
	if l.journal == journalUnasked {
		// Enabled dials journald's socket: ask once per Logger.
		l.journal = journalOff
		if journalEnabled() {
			l.journal = journalOn
		}
	}
	if l.journal == journalOn {
		l.send(e)
	}
	if e.Change && l.opts.File != "" {
		l.append(e)
	}
}

// Infof, Warnf, Errorf and Debugf report an event of kind KindMessage.
func (l *Logger) Infof(format string, a ...any)  { l.printf(Info, format, a...) }
func (l *Logger) Warnf(format string, a ...any)  { l.printf(Warn, format, a...) }
func (l *Logger) Errorf(format string, a ...any) { l.printf(Error, format, a...) }
func (l *Logger) Debugf(format string, a ...any) { l.printf(Debug, format, a...) }

// Planf reports what a dry run would do (KindPlan), also under Quiet.
func (l *Logger) Planf(abi, format string, a ...any) {
	l.Log(Event{Level: Info, Kind: KindPlan, ABI: abi, Message: fmt.Sprintf(format, a...)})
}

func (l *Logger) printf(lv Level, format string, a ...any) {
	if lv == Debug && !l.opts.Verbose {
		return // shown nowhere else: not even formatted
	}
	l.Log(Event{Level: lv, Kind: KindMessage, Message: fmt.Sprintf(format, a...)})
}

// Close closes the log file.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	err := l.file.Close()
	l.file = nil
	return err
}

// shows reports whether e goes to stderr. A plan is what a dry run was asked for: -q
// does not hide it.
func (l *Logger) shows(e Event) bool {
	switch e.Level {
	case Debug:
		return l.opts.Verbose
	case Info:
		return !l.opts.Quiet || e.Kind == KindPlan
	}
	return true
}

// priority is journald's priority of a level sent (Info, Warn, Error).
func priority(l Level) journal.Priority {
	switch l {
	case Warn:
		return journal.PriWarning
	case Error:
		return journal.PriErr
	}
	return journal.PriInfo
}

// send never fails the caller: without journald there is nothing to do.
func (l *Logger) send(e Event) {
	id, ok := MessageIDs[e.Kind]
	if !ok {
		id = GenericMessageID
	}
	vars := map[string]string{
		"SYSLOG_IDENTIFIER": "linux-librust",
		"MESSAGE_ID":        id,
		"ACTION":            string(e.Kind),
	}
	if e.ABI != "" {
		vars["KERNEL_ABI"] = e.ABI
	}
	if e.Path != "" {
		vars["PATH"] = e.Path
	}
	_ = journalSend(e.Message, priority(e.Level), vars)
}

// append writes a line like alternatives.log does; a failure is reported once on
// stderr and never fails the command.
func (l *Logger) append(e Event) {
	if l.fileErr {
		return
	}
	if l.file == nil {
		_ = l.opts.FS.MkdirAll(path.Dir(l.opts.File), 0o755)
		// Never through a link, and never waiting on a FIFO or a device: a hook
		// holding the lock would hang dpkg.
		f, err := rootfs.OpenRegular(l.opts.FS, l.opts.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW, 0o644)
		if err != nil {
			l.fileErr = true
			var nr *rootfs.NotRegularError
			if errors.As(err, &nr) {
				err = nr // "is a FIFO, not a regular file": the path is said once
			}
			fmt.Fprintf(l.w, "W: cannot open log %s: %v; %s%s\n", l.opts.File, err, l.fileFix(err), l.meanwhile())
			return
		}
		l.file = f
	}
	line := fmt.Sprintf("linux-librust %s: %s\n", l.opts.Now().Format("2006-01-02 15:04:05"), oneLine(e.Message))
	if _, err := io.WriteString(l.file, line); err != nil {
		l.fileErr = true
		fmt.Fprintf(l.w, "W: cannot write log %s: %v; %s%s\n", l.opts.File, err, l.fileFix(err), l.meanwhile())
	}
}

// meanwhile says where the changes the log misses go: here, unless -q hides them.
func (l *Logger) meanwhile() string {
	if l.opts.Quiet {
		return " (changes are not recorded meanwhile; without -q they are reported here)"
	}
	return " (changes are reported here meanwhile)"
}

// fileFix says what to do about the log file when opening or writing it failed with err.
func (l *Logger) fileFix(err error) string {
	dir := path.Dir(l.opts.File)
	switch {
	case errors.Is(err, rootfs.ErrNotRegular):
		return "remove it, and the next run creates the log anew"
	case errors.Is(err, syscall.EROFS):
		return "the file system of " + dir + " is mounted read-only: remount it read-write"
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "free space on the file system of " + dir
	case errors.Is(err, os.ErrPermission):
		return "let root write it and " + dir + " (check their modes, and lsattr for the immutable flag), or remove it"
	}
	return "check " + dir + " and its file system"
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
