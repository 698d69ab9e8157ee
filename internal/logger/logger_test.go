package logger

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
	"github.com/spf13/afero"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLevels(t *testing.T) {
	events := []Event{
		{Level: Debug, Kind: KindLink, Message: "considering a"},
		{Level: Info, Kind: KindLink, Message: "linked b"},
		{Level: Warn, Kind: KindConflict, Message: "c in the way"},
		{Level: Error, Kind: KindLink, Message: "d failed"},
		{Level: Info, Kind: KindPlan, Message: "would e"},
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"default", Options{}, "I: linked b\nW: c in the way\nE: d failed\nI: would e\n"},
		{"quiet: a dry run's plan shows", Options{Quiet: true}, "W: c in the way\nE: d failed\nI: would e\n"},
		{"verbose", Options{Verbose: true}, "D: considering a\nI: linked b\nW: c in the way\nE: d failed\nI: would e\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			l := New(&buf, tt.opts)
			for _, e := range events {
				l.Log(e)
			}
			assert.Equal(t, tt.want, buf.String())
		})
	}
}

// formatCount counts how often it is formatted.
type formatCount struct{ n *int }

func (c formatCount) String() string { *c.n++; return "x" }

// TestDebugfFormatsOnlyWhenShown: without -v a debug message goes nowhere, so its
// arguments are not even formatted.
func TestDebugfFormatsOnlyWhenShown(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		n := 0
		New(&buf, Options{Verbose: verbose}).Debugf("a %s", formatCount{&n})
		if verbose {
			assert.Equal(t, 1, n)
			assert.Equal(t, "D: a x\n", buf.String())
		} else {
			assert.Equal(t, 0, n)
			assert.Empty(t, buf.String())
		}
	}
}

func TestLogFileGetsChangesOnly(t *testing.T) {
	fs := afero.NewMemMapFs()
	require.NoError(t, fs.MkdirAll("/var/log", 0o755))
	require.NoError(t, afero.WriteFile(fs, "/var/log/l.log", []byte("earlier line\n"), 0o644))
	now := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	l := New(&buf, Options{Quiet: true, FS: fs, File: "/var/log/l.log", Now: func() time.Time { return now }})
	l.Log(Event{Level: Info, Kind: KindLink, Message: "link 1: rust/a", Change: true})
	l.Log(Event{Level: Info, Kind: KindMessage, Message: "nothing to do"})
	l.Log(Event{Level: Warn, Kind: KindBackup, Message: "moved x\naside", Change: true})
	require.NoError(t, l.Close())
	got, err := afero.ReadFile(fs, "/var/log/l.log")
	require.NoError(t, err)
	assert.Equal(t, "earlier line\n"+
		"linux-librust 2026-11-26 20:00:00: link 1: rust/a\n"+
		"linux-librust 2026-11-26 20:00:00: moved x aside\n", string(got))
	assert.Equal(t, "W: moved x\naside\n", buf.String())
}

func TestLogFileFailureWarnsOnce(t *testing.T) {
	fs := afero.NewReadOnlyFs(afero.NewMemMapFs())
	var buf bytes.Buffer
	l := New(&buf, Options{Quiet: true, FS: fs, File: "/var/log/l.log"})
	l.Log(Event{Level: Info, Kind: KindLink, Message: "a", Change: true})
	l.Log(Event{Level: Info, Kind: KindLink, Message: "b", Change: true})
	assert.Equal(t, 1, bytes.Count(buf.Bytes(), []byte("W: cannot open log /var/log/l.log")), buf.String())
}

// failing is a file system whose OpenFile fails with open, or whose files' writes
// fail with write.
type failing struct {
	afero.Fs
	open, write error
}

func (f failing) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if f.open != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: f.open}
	}
	file, err := f.Fs.OpenFile(name, flag, perm)
	return failingFile{file, f.write}, err
}

type failingFile struct {
	afero.File
	write error
}

func (f failingFile) WriteString(string) (int, error) {
	return 0, &os.PathError{Op: "write", Path: f.Name(), Err: f.write}
}

// A log file that cannot be opened or written says why and what to do, once.
func TestLogFileFailureSaysTheFix(t *testing.T) {
	const later = "@\n"
	tests := []struct {
		name        string
		open, write error
		want        string
	}{
		{"permission", syscall.EACCES, nil, "W: cannot open log /var/log/l.log: open /var/log/l.log: permission denied; " +
			"let root write it and /var/log (check their modes, and lsattr for the immutable flag), or remove it" + later},
		{"immutable", syscall.EPERM, nil, "W: cannot open log /var/log/l.log: open /var/log/l.log: operation not permitted; " +
			"let root write it and /var/log (check their modes, and lsattr for the immutable flag), or remove it" + later},
		{"read-only", syscall.EROFS, nil, "W: cannot open log /var/log/l.log: open /var/log/l.log: read-only file system; " +
			"the file system of /var/log is mounted read-only: remount it read-write" + later},
		{"no space to create", syscall.ENOSPC, nil, "W: cannot open log /var/log/l.log: open /var/log/l.log: no space left on device; " +
			"free space on the file system of /var/log" + later},
		{"no space to write", nil, syscall.ENOSPC, "W: cannot write log /var/log/l.log: write /var/log/l.log: no space left on device; " +
			"free space on the file system of /var/log" + later},
		{"quota", nil, syscall.EDQUOT, "W: cannot write log /var/log/l.log: write /var/log/l.log: disk quota exceeded; " +
			"free space on the file system of /var/log" + later},
		{"other", syscall.EIO, nil, "W: cannot open log /var/log/l.log: open /var/log/l.log: input/output error; " +
			"check /var/log and its file system" + later},
	}
	for _, tt := range tests {
		for _, quiet := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s quiet=%v", tt.name, quiet), func(t *testing.T) {
				fs := failing{afero.NewMemMapFs(), tt.open, tt.write}
				var buf bytes.Buffer
				l := New(&buf, Options{Quiet: quiet, FS: fs, File: "/var/log/l.log"})
				l.Log(Event{Level: Info, Kind: KindLink, Message: "a", Change: true})
				l.Log(Event{Level: Info, Kind: KindLink, Message: "b", Change: true})
				// Without -q the changes show, around the one warning; with it they do not,
				// and the warning does not say they do.
				want := strings.Replace(tt.want, "@", " (changes are not recorded meanwhile; without -q they are reported here)", 1)
				if !quiet {
					want = "I: a\n" + strings.Replace(tt.want, "@", " (changes are reported here meanwhile)", 1) + "I: b\n"
				}
				assert.Equal(t, want, buf.String())
			})
		}
	}
}

func TestEveryKindHasItsMessageID(t *testing.T) {
	for _, k := range []Kind{KindLink, KindUnlink, KindBackup, KindRestore, KindConflict, KindRepair,
		KindCollect, KindVerify, KindRustc, KindPlan, KindLock, KindDKMS} {
		assert.Contains(t, MessageIDs, k)
	}
	assert.NotContains(t, MessageIDs, KindMessage, "plain messages have the generic MESSAGE_ID")
}

func TestMessageIDsAreDistinctAndValid(t *testing.T) {
	seen := map[string]Kind{GenericMessageID: "generic"}
	for kind, id := range MessageIDs {
		assert.Regexp(t, `^[0-9a-f]{32}$`, id, kind)
		other, dup := seen[id]
		assert.False(t, dup, "%s and %s share a MESSAGE_ID", kind, other)
		seen[id] = kind
	}
}

// TestJournalAskedLazily: journald's socket is dialled on the first event it gets, once,
// never for a run that reports nothing but debug events, never with Journal off.
func TestJournalAskedLazily(t *testing.T) {
	tests := []struct {
		name        string
		journal     bool
		levels      []Level
		asked, sent int
	}{
		{"nothing logged", true, nil, 0, 0},
		{"debug only", true, []Level{Debug, Debug}, 0, 0},
		{"first event asks", true, []Level{Debug, Info}, 1, 1},
		{"asked once", true, []Level{Info, Warn, Error}, 1, 3},
		{"journal off", false, []Level{Info, Error}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked, sent := 0, 0
			stubJournal(t, func() bool { asked++; return true },
				func(string, journal.Priority, map[string]string) error { sent++; return nil })
			l := New(io.Discard, Options{Quiet: true, Journal: tt.journal})
			for _, lv := range tt.levels {
				l.Log(Event{Level: lv, Kind: KindLink, Message: "m"})
			}
			assert.Equal(t, tt.asked, asked, "journald asked")
			assert.Equal(t, tt.sent, sent, "entries sent")
		})
	}
}

func TestJournalPriorities(t *testing.T) {
	var got []journal.Priority
	stubJournal(t, func() bool { return true },
		func(_ string, p journal.Priority, _ map[string]string) error { got = append(got, p); return nil })
	l := New(io.Discard, Options{Quiet: true, Journal: true})
	for _, lv := range []Level{Debug, Info, Warn, Error} {
		l.Log(Event{Level: lv, Kind: KindLink, Message: "m"})
	}
	assert.Equal(t, []journal.Priority{journal.PriInfo, journal.PriWarning, journal.PriErr}, got)
}

// stubJournal stands in for journald during the test: enabled says whether it runs,
// send takes each entry.
func stubJournal(t *testing.T, enabled func() bool, send func(string, journal.Priority, map[string]string) error) {
	oldEnabled, oldSend := journalEnabled, journalSend
	t.Cleanup(func() { journalEnabled, journalSend = oldEnabled, oldSend })
	journalEnabled, journalSend = enabled, send
}
