package hook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const abi = "7.2.13+deb14-amd64"

func repair(warn bool) []Step  { return []Step{{Action: Repair, ABI: abi, WarnOnly: warn}} }
func link(warn bool) []Step    { return []Step{{Action: Link, ABI: abi, WarnOnly: warn}} }
func unlinkSteps() []Step      { return []Step{{Action: Unlink, ABI: abi}} }
func repairAll(warn bool) Step { return Step{Action: RepairAll, WarnOnly: warn} }

var checkRustc = Step{Action: CheckRustc, WarnOnly: true}

// built follows steps with the DKMS build of the ABI.
func built(steps []Step) []Step {
	return append(steps, Step{Action: BuildModules, ABI: abi, WarnOnly: true})
}

func TestDecide(t *testing.T) {
	img := "/boot/vmlinuz-" + abi
	tests := []struct {
		name   string
		ctx    Context
		args   []string
		params string
		want   []Step // nil: nothing to do
		usage  bool
	}{
		// header_postinst.d: every action of the headers postinst arrives here.
		{"headers configure", HeaderPostinst, []string{abi}, "configure", repair(false), false},
		{"headers configure upgrade", HeaderPostinst, []string{abi}, "configure 7.2.13-1", repair(false), false},
		{"headers quoted configure", HeaderPostinst, []string{abi}, "'configure' '7.2.13-1'", repair(false), false},
		{"headers by hand", HeaderPostinst, []string{abi}, "", repair(false), false},
		{"headers Ubuntu second arg", HeaderPostinst, []string{abi, "/usr/src/linux-headers-" + abi}, "configure", repair(false), false},
		{"headers abort-upgrade", HeaderPostinst, []string{abi}, "abort-upgrade 7.2.13-2", repair(true), false},
		{"headers quoted abort-remove", HeaderPostinst, []string{abi}, "'abort-remove'", repair(true), false},
		{"headers abort-deconfigure", HeaderPostinst, []string{abi}, "abort-deconfigure in-favour x 1", repair(true), false},
		{"headers triggered", HeaderPostinst, []string{abi}, "triggered foo", nil, false},
		{"headers configured-ish prefix", HeaderPostinst, []string{abi}, "configured", nil, false},
		{"headers no abi", HeaderPostinst, nil, "configure", nil, true},
		{"headers bad abi", HeaderPostinst, []string{"../etc"}, "configure", nil, true},
		{"headers empty abi", HeaderPostinst, []string{""}, "configure", nil, true},

		// postinst.d: image configure.
		{"image configure", ImagePostinst, []string{abi, img}, "configure 7.2.13-1", repair(false), false},
		{"image by hand", ImagePostinst, []string{abi}, "", repair(false), false},
		{"image abort-upgrade", ImagePostinst, []string{abi, img}, "abort-upgrade 1", nil, false},

		// prerm.d: image remove only.
		{"image prerm remove", ImagePrerm, []string{abi, img}, "remove", repair(false), false},
		{"image prerm upgrade", ImagePrerm, []string{abi, img}, "upgrade 7.2.13-2", nil, false},
		{"image prerm by hand", ImagePrerm, []string{abi}, "", repair(false), false},

		// postrm.d: every image postrm action.
		{"image postrm remove", ImagePostrm, []string{abi, img}, "remove", repair(false), false},
		{"image postrm purge", ImagePostrm, []string{abi, img}, "'purge'", repair(false), false},
		{"image postrm upgrade", ImagePostrm, []string{abi, img}, "upgrade 7.2.13-2", nil, false},
		{"image postrm abort-install", ImagePostrm, []string{abi, img}, "abort-install", nil, false},
		{"image postrm disappear", ImagePostrm, []string{abi, img}, "disappear x 1", nil, false},
		{"image postrm bad abi", ImagePostrm, []string{"a/b"}, "remove", nil, true},

		// kernel-install plugin.
		{"kernel-install add", KernelInstall, []string{"add", abi, "/boot/efi/x/" + abi, img}, "", repair(false), false},
		{"kernel-install remove", KernelInstall, []string{"remove", abi, "/boot/efi/x/" + abi}, "", repair(false), false},
		{"kernel-install other", KernelInstall, []string{"inspect"}, "", nil, false},
		{"kernel-install no args", KernelInstall, nil, "", nil, true},
		{"kernel-install add no kver", KernelInstall, []string{"add"}, "", nil, true},
		{"kernel-install ignores DEB_MAINT_PARAMS", KernelInstall, []string{"add", abi}, "upgrade", repair(false), false},

		// linux-librust-<ABI> postinst.
		{"librust configure", LibrustPostinst, []string{abi, "configure", ""}, "", built(link(false)), false},
		{"librust configure no version", LibrustPostinst, []string{abi, "configure"}, "", built(link(false)), false},
		{"librust upgrade", LibrustPostinst, []string{abi, "configure", "0.1-1"}, "", built(repair(false)), false},
		{"librust abort-upgrade", LibrustPostinst, []string{abi, "abort-upgrade", "0.1-2"}, "", link(true), false},
		{"librust abort-remove", LibrustPostinst, []string{abi, "abort-remove"}, "", link(true), false},
		{"librust abort-deconfigure", LibrustPostinst, []string{abi, "abort-deconfigure", "in-favour", "x", "1"}, "", link(true), false},
		{"librust triggered headers", LibrustPostinst, []string{abi, "triggered", "/usr/src/linux-headers-" + abi}, "", repair(false), false},
		{"librust triggered among others", LibrustPostinst, []string{abi, "triggered", "foo /usr/src/linux-headers-" + abi + " bar"}, "", repair(false), false},
		{"librust triggered other abi", LibrustPostinst, []string{abi, "triggered", "/usr/src/linux-headers-" + abi + "x"}, "", nil, false},
		{"librust triggered nothing", LibrustPostinst, []string{abi, "triggered"}, "", nil, false},
		{"librust postinst no action", LibrustPostinst, []string{abi}, "", nil, false},
		{"librust no abi", LibrustPostinst, nil, "", nil, true},
		{"librust DEB_MAINT_PARAMS ignored", LibrustPostinst, []string{abi, "triggered", "x"}, "configure", nil, false},

		// linux-librust-<ABI> prerm.
		{"librust prerm remove", LibrustPrerm, []string{abi, "remove"}, "", unlinkSteps(), false},
		{"librust prerm upgrade", LibrustPrerm, []string{abi, "upgrade", "0.1-2"}, "", nil, false},
		{"librust prerm deconfigure", LibrustPrerm, []string{abi, "deconfigure", "in-favour", "x", "1"}, "", nil, false},
		{"librust prerm failed-upgrade", LibrustPrerm, []string{abi, "failed-upgrade", "0.1-1"}, "", nil, false},
		{"librust prerm bad abi", LibrustPrerm, []string{"..", "remove"}, "", nil, true},

		// linux-librust-<ABI> postrm.
		{"librust postrm remove", LibrustPostrm, []string{abi, "remove"}, "", repair(false), false},
		{"librust postrm purge", LibrustPostrm, []string{abi, "purge"}, "", repair(false), false},
		{"librust postrm upgrade", LibrustPostrm, []string{abi, "upgrade", "0.1-2"}, "", nil, false},
		{"librust postrm abort-install", LibrustPostrm, []string{abi, "abort-install"}, "", nil, false},

		// the tool's own postinst.
		{"tool configure", ToolPostinst, []string{"configure", ""}, "", []Step{repairAll(false)}, false},
		{"tool abort-upgrade", ToolPostinst, []string{"abort-upgrade", "0.2-1"}, "", []Step{repairAll(true)}, false},
		{"tool relink", ToolPostinst, []string{"triggered", RelinkTrigger}, "", []Step{repairAll(false)}, false},
		{"tool rustc", ToolPostinst, []string{"triggered", "/usr/bin/rustc"}, "", []Step{checkRustc}, false},
		{"tool both", ToolPostinst, []string{"triggered", "/usr/bin/rustc " + RelinkTrigger}, "", []Step{repairAll(false), checkRustc}, false},
		{"tool both twice", ToolPostinst, []string{"triggered", "/usr/bin/rustc " + RelinkTrigger + " /usr/bin/rustc"}, "", []Step{repairAll(false), checkRustc}, false},
		{"tool rustc lookalike", ToolPostinst, []string{"triggered", "/usr/bin/rustcx"}, "", nil, false},
		{"tool unknown trigger", ToolPostinst, []string{"triggered", "other"}, "", nil, false},
		{"tool no args", ToolPostinst, nil, "", nil, false},

		{"unknown context", Context("preinst"), []string{abi}, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decide(tt.ctx, tt.args, Env{MaintParams: tt.params})
			if tt.usage {
				var ue *UsageError
				require.ErrorAs(t, err, &ue)
				assert.Empty(t, p.Steps)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Steps)
			assert.NotEmpty(t, p.Why, "every plan says why")
		})
	}
}

func TestUsageErrorsNameTheFix(t *testing.T) {
	_, err := Decide(Context("bogus"), nil, Env{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "header_postinst.d")
	_, err = Decide(HeaderPostinst, nil, Env{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "7.2.13+deb14-amd64")
}

func TestStepString(t *testing.T) {
	assert.Equal(t, "repair --all", repairAll(false).String())
	assert.Equal(t, "link "+abi+" (warn only)", link(true)[0].String())
	assert.Equal(t, "check-rustc (warn only)", checkRustc.String())
	assert.Equal(t, "dkms autoinstall "+abi+" (warn only)", built(nil)[0].String())
	assert.Equal(t, "action(0)", Action(0).String())
}

// FuzzDecide checks that no context, argument list or DEB_MAINT_PARAMS makes
// Decide panic, and that every step it plans names a valid ABI when it needs one.
func FuzzDecide(f *testing.F) {
	f.Add("header_postinst.d", abi, "x", "configure 1")
	f.Add("librust-postinst", abi, "triggered", "/usr/src/linux-headers-"+abi)
	f.Add("tool-postinst", "triggered", "/usr/bin/rustc linux-librust-relink", "")
	f.Add("install.d", "add", abi, "'abort-upgrade'")
	f.Fuzz(func(t *testing.T, ctx, a1, a2, params string) {
		p, err := Decide(Context(ctx), []string{a1, a2}, Env{MaintParams: params})
		if err != nil {
			return
		}
		for _, s := range p.Steps {
			switch s.Action {
			case Link, Unlink, Repair, BuildModules:
				if s.ABI == "" {
					t.Fatalf("%v: step %v without ABI", p, s)
				}
			}
		}
	})
}
