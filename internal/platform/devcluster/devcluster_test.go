package devcluster

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Two clusters never share a data directory; the lock goes with Close.
func TestDataDirLock(t *testing.T) {
	dir := t.TempDir()
	a, err := Start(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(Options{DataDir: dir})
	var inUse *DataDirInUseError
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "is in use by another running cluster (pid ") {
		t.Fatalf("second cluster on %s: err = %v, want *DataDirInUseError naming the pid", dir, err)
	}
	a.Close()
	b, err := Start(Options{DataDir: dir})
	if err != nil {
		t.Fatalf("after Close the directory is free again: %v", err)
	}
	b.Close()
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	_, err = Start(Options{Ports: []int{0, port, 0}})
	var pe *PortInUseError
	if !errors.As(err, &pe) || pe.Port != port || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" is already in use") {
		t.Fatalf("err = %v, want *PortInUseError for %d", err, port)
	}
}

func reportedID(t *testing.T, c *Cluster) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	md, err := kadm.NewClient(cl).BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return md.Cluster
}

// Each cluster reports its own Kafka-style ID; a data dir keeps it across
// restarts, also one kfake saved as "kfake" before cluster.id existed.
func TestClusterID(t *testing.T) {
	a, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	idA, idB := reportedID(t, a), reportedID(t, b)
	a.Close()
	b.Close()
	if !validClusterID(idA) || !validClusterID(idB) || idA == idB || idA != a.ID() {
		t.Fatalf("in-memory clusters report %q and %q (ID() %q): want two different 22-character IDs", idA, idB, a.ID())
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "meta.json"), []byte(`{"version":1,"cluster_id":"kfake"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Start(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	id := reportedID(t, c)
	c.Close()
	if !validClusterID(id) {
		t.Fatalf("a data dir saved by kfake as \"kfake\" reports %q: want a new Kafka-style ID", id)
	}
	stored, _ := os.ReadFile(filepath.Join(dir, clusterIDFile))
	if strings.TrimSpace(string(stored)) != id {
		t.Fatalf("cluster.id holds %q, the cluster reported %q", stored, id)
	}
	c, err = Start(Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	again := reportedID(t, c)
	c.Close()
	if again != id {
		t.Fatalf("after a restart the cluster reports %q, before %q", again, id)
	}

	if err := os.WriteFile(filepath.Join(dir, clusterIDFile), []byte("kfake\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Start(Options{DataDir: dir}); err == nil || !strings.Contains(err.Error(), `is "kfake", not a Kafka cluster ID`) {
		t.Fatalf("a damaged cluster.id: err = %v", err)
	}
}

func TestNewClusterID(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		id := NewClusterID()
		if !validClusterID(id) || strings.HasPrefix(id, "-") || seen[id] {
			t.Fatalf("NewClusterID() = %q", id)
		}
		seen[id] = true
	}
}
