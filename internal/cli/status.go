package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/linux-librust/linux-librust/internal/layout"
	"github.com/linux-librust/linux-librust/internal/linker"
)

func init() { commands = append(commands, (*App).statusCmd) }

func (a *App) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:               "status [ABI...]",
		ValidArgsFunction: a.completeABIs,
		Short:             "report, one line per kernel, whether its artifacts are linked",
		Long: `status prints one line per ABI (when none is given, every ABI under the root with
Rust artifacts or links of the tool):

  ABI: STATE headers=yes|no artifacts=yes|no links=LINKED/TOTAL conflicts=N stale=N

STATE is the first that applies: conflict (something link cannot fix by itself),
stale (links that repair would remove), linked, partial, absent (neither tree
is installed and nothing of the tool is there: no such kernel), unlinked. With
--json it prints {"format":1,"kernels":[...]}; later versions only add fields.
The exit status is 1 when any kernel is in conflict, stale or absent.`,
		Example: `Every kernel with Rust artifacts, then one as JSON:

  linux-librust status
  linux-librust status --json 7.2.13+deb14-amd64`,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := abis(args)
			if err != nil {
				return err
			}
			e := a.engine()
			if len(list) == 0 {
				if list, err = a.rustABIs(); err != nil {
					return err
				}
			}
			sts, err := e.StatusAll(list)
			if err != nil {
				return err
			}
			bad := false
			for _, st := range sts {
				bad = bad || st.State == linker.StateConflict || st.State == linker.StateStale || st.State == linker.StateAbsent
			}
			out := cmd.OutOrStdout()
			if a.opts.json {
				b, err := linker.StatusJSON(sts)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", b)
			} else {
				for _, st := range sts {
					fmt.Fprintln(out, st.Line())
				}
			}
			var absent []error
			for _, st := range sts {
				if st.State == linker.StateAbsent {
					absent = append(absent, fmt.Errorf("%s: no such kernel: neither %s nor %s exists under the root; 'linux-librust status' lists the installed ones",
						st.ABI, layout.Headers(st.ABI), layout.Artifacts(st.ABI)))
				}
			}
			if len(absent) > 0 {
				return errors.Join(absent...)
			}
			if bad {
				return errProblems
			}
			return nil
		},
	}
}
