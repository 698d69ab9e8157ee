package linker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linux-librust/linux-librust/internal/logger"
)

// TestDryRunEvents: a dry run's plan has its own event kind and is no change.
func TestDryRunEvents(t *testing.T) {
	f := newFixture(t)
	f.headers(abi, false)
	f.artifacts(abi, artifactSet)
	var events []logger.Event
	e := &Engine{FS: f.fs, DryRun: true, Log: func(ev logger.Event) {
		if ev.Level != logger.Debug {
			events = append(events, ev)
		}
	}}
	r, err := e.Link(abi)
	require.NoError(t, err)
	require.Len(t, events, len(r.Actions))
	for _, ev := range events {
		assert.Equal(t, logger.KindPlan, ev.Kind, ev.Message)
		assert.False(t, ev.Change)
		assert.Equal(t, logger.Info, ev.Level)
		assert.True(t, strings.HasPrefix(ev.Message, "would "), ev.Message)
	}
}

// TestDebugEventsOnlyWhenVerbose: the debug events (what -v shows) are made only for an
// engine asked for them.
func TestDebugEventsOnlyWhenVerbose(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		f := newFixture(t)
		f.headers(abi, false)
		f.artifacts(abi, artifactSet)
		debug := 0
		e := &Engine{FS: f.fs, Verbose: verbose, Log: func(ev logger.Event) {
			if ev.Level == logger.Debug {
				debug++
			}
		}}
		_, err := e.Link(abi)
		require.NoError(t, err)
		if verbose {
			assert.NotZero(t, debug)
		} else {
			assert.Zero(t, debug)
		}
	}
}
