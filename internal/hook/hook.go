// Package hook decides what linux-librust does when dpkg, a kernel package or
// kernel-install runs it: from the calling context, its arguments and
// DEB_MAINT_PARAMS it computes a Plan, and nothing else. It touches no file system,
// reads no stdin and writes no output; the hook command carries the plan out.
//
// The rules every plan follows:
//   - "the other package is not installed yet" is success: link, unlink and
//     repair are no-ops when a tree is missing, so plans do not test for it;
//   - a hook fails only for real breakage, because a non-zero exit aborts the
//     kernel package's configuration; where even that must not happen (abort-*
//     paths, the rustc check) the step is WarnOnly;
//   - repair is the convergent operation (link where both trees exist, remove the
//     tool's own leftovers otherwise), so every hook that reacts to a change of a
//     tree it does not own repairs; link and unlink are reserved for the
//     maintainer scripts of linux-librust-<ABI>, which own the artifacts tree.
package hook

import (
	"fmt"
	"strings"

	"github.com/linux-librust/linux-librust/internal/layout"
)

// Context names the place a hook runs from. Its string is the first argument of
// "linux-librust hook".
type Context string

// Kernel hook directories (/usr/share/kernel/<dir>, run by linux-run-hooks with
// $1 = ABI, $2 = image path, and DEB_MAINT_PARAMS), the kernel-install plugin,
// and the maintainer scripts that call the tool.
const (
	HeaderPostinst Context = "header_postinst.d" // linux-headers-<ABI> postinst, every action
	ImagePostinst  Context = "postinst.d"        // linux-image-<ABI> postinst
	ImagePrerm     Context = "prerm.d"           // linux-image-<ABI> prerm
	ImagePostrm    Context = "postrm.d"          // linux-image-<ABI> postrm, every action
	KernelInstall  Context = "install.d"         // kernel-install add|remove KVER ENTRY-DIR [IMAGE…]

	LibrustPostinst Context = "librust-postinst" // linux-librust-<ABI> postinst: ABI, then the script's arguments
	LibrustPrerm    Context = "librust-prerm"    // linux-librust-<ABI> prerm: ABI, then the script's arguments
	LibrustPostrm   Context = "librust-postrm"   // linux-librust-<ABI> postrm: ABI, then the script's arguments
	ToolPostinst    Context = "tool-postinst"    // the linux-librust package's own postinst
)

// Contexts lists every context in the order of the documentation.
var Contexts = []Context{
	HeaderPostinst, ImagePostinst, ImagePrerm, ImagePostrm, KernelInstall,
	LibrustPostinst, LibrustPrerm, LibrustPostrm, ToolPostinst,
}

// RelinkTrigger is the named dpkg trigger the linux-librust package is interested
// in; every linux-librust-<ABI> package activates it, and it makes the tool
// converge every ABI (repair --all).
const RelinkTrigger = "linux-librust-relink"

// RustcTriggerPaths are the file triggers the linux-librust package is interested
// in: a change of the packaged Rust compiler. In sid the rustc package ships
// /usr/bin/rustc itself, and the compiler proper (librustc_driver-<hash>.so in
// libstd-rust-<ver>) is upgraded in lockstep with it (rustc depends on
// libstd-rust-dev (= its own version)), so the one path sees every upgrade and removal.
var RustcTriggerPaths = []string{"/usr/bin/rustc"}

// Action is one thing the hook command does.
type Action int

// The actions a plan can hold.
const (
	Link         Action = iota + 1 // linux-librust link ABI
	Unlink                         // linux-librust unlink ABI
	Repair                         // linux-librust repair ABI
	RepairAll                      // linux-librust repair --all
	CheckRustc                     // check every installed ABI's rustc compatibility; warn only
	BuildModules                   // ask DKMS, when installed, to build ABI's modules; warn only
)

func (a Action) String() string {
	switch a {
	case Link:
		return "link"
	case Unlink:
		return "unlink"
	case Repair:
		return "repair"
	case RepairAll:
		return "repair --all"
	case CheckRustc:
		return "check-rustc"
	case BuildModules:
		return "dkms autoinstall"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// Step is one action of a plan.
type Step struct {
	Action Action
	ABI    string // for Link, Unlink, Repair and BuildModules
	// WarnOnly: a failure of this step is reported as a warning and the hook
	// still exits 0.
	WarnOnly bool
}

func (s Step) String() string {
	out := s.Action.String()
	if s.ABI != "" {
		out += " " + s.ABI
	}
	if s.WarnOnly {
		out += " (warn only)"
	}
	return out
}

// Plan is what a hook invocation does: its steps in order (none: nothing to do)
// and why, in one line.
type Plan struct {
	Steps []Step
	Why   string
}

// Env is the part of the environment a decision reads.
type Env struct {
	// MaintParams is DEB_MAINT_PARAMS, the kernel package maintainer script's
	// arguments; empty when the hook is run by hand.
	MaintParams string
}

// UsageError is an invocation that makes no sense (unknown context, missing or
// invalid ABI); the hook command exits 2.
type UsageError struct{ msg string }

func (e *UsageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &UsageError{fmt.Sprintf(format, a...)} }

// Decide returns the plan for running in ctx with args (the hook's own arguments,
// without the context).
func Decide(ctx Context, args []string, env Env) (Plan, error) {
	switch ctx {
	case HeaderPostinst, ImagePostinst, ImagePrerm, ImagePostrm:
		return decideKernelDir(ctx, args, env)
	case KernelInstall:
		return decideKernelInstall(args)
	case LibrustPostinst, LibrustPrerm, LibrustPostrm:
		return decideLibrust(ctx, args)
	case ToolPostinst:
		return decideTool(args)
	}
	names := make([]string, len(Contexts))
	for i, c := range Contexts {
		names[i] = string(c)
	}
	return Plan{}, usagef("unknown hook context %q; use one of: %s", string(ctx), strings.Join(names, ", "))
}

func abiArg(ctx Context, args []string) (string, error) {
	if len(args) == 0 {
		return "", usagef("hook %s: missing kernel ABI argument (the kernel release, e.g. 7.2.13+deb14-amd64)", ctx)
	}
	if err := layout.ValidateABI(args[0]); err != nil {
		return "", usagef("hook %s: %v", ctx, err)
	}
	return args[0], nil
}

func nothing(format string, a ...any) Plan { return Plan{Why: fmt.Sprintf(format, a...)} }

func one(s Step, format string, a ...any) Plan {
	return Plan{Steps: []Step{s}, Why: fmt.Sprintf(format, a...)}
}

// decideKernelDir handles the kernel packages' hook directories.
//
// header_postinst.d runs from the headers package's postinst for every action,
// abort-* included. configure means the headers tree has just been unpacked:
// repair, so the links exist before dkms (which sorts after this hook) builds
// modules. The abort-* actions put the previous, installed version back after a
// failed upgrade or removal; dkms skips them because a module build is expensive,
// but a repair is cheap and idempotent and the rollback may have taken away links
// made in between, so we repair too, warn-only: a failing abort-* postinst would
// leave the headers half-configured on top of the failure being rolled back.
// Anything else (none is expected) is nothing to do.
//
// postinst.d runs from the image package's postinst on configure: the image says
// nothing about the two trees, but this is the last moment before dkms builds
// for the new kernel, so repair that ABI. prerm.d (image removal) and postrm.d
// (remove, purge) repair too: the headers may be leaving with the image, and
// the repair removes the tool's leftovers so that dpkg's directories can go; if
// the headers stay, it is a no-op. They are named to sort after dkms.
//
// An empty DEB_MAINT_PARAMS is a run by hand, or by a kernel package that does
// not export it: act as for configure (install hooks) or remove (removal hooks).
func decideKernelDir(ctx Context, args []string, env Env) (Plan, error) {
	abi, err := abiArg(ctx, args)
	if err != nil {
		return Plan{}, err
	}
	params := SplitParams(env.MaintParams)
	action := ""
	if len(params) > 0 {
		action = params[0]
	}
	repair := Step{Action: Repair, ABI: abi}
	switch ctx {
	case HeaderPostinst:
		switch {
		case action == "" || action == "configure":
			return one(repair, "headers of %s configured", abi), nil
		case strings.HasPrefix(action, "abort-"):
			repair.WarnOnly = true
			return one(repair, "headers of %s restored by %s", abi, action), nil
		}
	case ImagePostinst:
		if action == "" || action == "configure" {
			return one(repair, "kernel %s configured", abi), nil
		}
	case ImagePrerm:
		if action == "" || action == "remove" {
			return one(repair, "kernel %s being removed", abi), nil
		}
	case ImagePostrm:
		if action == "" || action == "remove" || action == "purge" {
			return one(repair, "kernel %s removed (%s)", abi, orManual(action)), nil
		}
	}
	return nothing("%s for %s: nothing to do on %q", ctx, abi, action), nil
}

func orManual(action string) string {
	if action == "" {
		return "run by hand"
	}
	return action
}

// decideKernelInstall handles the kernel-install plugin: "add KVER ENTRY-DIR
// IMAGE…" repairs before 40-dkms.install builds, "remove KVER ENTRY-DIR" repairs
// to clean up, anything else is not ours.
func decideKernelInstall(args []string) (Plan, error) {
	if len(args) == 0 {
		return Plan{}, usagef("hook %s: missing command; kernel-install passes add|remove KVER ENTRY-DIR [IMAGE…]", KernelInstall)
	}
	cmd := args[0]
	if cmd != "add" && cmd != "remove" {
		return nothing("kernel-install %s: nothing to do", cmd), nil
	}
	abi, err := abiArg(KernelInstall, args[1:])
	if err != nil {
		return Plan{}, err
	}
	return one(Step{Action: Repair, ABI: abi}, "kernel-install %s %s", cmd, abi), nil
}

// decideLibrust handles the maintainer scripts of linux-librust-<ABI>; args are
// the ABI and then the script's own arguments (deb-postinst(5), deb-prerm(5),
// deb-postrm(5)).
//
// postinst configure links. An upgrade is a configure with the old version in
// $2: repair instead, which also drops links whose artifact the new revision no
// longer ships. Either way DKMS is then asked to build the kernel's modules, warn
// only: DKMS builds when a kernel or its headers arrive, and nothing else tells it
// that the artifacts its Rust modules need arrived later; a module that still fails
// must not fail the artifacts' configuration. abort-upgrade, abort-remove and
// abort-deconfigure follow a prerm that may have unlinked: link again, warn-only.
// triggered with the package's file trigger on the headers tree (installed or
// removed) repairs that ABI.
//
// prerm remove unlinks, so that dpkg can remove the artifacts and the headers
// tree is left as shipped. prerm upgrade does not: the files are replaced in
// place and the next postinst repairs, so modules can be built throughout.
// deconfigure and failed-upgrade leave the files in place: nothing to do.
//
// postrm remove and purge repair: a no-op after a clean unlink, and the cleanup
// of any link the prerm could not take away. Its other actions follow failed
// operations that the postinst abort-* paths already handle.
func decideLibrust(ctx Context, args []string) (Plan, error) {
	abi, err := abiArg(ctx, args)
	if err != nil {
		return Plan{}, err
	}
	script := args[1:]
	action := ""
	if len(script) > 0 {
		action = script[0]
	}
	switch ctx {
	case LibrustPostinst:
		switch action {
		case "configure":
			build := Step{Action: BuildModules, ABI: abi, WarnOnly: true}
			if len(script) > 1 && script[1] != "" {
				return Plan{Steps: []Step{{Action: Repair, ABI: abi}, build},
					Why: fmt.Sprintf("linux-librust-%s upgraded from %s", abi, script[1])}, nil
			}
			return Plan{Steps: []Step{{Action: Link, ABI: abi}, build},
				Why: fmt.Sprintf("linux-librust-%s installed", abi)}, nil
		case "abort-upgrade", "abort-remove", "abort-deconfigure":
			return one(Step{Action: Link, ABI: abi, WarnOnly: true}, "linux-librust-%s restored by %s", abi, action), nil
		case "triggered":
			headers := layout.Headers(abi)
			if len(script) > 1 {
				for _, t := range SplitTriggers(script[1]) {
					if t == headers {
						return one(Step{Action: Repair, ABI: abi}, "%s changed", headers), nil
					}
				}
			}
			return nothing("linux-librust-%s: no trigger of ours in %q", abi, strings.Join(script[1:], " ")), nil
		}
	case LibrustPrerm:
		if action == "remove" {
			return one(Step{Action: Unlink, ABI: abi}, "linux-librust-%s being removed", abi), nil
		}
	case LibrustPostrm:
		if action == "remove" || action == "purge" {
			return one(Step{Action: Repair, ABI: abi}, "linux-librust-%s removed (%s)", abi, action), nil
		}
	}
	return nothing("%s for %s: nothing to do on %q", ctx, abi, action), nil
}

// decideTool handles the linux-librust package's own postinst. configure (also
// after an upgrade of the tool) and the abort-* paths converge every ABI;
// triggered does so for RelinkTrigger and checks rustc compatibility, warn-only,
// for a RustcTriggerPaths path. The two can arrive in one call.
func decideTool(args []string) (Plan, error) {
	action := ""
	if len(args) > 0 {
		action = args[0]
	}
	switch {
	case action == "configure":
		return one(Step{Action: RepairAll}, "linux-librust configured"), nil
	case strings.HasPrefix(action, "abort-"):
		return one(Step{Action: RepairAll, WarnOnly: true}, "linux-librust restored by %s", action), nil
	case action == "triggered":
		var p Plan
		var why []string
		relink, rustc := false, false
		if len(args) > 1 {
			for _, t := range SplitTriggers(args[1]) {
				switch {
				case t == RelinkTrigger:
					relink = true
				case isRustcPath(t):
					rustc = true
				}
			}
		}
		if relink {
			p.Steps = append(p.Steps, Step{Action: RepairAll})
			why = append(why, RelinkTrigger)
		}
		if rustc {
			p.Steps = append(p.Steps, Step{Action: CheckRustc, WarnOnly: true})
			why = append(why, "rustc changed")
		}
		if len(why) == 0 {
			return nothing("linux-librust: no trigger of ours in %q", strings.Join(args[1:], " ")), nil
		}
		p.Why = "triggered: " + strings.Join(why, ", ")
		return p, nil
	}
	return nothing("linux-librust postinst: nothing to do on %q", action), nil
}

func isRustcPath(t string) bool {
	for _, p := range RustcTriggerPaths {
		if t == p || strings.HasPrefix(t, p+"/") {
			return true
		}
	}
	return false
}
