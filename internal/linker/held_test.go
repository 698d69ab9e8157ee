package linker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/layout"
)

// TestHeldDirectories: a no-op link and status open each directory they inspect once,
// whatever the number of names they read there (links, their temporary and backup
// names), the observation after the run included; a no-op link looks at each name once.
func TestHeldDirectories(t *testing.T) {
	for _, debian := range []bool{false, true} {
		t.Run(map[bool]string{false: "own scripts", true: "Debian's shared scripts"}[debian], func(t *testing.T) {
			f := newFixture(t)
			f.headers(abi, debian)
			f.artifacts(abi, artifactSet)
			c := &openCounter{FS: f.fs, opens: map[string]int{}, dirs: map[string]int{}, lstats: map[string]int{}}
			e := &Engine{FS: c}
			r, err := e.Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Problems)
			linkedOnce := f.dump()
			rust := layout.Headers(abi) + "/rust"

			clear(c.dirs)
			clear(c.lstats)
			r, err = e.Link(abi)
			require.NoError(t, err)
			require.Empty(t, r.Actions)
			for dir, n := range c.dirs {
				assert.Equal(t, 1, n, "a no-op link opened %s %d times", dir, n)
			}
			// What the plan found in place is not looked at again after no action.
			for name, n := range c.lstats {
				assert.Equal(t, 1, n, "a no-op link looked at %s %d times", name, n)
			}
			assert.Equal(t, 1, c.lstats[rust+"/libcore.rmeta"])
			assert.NotZero(t, c.dirs[rust])
			requireTree(t, linkedOnce, f.dump(), "a no-op link changed the tree")

			clear(c.dirs)
			_, err = e.Status(abi)
			require.NoError(t, err)
			for dir, n := range c.dirs {
				assert.Equal(t, 1, n, "status opened %s %d times", dir, n)
			}
		})
	}
}
