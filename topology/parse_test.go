package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRepositoryTopicsFile checks the repository's own topics.yaml: the
// sign-up flow's two topics, no diagnostics at all.
func TestRepositoryTopicsFile(t *testing.T) {
	f, diags, err := Load(filepath.Join("..", "topics.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %v", diags)
	}
	want := []Topic{
		{Name: "user.signed-up", Partitions: 3, ReplicationFactor: 3, Config: map[string]string{"min.insync.replicas": "2", "retention.ms": "604800000"}},
		{Name: "user.signed-up.dlt", Partitions: 1, ReplicationFactor: 3, Config: map[string]string{"min.insync.replicas": "2"}},
	}
	for i := range f.Topics {
		f.Topics[i].Pos = Pos{}
	}
	if !reflect.DeepEqual(f.Topics, want) {
		t.Errorf("topics:\n got %+v\nwant %+v", f.Topics, want)
	}
	if !reflect.DeepEqual(f.ManagedPrefixes, []string{"user."}) {
		t.Errorf("managedPrefixes = %v", f.ManagedPrefixes)
	}
	if len(f.Cluster.Brokers) != 3 || f.Cluster.Brokers[0] != "localhost:9092" {
		t.Errorf("cluster.brokers = %v", f.Cluster.Brokers)
	}
}

var wantRE = regexp.MustCompile(`^# want: (\d+):(\d+) (error|warning) (.*)$`)

// TestBadFiles parses every testdata/bad file and checks its diagnostics
// against the file's "# want: LINE:COL SEVERITY MESSAGE-PREFIX" lines:
// every wanted diagnostic at its exact position, and no other.
func TestBadFiles(t *testing.T) {
	paths, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(paths) < 10 {
		t.Fatalf("only %d bad files", len(paths))
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := Parse("f.yaml", data)
			var wants []Diagnostic
			for _, line := range strings.Split(string(data), "\n") {
				m := wantRE.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				l, _ := strconv.Atoi(m[1])
				c, _ := strconv.Atoi(m[2])
				wants = append(wants, Diagnostic{Severity(m[3]), Pos{"f.yaml", l, c}, m[4]})
			}
			used := make([]bool, len(diags))
			for _, w := range wants {
				found := false
				for i, d := range diags {
					if !used[i] && d.Pos == w.Pos && d.Severity == w.Severity && strings.HasPrefix(d.Message, w.Message) {
						used[i], found = true, true
						break
					}
				}
				if !found {
					t.Errorf("missing %s", w)
				}
			}
			for i, d := range diags {
				if !used[i] {
					t.Errorf("unexpected %s", d)
				}
			}
			if t.Failed() {
				for _, d := range diags {
					t.Logf("got %s", d)
				}
			}
		})
	}
}

func parseOK(t *testing.T, src string) *File {
	t.Helper()
	f, diags := Parse("t.yaml", []byte(src))
	if diags.HasErrors() {
		t.Fatalf("unexpected errors: %v", diags)
	}
	return f
}

func TestDefaultsMerge(t *testing.T) {
	f := parseOK(t, `
defaults:
  partitions: 6
  replicationFactor: 3
  config:
    min.insync.replicas: 2
    retention.ms: 1d
topics:
  - name: plain
  - name: own
    partitions: 1
    replicationFactor: 2
    config:
      retention.ms: 2h
      cleanup.policy: compact
`)
	plain, _ := f.Topic("plain")
	if plain.Partitions != 6 || plain.ReplicationFactor != 3 || !reflect.DeepEqual(plain.Config, map[string]string{"min.insync.replicas": "2", "retention.ms": "86400000"}) {
		t.Errorf("plain = %+v", plain)
	}
	own, _ := f.Topic("own")
	want := map[string]string{"min.insync.replicas": "2", "retention.ms": "7200000", "cleanup.policy": "compact"}
	if own.Partitions != 1 || own.ReplicationFactor != 2 || !reflect.DeepEqual(own.Config, want) {
		t.Errorf("own = %+v, want config %v", own, want)
	}
	// Merging must not share maps between topics.
	own.Config["x"] = "y"
	if _, leaked := plain.Config["x"]; leaked {
		t.Error("topics share a config map")
	}
}

func TestNormalisedValues(t *testing.T) {
	cases := []struct{ key, in, want string }{
		{"retention.ms", "7d", "604800000"},
		{"retention.ms", "1h30m", "5400000"},
		{"retention.ms", "500ms", "500"},
		{"retention.ms", "-1", "-1"},
		{"retention.ms", "86400000", "86400000"},
		{"segment.ms", "90s", "90000"},
		{"retention.bytes", "1GiB", "1073741824"},
		{"retention.bytes", "10MB", "10000000"},
		{"retention.bytes", "-1", "-1"},
		{"segment.bytes", "512MiB", "536870912"},
		{"max.message.bytes", "1KiB", "1024"},
		{"max.message.bytes", "2KB", "2000"},
		{"index.interval.bytes", "100B", "100"},
		{"cleanup.policy", "compact,delete", "compact,delete"},
		{"cleanup.policy", "[compact, delete]", "compact,delete"},
		{"cleanup.policy", "[delete, delete]", "delete"},
		{"unclean.leader.election.enable", "true", "true"},
		{"unclean.leader.election.enable", "False", "false"},
		{"min.cleanable.dirty.ratio", "0.50", "0.5"},
		{"compression.type", "zstd", "zstd"},
		{"min.insync.replicas", "2", "2"},
	}
	for _, c := range cases {
		f := parseOK(t, "topics:\n  - name: t\n    partitions: 1\n    replicationFactor: 3\n    config:\n      "+c.key+": "+c.in+"\n")
		if got := f.Topics[0].Config[c.key]; got != c.want {
			t.Errorf("%s: %s → %q, want %q", c.key, c.in, got, c.want)
		}
	}
}

func TestEqualConfigValues(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       bool
	}{
		{"retention.ms", "604800000", "604800000", true},
		{"retention.ms", "604800000", "86400000", false},
		{"retention.ms", "0604800000", "604800000", true},
		{"cleanup.policy", "compact,delete", "delete,compact", true},
		{"cleanup.policy", "compact", "compact,delete", false},
		{"unclean.leader.election.enable", "TRUE", "true", true},
		{"min.cleanable.dirty.ratio", "0.50", "0.5", true},
		{"compression.type", "gzip", "GZIP", false},
		{"confluent.unknown", "a", "a", true},
		{"confluent.unknown", "a", "b", false},
	}
	for _, c := range cases {
		if got := EqualConfigValues(c.name, c.a, c.b); got != c.want {
			t.Errorf("EqualConfigValues(%s, %q, %q) = %v, want %v", c.name, c.a, c.b, got, c.want)
		}
	}
}

func TestUnits(t *testing.T) {
	durations := map[string]int64{"0": 0, "7d": 604800000, "1h": 3600000, "30m": 1800000, "45s": 45000, "500ms": 500, "1d12h": 129600000, "1h 30m": 5400000}
	for in, want := range durations {
		got, err := ParseDurationMillis(in)
		if err != nil || got != want {
			t.Errorf("ParseDurationMillis(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "d", "1.5h", "7days", "1w", "h1", "99999999999999999999d", "106751991167301d"} {
		if got, err := ParseDurationMillis(bad); err == nil {
			t.Errorf("ParseDurationMillis(%q) = %d, want an error", bad, got)
		}
	}
	sizes := map[string]int64{"0": 0, "100B": 100, "1KiB": 1024, "1MiB": 1 << 20, "1GiB": 1 << 30, "1KB": 1000, "1MB": 1e6, "1GB": 1e9, "2 gib": 2 << 30, "1TiB": 1 << 40}
	for in, want := range sizes {
		got, err := ParseSizeBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseSizeBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "1.5GiB", "1 gigs", "1Kb/s", "99999999999TiB"} {
		if got, err := ParseSizeBytes(bad); err == nil {
			t.Errorf("ParseSizeBytes(%q) = %d, want an error", bad, got)
		}
	}
}

func TestCheckTopicName(t *testing.T) {
	ok := []string{"a", "user.signed-up", "A_b-9.c", strings.Repeat("x", 249)}
	for _, n := range ok {
		if msg := CheckTopicName(n); msg != "" {
			t.Errorf("%q: %s", n, msg)
		}
	}
	bad := []string{"", ".", "..", strings.Repeat("x", 250), "a b", "a/b", "ü", "a:b"}
	for _, n := range bad {
		if CheckTopicName(n) == "" {
			t.Errorf("%q accepted", n)
		}
	}
	if FoldName("a.b_c") != "a_b_c" {
		t.Error("FoldName")
	}
	for n, want := range map[string]bool{"__consumer_offsets": true, "_schemas": true, "_confluent-metrics": true, "connect-offsets": true, "user.x": false, "_schemas2": false, "connector": false} {
		if IsInternalName(n) != want {
			t.Errorf("IsInternalName(%q) != %v", n, want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml not found") {
		t.Fatalf("err = %v", err)
	}
}

func TestDiagnosticsErr(t *testing.T) {
	_, diags := Parse("x.yaml", []byte("topics:\n  - name: a\n    partitions: 0\n    replicationFactor: 1\n"))
	err := diags.Err()
	if err == nil || !strings.Contains(err.Error(), "x.yaml has 1 error\n  x.yaml:3:17: error: partitions must be at least 1") {
		t.Fatalf("err = %v", err)
	}
	_, diags = Parse("x.yaml", []byte("topics:\n  - name: a\n    partitions: 1\n    replicationFactor: 1\n"))
	if diags.Err() != nil {
		t.Fatal(diags.Err())
	}
}

// A value reached through an alias is reported at the *ref, not at the
// anchor: the anchor's own line already has its diagnostic when it is bad
// where it stands, and a topic that reuses it must say where. That holds
// for a scalar (partitions: *p), for what is inside an aliased mapping
// (config: *cfg), for a whole aliased topic (a duplicate), and for keys.
// What is written directly keeps its own position even after an alias to
// it was walked.
func TestAliasPositions(t *testing.T) {
	const file = `defaults:
  partitions: &zero 0
topics:
  - name: a
    partitions: 3
    replicationFactor: 1
    config: &cfg
      retention.ms: 7x
  - name: b
    partitions: *zero
    replicationFactor: 1
    config: *cfg
  - &c
    name: c
    partitions: x
    replicationFactor: 1
  - *c
environments:
  local:
    defaults: {replicationFactor: *zero}
`
	_, diags := Parse("t.yaml", []byte(file))
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d:%d %s", d.Pos.Line, d.Pos.Col, d.Message))
	}
	want := []string{
		`2:15 defaults.partitions must be at least 1, got 0`,
		`8:21 retention.ms: "7x" is not a duration`,  // the anchor, as written
		`10:17 partitions must be at least 1, got 0`, // *zero, not line 2
		`12:13 retention.ms: "7x" is not a duration`, // *cfg, not line 8
		`15:17 partitions must be a whole number, got "x"`,
		`17:5 partitions must be a whole number, got "x"`,      // *c, not line 15
		`17:5 duplicate topic "c" (first declared at line 14)`, // *c, first at c's own line
		`20:35 environment "local": defaults.replicationFactor must be at least 1, got 0`,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
}
