package linker

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
)

// TestUnlinkChangedMeanwhile: a link of the tool replaced by a foreign one between the
// plan and the removal (dpkg takes no lock) is left in place, and the error names it.
func TestUnlinkChangedMeanwhile(t *testing.T) {
	f, e := linkedFixture(t)

	p, err := e.plan(newCommand(modeUnlink, abi), abi)
	require.NoError(t, err)
	defer p.held.forget()
	l := layout.Headers(abi) + "/rust/libcore.rmeta"
	var unlink *Action
	for i, a := range p.actions {
		if a.Op == OpUnlink && a.Path == l {
			unlink = &p.actions[i]
		}
	}
	require.NotNil(t, unlink, "the plan removes %s", l)

	require.NoError(t, os.Remove(f.host(l)))
	require.NoError(t, os.Symlink("elsewhere", f.host(l)))
	before := f.dump()

	err = e.do(p, *unlink)
	require.Error(t, err)
	assert.Contains(t, err.Error(), l)
	assert.Contains(t, err.Error(), "rerun", "the error names the fix")
	assert.Equal(t, before, f.dump(), "the foreign link stays")
}
