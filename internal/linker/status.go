package linker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/linux-librust/linux-librust/internal/kbuild"
)

// State summarises the links of one ABI; see the package comment for precedence.
type State string

// States.
const (
	StateLinked   State = "linked"
	StatePartial  State = "partial"
	StateUnlinked State = "unlinked"
	StateConflict State = "conflict"
	StateStale    State = "stale"
	// StateAbsent: neither tree of the ABI is installed and the tool has no record
	// of it: no such kernel.
	StateAbsent State = "absent"
)

// Status is the state of one ABI. Its JSON form is part of the stable interface.
type Status struct {
	ABI       string    `json:"abi"`
	State     State     `json:"state"`
	Headers   bool      `json:"headers"`        // <headers>/Makefile exists
	Artifacts bool      `json:"artifacts"`      // <artifacts>/linux-librust.manifest exists
	Total     int       `json:"artifact_count"` // artifacts in the manifest
	Linked    int       `json:"linked"`         // of those, linked
	Conflicts int       `json:"conflicts"`      // problems that link cannot fix by itself
	Stale     int       `json:"stale"`          // tool's links that repair would remove
	Problems  []Problem `json:"problems"`       // never null
}

// StatusAll reports on each of abis without changing anything. The ABIs are read in
// one pass over one kbuild.View, so that each manifest and directory is read once.
func (e *Engine) StatusAll(abis []string) ([]Status, error) {
	c := e.statusCommand()
	sts := make([]Status, 0, len(abis))
	for _, abi := range abis {
		st, err := e.status(c, abi)
		if err != nil {
			return nil, err
		}
		sts = append(sts, st)
	}
	return sts, nil
}

// Status reports on abi without changing anything.
func (e *Engine) Status(abi string) (Status, error) {
	return e.status(e.statusCommand(), abi)
}

// statusCommand plans as repair would, with one View for every ABI.
func (e *Engine) statusCommand() *command {
	c := newCommand(modeRepair)
	c.view = kbuild.NewView(e.FS)
	return c
}

func (e *Engine) status(c *command, abi string) (Status, error) {
	p, err := e.plan(c, abi)
	if err != nil {
		return Status{}, withAccessFix(err)
	}
	p.held.forget()
	e.explain(p, modeRepair, true)
	st := Status{
		ABI: abi, Headers: p.headersPresent, Artifacts: p.artifactsPresent,
		Total: p.artifactCount, Linked: p.linked, Conflicts: p.conflicts, Stale: p.stale,
		Problems: append([]Problem{}, p.problems...),
	}
	switch {
	case st.Conflicts > 0:
		st.State = StateConflict
	case st.Stale > 0:
		st.State = StateStale
	case st.Headers && st.Artifacts && st.Total > 0 && st.Linked == st.Total:
		st.State = StateLinked
	case st.Linked > 0:
		st.State = StatePartial
	case !st.Headers && !st.Artifacts && len(p.old) == 0:
		st.State = StateAbsent
	default:
		st.State = StateUnlinked
	}
	return st, nil
}

// withAccessFix adds to err, when it is the lack of access of an ordinary user running
// status, what to do about it: status runs as any user, but must see every path it
// reports on.
func withAccessFix(err error) error {
	var pe *fs.PathError
	if euid() == 0 || !errors.Is(err, fs.ErrPermission) || !errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%w; fix: let this user reach it (a+x on each directory above %s that lacks it), or run linux-librust status as root", err, pe.Path)
}

// euid is the effective user the process runs as.
var euid = os.Geteuid

// Line returns the one-line text form (see the package comment).
func (s Status) Line() string {
	return fmt.Sprintf("%s: %s headers=%s artifacts=%s links=%d/%d conflicts=%d stale=%d",
		s.ABI, s.State, yesNo(s.Headers), yesNo(s.Artifacts), s.Linked, s.Total, s.Conflicts, s.Stale)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// StatusFormat is the "format" of StatusJSON; it changes only if the schema breaks.
const StatusFormat = 1

// StatusJSON returns {"format":1,"kernels":[…]}, indented, without a final newline.
func StatusJSON(sts []Status) ([]byte, error) {
	if sts == nil {
		sts = []Status{}
	}
	doc := struct {
		Format  int      `json:"format"`
		Kernels []Status `json:"kernels"`
	}{StatusFormat, sts}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep "->" in messages readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode status: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
