//go:build race

package reassign

const raceEnabled = true
