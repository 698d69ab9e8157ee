// Package verifier checks an ABI's Rust artifact set against its manifest, its kernel
// headers and the installed rustc, and says exactly what is wrong: every finding has a
// stable code, names the file and gives a one-line fix. It owns the rule of which
// rustc reads a set (MatchRustc) and the cache of findings of unchanged sets (Cache).
package verifier

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"

	"github.com/linux-librust/linux-librust/internal/dylib"
	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/manifest"
	"github.com/linux-librust/linux-librust/internal/rootfs"
)

// Severity ranks a finding.
type Severity int

const (
	Note    Severity = iota // information; the set is usable
	Warning                 // probably wrong, or not decidable
	Error                   // an out-of-tree module build fails or would use a wrong file
)

func (s Severity) String() string {
	switch s {
	case Note:
		return "note"
	case Warning:
		return "warning"
	}
	return "error"
}

// MarshalText makes JSON carry the name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one problem. Code is stable and kebab-case; Path is absolute inside the
// root, or empty when the finding concerns the whole set.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Path     string   `json:"path,omitempty"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
}

func (f Finding) String() string {
	s := fmt.Sprintf("%s: %s", f.Severity, f.Code)
	if f.Path != "" {
		s += ": " + f.Path
	}
	s += ": " + f.Message
	if f.Fix != "" {
		s += "; fix: " + f.Fix
	}
	return s
}

// Options say what to verify.
type Options struct {
	Headers   string // headers tree, e.g. /usr/src/linux-headers-<ABI>
	Artifacts string // artifacts tree, e.g. /usr/lib/linux-librust-<ABI>
	Full      bool   // also hash every artifact: BLAKE3 where the manifest has it (then alone), else SHA-256
	Links     bool   // also check the links from the headers tree (see CheckLinks)
	// RustcVersion returns what the installed `rustc --version` prints. Nil, or an error
	// wrapping fs.ErrNotExist, means no rustc is installed: the check is skipped with a note.
	RustcVersion func() (string, error)
	// Host is the architecture proc macros must be loadable on; nil means this machine.
	Host *dylib.Arch
	// Workers bounds the files (or pieces of files) hashed at once in Full mode; 0 means
	// GOMAXPROCS.
	Workers int
	// Cache, when not nil, reuses the findings of the checks that read file contents
	// while none of those files changed (see Cache); never in Full mode.
	Cache *Cache
}

// Report is the outcome of Verify.
type Report struct {
	Headers   string `json:"headers"`
	Artifacts string `json:"artifacts"`
	// ABI and Paths come from the manifest; empty when it could not be read.
	ABI   string   `json:"abi,omitempty"`
	Paths []string `json:"paths,omitempty"`
	// RustcVersion is the version text the set needs: CONFIG_RUSTC_VERSION_TEXT, else the
	// manifest's.
	RustcVersion string    `json:"rustc_version,omitempty"`
	Findings     []Finding `json:"findings"`
}

// Worst returns the highest severity found; ok is false when there are no findings.
func (r *Report) Worst() (s Severity, ok bool) {
	for _, f := range r.Findings {
		if !ok || f.Severity > s {
			s, ok = f.Severity, true
		}
	}
	return s, ok
}

// Clean tells whether nothing but notes was found.
func (r *Report) Clean() bool {
	s, ok := r.Worst()
	return !ok || s == Note
}

// Codes returns the finding codes in order, for tests and summaries.
func (r *Report) Codes() []string {
	cs := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		cs[i] = f.Code
	}
	return cs
}

// run carries the state of one Verify.
type run struct {
	fsys     rootfs.FS
	opts     Options
	report   *Report
	manifest *manifest.Manifest
	// versions maps a rustc version text to the artifact paths carrying it.
	versions map[string][]string
	// custom maps a custom target JSON text to the rmeta paths built for it.
	customTargets map[string][]string
	targetNames   map[string][]string // target name → rmeta paths
	// versionReported marks artifacts whose manifest entry names another version.
	versionReported map[string]bool
	// manifestID is the manifest's identity before it was read (for Cache).
	manifestID   identity
	manifestIDOK bool
}

func (r *run) add(code string, sev Severity, p, fix, format string, args ...any) {
	r.report.Findings = append(r.report.Findings, Finding{
		Code: code, Severity: sev, Path: p, Message: fmt.Sprintf(format, args...), Fix: fix,
	})
}

// art returns the absolute path of an artifact in the artifacts tree.
func (r *run) art(rel string) string { return path.Join(r.opts.Artifacts, rel) }

// Verify checks one ABI's artifact set. It never fails: everything it cannot check is a
// finding.
func Verify(fsys rootfs.FS, opts Options) Report {
	r := newRun(fsys, opts)
	r.verify()
	sortFindings(r.report.Findings)
	return *r.report
}

func newRun(fsys rootfs.FS, opts Options) *run {
	return &run{fsys: fsys, opts: opts,
		report:   &Report{Headers: opts.Headers, Artifacts: opts.Artifacts, Findings: []Finding{}},
		versions: map[string][]string{}, customTargets: map[string][]string{}, targetNames: map[string][]string{},
		versionReported: map[string]bool{}}
}

func (r *run) verify() {
	if !r.readManifest() {
		return
	}
	if r.opts.Full {
		defer r.startSums()() // hashed while the other checks go on
	}
	r.checkSearchable(r.report.Paths)
	headers := r.checkHeadersTree()
	r.contentChecks(headers)
	r.checkUnlisted()
	r.checkInstalledRustc()
	if headers && r.opts.Links {
		support := map[string]bool{}
		for _, a := range r.manifest.Artifacts {
			support[a.Path] = a.Kind == manifest.KindSupport
		}
		r.report.Findings = append(r.report.Findings, checkLinks(r.fsys, r.opts.Headers, r.opts.Artifacts, r.report.Paths, support, r.opts.Full)...)
		r.checkShared()
	}
}

// readManifest reads the manifest of the artifacts tree into r; false when there is
// none to read (a finding says why).
func (r *run) readManifest() bool {
	fix := "reinstall the package that ships " + r.opts.Artifacts + ", or rerun linux-librust collect"
	if fi, err := r.fsys.Stat(r.opts.Artifacts); err != nil || !fi.IsDir() {
		r.add("artifacts-missing", Error, r.opts.Artifacts, "install the linux-librust package of this kernel",
			"the artifacts tree is missing")
		return false
	}
	m, id, idOK, err := manifest.ReadIdentified(r.fsys, r.opts.Artifacts)
	r.manifestID, r.manifestIDOK = id, idOK // taken before it was read
	if err != nil {
		code := "manifest-invalid"
		if errors.Is(err, fs.ErrNotExist) {
			code = "manifest-missing"
		}
		var re *manifest.ReadError
		if errors.As(err, &re) {
			err, fix = re.Err, re.Fix
		}
		r.add(code, Error, r.opts.Artifacts, fix, "%v", err)
		return false
	}
	r.manifest = m
	r.report.ABI = m.ABI
	r.report.Paths = m.Paths()
	if want := layout.ABIFromPath(layout.ArtifactsPattern, r.opts.Artifacts); want != "" && want != m.ABI {
		r.add("manifest-abi-mismatch", Error, path.Join(r.opts.Artifacts, layout.ManifestName),
			"rebuild the package with linux-librust collect --abi "+want,
			"the manifest describes the artifacts of kernel %s, but they are installed for %s", m.ABI, want)
	}
	return true
}

// neededRustc returns the version text the set needs, as checkVersions decides it: the
// headers' CONFIG_RUSTC_VERSION_TEXT, else the manifest's.
func (r *run) neededRustc() string {
	if r.checkHeadersTree() {
		if v := r.checkConfig(); v != "" {
			return v
		}
	}
	return r.manifest.RustcVersion
}

// checkHeadersTree tells whether the headers tree exists; without it the checks against
// .config and the links are skipped.
func (r *run) checkHeadersTree() bool {
	// A directory above the tree that is a link the linker cannot follow: link and
	// repair refuse it, so the link checks would only advise them in vain.
	if abi := r.manifest.ABI; layout.ValidateABI(abi) == nil && layout.Headers(abi) == r.opts.Headers {
		var hpe *layout.HeadersPathError
		if _, err := layout.HeadersDir(r.fsys, abi); errors.As(err, &hpe) {
			r.add("headers-path", Error, hpe.Link, "make "+hpe.Link+" a directory, or a link to a directory inside the root",
				"%s is a symbolic link to %s, which %s: linux-librust cannot link the artifacts into %s; the .config and link checks were skipped",
				hpe.Link, hpe.Target, hpe.Reason, r.opts.Headers)
			return false
		}
	}
	if fi, err := r.fsys.Stat(r.opts.Headers); err != nil || !fi.IsDir() {
		r.add("headers-missing", Note, r.opts.Headers, "install linux-headers-"+r.manifest.ABI+" to build modules for this kernel",
			"the headers tree is missing: the .config and link checks were skipped")
		return false
	}
	return true
}

// sortFindings orders findings by path, then code, keeping the check order otherwise.
func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Path != fs[j].Path {
			return fs[i].Path < fs[j].Path
		}
		return fs[i].Code < fs[j].Code
	})
}
