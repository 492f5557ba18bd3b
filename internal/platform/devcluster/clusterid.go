package devcluster

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// clusterIDFile holds a persistent cluster's ID in its data directory.
const clusterIDFile = "cluster.id"

// NewClusterID returns a random cluster ID as Kafka makes them
// (kafka-storage random-uuid): a version-4 UUID in unpadded URL-safe
// base64, 22 characters, never starting with '-'.
func NewClusterID() string {
	for {
		var u [16]byte
		_, _ = rand.Read(u[:]) // never fails (crypto/rand)
		u[6] = u[6]&0x0f | 0x40
		u[8] = u[8]&0x3f | 0x80
		id := base64.RawURLEncoding.EncodeToString(u[:])
		if !strings.HasPrefix(id, "-") {
			return id
		}
	}
}

// validClusterID: 22 characters of unpadded URL-safe base64 (16 bytes).
func validClusterID(id string) bool {
	b, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil && len(b) == 16
}

// clusterID returns the ID of the cluster in dir: the one kept in
// dir/cluster.id, or a new one written there. "" (in memory) gets a new one.
func clusterID(dir string) (string, error) {
	if dir == "" {
		return NewClusterID(), nil
	}
	path := filepath.Join(dir, clusterIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		id := strings.TrimSpace(string(b))
		if !validClusterID(id) {
			return "", fmt.Errorf("cluster ID in %s is %q, not a Kafka cluster ID (22 characters of base64): restore the file, or delete it to give the cluster a new ID", path, id)
		}
		return id, adoptInKfakeMeta(dir, id)
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("read cluster ID: %w", err)
	}
	id := NewClusterID()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write cluster ID: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write cluster ID: %w", err)
	}
	return id, adoptInKfakeMeta(dir, id)
}

// adoptInKfakeMeta makes kfake's own saved state (meta.json, written at
// each orderly stop) carry id: kfake takes the ID from there over its
// ClusterID option, and data dirs of kctl before cluster.id say "kfake".
func adoptInKfakeMeta(dir, id string) error {
	path := filepath.Join(dir, "meta.json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var meta map[string]any
	if err := json.Unmarshal(b, &meta); err != nil {
		return nil // kfake reports a damaged meta.json itself
	}
	if meta["cluster_id"] == id {
		return nil
	}
	meta["cluster_id"] = id
	out, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.WriteFile(path+".tmp", out, 0o644); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return fmt.Errorf("update %s: %w", path, err)
	}
	return nil
}
