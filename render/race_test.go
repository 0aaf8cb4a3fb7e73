//go:build race

package render

// raceEnabled: the race detector slows pixel loops many times over.
const raceEnabled = true
