package lag

import (
	"path"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// kctl's own groups: kctl dlt replay keeps its progress in consumer groups
// (services/dlt), whose "lag" is the dead letters it filtered out. They are
// labelled (Group.Kctl) and left out of thresholds unless asked for.

// ReplayGroupPrefix starts the name of every default replay progress group
// (services/dlt.DefaultReplayGroup is "kctl-dlt-replay"), and ReplayMarker
// the commit metadata of every replay progress group.
const (
	ReplayGroupPrefix = "kctl-dlt-replay"
	ReplayMarker      = "kctl-dlt-replay/v1"
)

// KctlReplayProgress is Group.Kctl of a dlt replay progress group.
const KctlReplayProgress = "dlt-replay-progress"

// IsReplayProgress reports whether a group, by its name or the metadata of
// its commits, is a kctl dlt replay progress group.
func IsReplayProgress(name string, commits map[string]map[int32]kadm.OffsetResponse) bool {
	if strings.HasPrefix(name, ReplayGroupPrefix) {
		return true
	}
	for _, ps := range commits {
		for _, o := range ps {
			if strings.HasPrefix(o.Metadata, ReplayMarker) {
				return true
			}
		}
	}
	return false
}

// excluded reports whether a group name matches one of the --exclude
// globs (path.Match syntax; the patterns are checked by ValidGlob).
func excluded(name string, globs []string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// ValidGlob returns an error when pattern is not a valid --exclude glob.
func ValidGlob(pattern string) error {
	_, err := path.Match(pattern, "")
	return err
}
