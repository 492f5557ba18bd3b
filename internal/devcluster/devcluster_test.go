package devcluster

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
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
