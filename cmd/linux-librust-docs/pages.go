package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/linux-librust/linux-librust/internal/layout"
)

// abiPath writes a path pattern of layout with ABI (or VER) for its %s.
func abiPath(pattern, placeholder string) string { return fmt.Sprintf(pattern, placeholder) }

const globalOptionsNote = `The global options (--root DIR, --dry-run, -q, -v, --force, --json) are taken
before or after the command; see linux-librust(8).`

// exitStatus is each command's EXIT STATUS where it says more than the common rule.
var exitStatus = map[string]string{
	"status": `0 every kernel listed is linked, partly linked or unlinked; 1 a kernel is in
conflict, stale or absent (a kernel named that does not exist); 2 usage error.`,
	"verify": `0 only notes were found; 1 a finding that is a warning or an error; 2 usage
error.`,
	"hook": `0 done or nothing to do, also when a conflict or a failed check leaves a kernel
unlinked (a warning says so); 1 the system could not be changed (an I/O error,
the lock not obtained), since a failing hook aborts the kernel package's
configuration; 2 usage error.`,
	"dkms-prebuild": `0 build; 77 do not build for this kernel now (DKMS reports "skipped"); 1 the
artifacts are installed but unusable, or the headers' .config cannot be read; 2
usage error.`,
}

const commonExitStatus = `0 done or nothing to do; 1 refused or problems found (each is reported on
standard error); 2 usage error.`

func exitStatusOf(c *cobra.Command) string {
	if s, ok := exitStatus[c.Name()]; ok {
		return s
	}
	return commonExitStatus
}

// mainPage is linux-librust(8): what the tool is for, the layout it manages, the
// commands, and the files and environment it works with.
func mainPage(root *cobra.Command, cmds []*cobra.Command) *page {
	headers := abiPath(layout.HeadersPattern, "ABI")
	artifacts := abiPath(layout.ArtifactsPattern, "ABI")
	kbuild := abiPath(layout.KbuildPattern, "VER")
	state := layout.StateDir + "/ABI"

	var items []item
	var seeAlso []string
	for _, c := range cmds {
		items = append(items, item{c.Use, fmt.Sprintf("%s. See linux-librust-%s(8).", sentenceCase(c.Short), c.Name())})
		seeAlso = append(seeAlso, "linux-librust-"+c.Name()+"(8)")
	}
	seeAlso = append(seeAlso, "dpkg(1)", "dpkg-trigger(1)", "deb-triggers(5)", "kernel-install(8)",
		"dkms(8)", "update-alternatives(1)", "sha256sum(1)")

	return &page{
		name:  "linux-librust",
		short: root.Short,
		synopsis: []string{
			"linux-librust [--root DIR] [--dry-run] [-q | -v] [--force] [--json] COMMAND [ARG...]",
			"linux-librust --version",
		},
		sections: []section{
			{title: "DESCRIPTION", text: root.Long + `

A kernel built with CONFIG_RUST=y leaves Rust artifacts in its build tree: crate
metadata (rust/*.rmeta), proc-macro shared libraries (rust/libmacros.so, ...)
and, on amd64, scripts/target.json. An out-of-tree Rust module, built with
'make -C /lib/modules/ABI/build M=$PWD', needs every one of them, and only the
exact rustc that built them can read them.`},
			{title: "LAYOUT", text: `  ` + headers + `/
      the headers tree, shipped by linux-headers-ABI
  ` + artifacts + `/
      the artifacts tree, shipped by linux-librust-ABI: each artifact at its
      path in the kernel build tree, linux-librust.manifest and SHA256SUMS

link makes ` + headers + `/P a relative symbolic link to
` + artifacts + `/P for every artifact P in the manifest, one link per file,
never a link to a directory (dpkg would follow it): the directories on the way
are real directories that the tool creates. On amd64, where
` + headers + `/scripts is a link into ` + kbuild + `, shared by
every flavour of a kernel version, the one link ` + kbuild + `/scripts/target.json
serves every flavour whose artifacts agree on it.

What the tool made is known after any interruption: a link is the tool's when its
target is exactly the expected relative path, and the state record ` + state + `
lists the directories it created and the objects it moved aside, written before
each change. A foreign file, directory or link is never replaced or removed: it
is reported as a conflict, and --force moves it aside (PATH` + layout.BackupSuffix + `)
for unlink to put back. Every path is resolved inside the root (--root, else
$DPKG_ROOT, else /), so that no link under the root can lead the tool outside it.`},
			{title: "COMMANDS", items: items},
			{title: "OPTIONS", text: `The global options are taken before or after the command (for hook, before
CONTEXT or anywhere after it).`, items: flagItems(globalFlags(root))},
			{title: "FILES", items: []item{
				{headers + "/", "The headers tree of a kernel; the tool adds only its links and the directories on their way."},
				{artifacts + "/", "The artifacts tree of a kernel, with linux-librust.manifest (deb822: the set and every artifact, see README.md) and SHA256SUMS, which 'sha256sum -c' accepts inside the tree."},
				{kbuild + "/scripts/target.json", "On amd64, the one link shared by the flavours of kernel version VER."},
				{state, "The state record of ABI: text, one 'KIND PATH' line per directory, link, backup or shared link of the tool, after the line 'linux-librust-state 1'."},
				{layout.LockFile, "Locked (flock) while a command changes anything; another instance waits for it up to 60 seconds, saying once for which process."},
				{layout.LogFile, "Every change, one line each, in the style of alternatives.log. Anything else than a regular file there is never written to nor waited on."},
				{"/usr/share/kernel/header_postinst.d/10-linux-librust", "Run by the headers package of each kernel: repair ABI."},
				{"/usr/share/kernel/postinst.d/10-linux-librust", "Run when a kernel image is configured: repair ABI. Also prerm.d/linux-librust and postrm.d/linux-librust."},
				{"/usr/lib/kernel/install.d/35-linux-librust.install", "The kernel-install(8) plugin: repair KVER."},
				{"/usr/share/linux-librust/maintscript/", "Templates of the maintainer scripts and triggers of linux-librust-ABI packages."},
			}},
			{title: "ENVIRONMENT", items: []item{
				{"DPKG_ROOT", "The root to work in when --root is not given and DPKG_ROOT is set and not empty, as dpkg sets it for maintainer scripts under 'dpkg --root'."},
				{"DEB_MAINT_PARAMS", "The maintainer script's arguments (space-separated, possibly quoted), as linux-base passes them to the kernel hooks: hook reads them to tell configure from abort-upgrade, remove from upgrade."},
				{"STRIP", "The strip program of collect --strip (default: strip)."},
			}},
			{title: "EXIT STATUS", text: `0 done or nothing to do; 1 refused or problems found (each is reported); 2 usage
error, including no command at all and a malformed ABI. status, verify, hook and
dkms-prebuild say more on their own pages.`},
			{title: "DIAGNOSTICS", text: `Messages go to standard error, one line each: "I: " for what was done, "W: " for
warnings, "E: " for errors, "D: " for the steps shown by -v; data (status,
verify, collect --list) to standard output. When journald runs, each event is also
a structured entry with a fixed MESSAGE_ID per kind and the fields KERNEL_ABI,
ACTION and PATH: 'journalctl SYSLOG_IDENTIFIER=linux-librust'.`},
			{title: "EXAMPLES", text: `See what is linked, and check every kernel's artifacts with their checksums:

  linux-librust status
  linux-librust verify --full --all

Link a kernel's artifacts by hand, first showing what would be done:

  linux-librust --dry-run link 7.2.13+deb14-amd64
  linux-librust link 7.2.13+deb14-amd64

Converge a system image built with 'dpkg --root':

  linux-librust --root /srv/image repair --all`},
			{title: "SEE ALSO", roff: refs(seeAlso)},
		},
	}
}

func sentenceCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// globalFlags are the root's flags: those of every command, and --version.
func globalFlags(root *cobra.Command) *pflag.FlagSet {
	fs := pflag.NewFlagSet(root.Name(), pflag.ContinueOnError)
	fs.AddFlagSet(root.PersistentFlags())
	fs.AddFlagSet(root.LocalNonPersistentFlags())
	return fs
}
