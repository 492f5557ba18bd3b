package provision

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// MarkerFileMode is the mode of a rebalance marker.
const MarkerFileMode = 0o600

// Markers is the store of rebalance markers: one JSON file per cluster ID
// in Dir ($XDG_STATE_HOME/kctl/rebalance for kctl), recording a rebalance
// (or a throttled replication-factor change) in progress so that another
// run can resume or undo it. The gate reads it: while a marker exists for a
// cluster, no other reassignment may start there.
type Markers struct {
	Dir string
}

// Path is the marker file of clusterID.
func (m *Markers) Path(clusterID string) string {
	return filepath.Join(m.Dir, fileSafe(clusterID)+".json")
}

func fileSafe(s string) string {
	out := []rune{}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			out = append(out, r)
		default:
			out = append(out, '_')
		}
	}
	if len(out) == 0 {
		return "cluster"
	}
	return string(out)
}

// Load returns the rebalance recorded for clusterID, nil when there is
// none (or m is nil); an unreadable file is an error naming it. A loaded
// state may be resumed by an Executor: it was gated when it was recorded.
func (m *Markers) Load(clusterID string) (*RebalanceState, error) {
	if m == nil {
		return nil, nil
	}
	path := m.Path(clusterID)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the rebalance marker %s: %w", path, err)
	}
	var st RebalanceState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("read the rebalance marker %s: %w (delete it only after checking kctl reassignments and the throttle configs)", path, err)
	}
	st.gated = true
	return &st, nil
}

// Save writes the marker of st.ClusterID atomically (a temp file renamed).
func (m *Markers) Save(st *RebalanceState) error {
	path := m.Path(st.ClusterID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write the rebalance marker: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append(b, '\n'), MarkerFileMode); err != nil {
		return fmt.Errorf("write the rebalance marker %s: %w", path, err)
	}
	return nil
}

// Remove deletes the marker of clusterID; a missing one is not an error.
func (m *Markers) Remove(clusterID string) error {
	if err := os.Remove(m.Path(clusterID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove the rebalance marker: %w", err)
	}
	return nil
}

// writeFileAtomic writes b to a temp file beside path with mode, then
// renames it over path: a reader sees the old file or the new one.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// MarkerError refuses a reassignment while a rebalance is recorded for the
// cluster: it names the marker, how far the rebalance got and the ways out.
type MarkerError struct {
	Path      string
	ClusterID string
	State     *RebalanceState
	// Doing is what is refused ("changing a replicationFactor").
	Doing string
}

func (e *MarkerError) Error() string {
	st := e.State
	return fmt.Sprintf("a rebalance started at %s is in progress on cluster %q (%d of %d moves done, recorded in %s): finish it (kctl rebalance --yes) or cancel it (kctl rebalance --cancel --yes) before %s; if the marker belongs to another cluster with the same ID, cancel it there or delete the file; nothing was applied",
		st.Started.Format(time.RFC3339), e.ClusterID, st.Count(MoveDone), len(st.Moves), e.Path, e.Doing)
}
