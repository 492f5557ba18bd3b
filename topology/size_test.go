package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"gopkg.in/yaml.v3"
)

// genTopics writes n topics one a line, as scripts/bench.sh does.
func genTopics(n int) []byte {
	var b strings.Builder
	b.WriteString("managedPrefixes: [bench.]\nlimits: {partitionsPerBroker: 10000000, maxPartitions: 100000}\ntopics:\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  - {name: bench.t%06d, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2, retention.ms: 7d}}\n", i)
	}
	return []byte(b.String())
}

// A file above MaxFileSize is refused from its size, before it is read: a
// sparse 1 GiB file costs Load almost no memory, and the error names the
// file, its size and the limit. A 10,000-topic file is well within it.
func TestLoadRefusesLargeFile(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	fh, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := fh.Truncate(1 << 30); err != nil { // sparse: no disk, no write
		t.Fatal(err)
	}
	fh.Close()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f, diags, err := Load(big)
	runtime.ReadMemStats(&m1)
	var tl *FileTooLargeError
	if !errors.As(err, &tl) || f != nil || diags != nil || tl.Size != 1<<30 || tl.Limit != MaxFileSize {
		t.Fatalf("Load of a 1 GiB file = %v, %v, %v; want a *FileTooLargeError", f, diags, err)
	}
	want := "topics file " + big + " is 1024 MiB (1073741824 bytes), above the limit of 16 MiB that kctl reads: split it"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want it to start %q", err, want)
	}
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
		t.Errorf("refusing a 1 GiB file allocated %d bytes: it was read", a)
	}

	// One byte above the limit is refused; a 10,000-topic file is read.
	if err := os.Truncate(big, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(big); !errors.As(err, &tl) || tl.Size != MaxFileSize+1 {
		t.Errorf("Load of MaxFileSize+1 bytes: %v", err)
	}
	ok := filepath.Join(dir, "t10000.yaml")
	if err := os.WriteFile(ok, genTopics(10000), 0o600); err != nil {
		t.Fatal(err)
	}
	f, diags, err = Load(ok)
	if err != nil || diags.HasErrors() || len(f.Topics) != 10000 {
		t.Fatalf("10,000-topic file: %v, %v", err, diags)
	}
}

// A pipe has no size up front: it is refused once more than the limit
// arrived, without waiting for its end.
func TestLoadRefusesLargePipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "topics.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer w.Close()
		chunk := make([]byte, 1<<20)
		for range 64 { // 64 MiB, unless the reader goes away first
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}()
	_, _, err := Load(fifo)
	var tl *FileTooLargeError
	if !errors.As(err, &tl) || tl.Size != MaxFileSize+1 || !strings.Contains(err.Error(), "above the limit of 16 MiB") {
		t.Fatalf("Load of a pipe with 64 MiB: %v, want a *FileTooLargeError once past 16 MiB", err)
	}
}

// Parse's memory stays a bounded multiple of the file. yaml.v3's node tree
// alone is about 20 times a file written one topic a line (each scalar is a
// 160-byte yaml.Node); the rest is what the walk allocates. Measured on
// 40,000 topics (4.4 MiB; docs/benchmarks.md has 16 MiB through the
// binary): allocations in all were 45 times the file before the walk
// stopped decoding each integer through a new yaml.v3 decoder and copying
// topics and their configs into further maps, 34 after; what stays live
// with the result is about 3 times the file. Allocation counts do not
// depend on the machine's load.
func TestParseMemory(t *testing.T) {
	data := genTopics(40000)
	runtime.GC()
	var m0, m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f, diags := Parse("big.yaml", data)
	runtime.ReadMemStats(&m1)
	runtime.GC()
	runtime.ReadMemStats(&m2)
	if diags.HasErrors() || len(f.Topics) != 40000 {
		t.Fatalf("%d topics, %v", len(f.Topics), diags)
	}
	size := uint64(len(data))
	alloc := m1.TotalAlloc - m0.TotalAlloc
	live := m2.HeapAlloc - min(m2.HeapAlloc, m0.HeapAlloc)
	t.Logf("file %d bytes: allocated %.1f×, live with the result %.1f×", size, float64(alloc)/float64(size), float64(live)/float64(size))
	if alloc > 38*size {
		t.Errorf("Parse allocated %d bytes for a %d-byte file (%.1f×), want at most 38×", alloc, size, float64(alloc)/float64(size))
	}
	if live > 6*size {
		t.Errorf("the parsed file holds %d bytes (%.1f× the file), want at most 6×: is the node tree kept?", live, float64(live)/float64(size))
	}
	runtime.KeepAlive(f)
}

// The integer fast path reads what yaml.v3 reads: 010 is octal 8 to it,
// 0x10 is 16, 1_0 is 10, +7 is 7.
func TestIntegersAsYAMLReadsThem(t *testing.T) {
	for _, lit := range []string{"7", "+7", "-0", "010", "0x10", "0o17", "1_0", "2147483647", "9223372036854775807"} {
		var want struct{ X int64 }
		if err := yaml.Unmarshal([]byte("x: "+lit), &want); err != nil {
			t.Fatalf("%s: %v", lit, err)
		}
		p := &parser{file: "t.yaml", via: map[*yaml.Node]*yaml.Node{}}
		got, ok := p.integer(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: lit}, "x")
		if !ok || got != want.X {
			t.Errorf("%s: got %d (%v), yaml.v3 reads %d", lit, got, ok, want.X)
		}
	}
}
