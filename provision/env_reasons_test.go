package provision

import (
	"strings"
	"testing"

	"github.com/kctl/kctl/topology"
)

// A refusal caused by a value an environment sets names the environment and
// where it sets it, not the base's line; the RF refusal names a fix.
func TestRefusalNamesEnvironment(t *testing.T) {
	cl := client(t, newCluster(t))
	createRaw(t, cl, rawTopic("shrink", 6, 3), rawTopic("grow", 1, 3))
	f, diags := topology.Parse("envnull.yaml", []byte(`defaults:
  replicationFactor: 3
topics:
  - name: shrink
    partitions: 6
  - name: grow
    partitions: 1
  - name: fresh
    partitions: 1
environments:
  x:
    defaults: {partitions: 1}
    topics:
      shrink: {partitions: 2}
      grow: {replicationFactor: 5}
      fresh: {replicationFactor: 4}
`))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	x, err := f.Select("x", "--env")
	if err != nil {
		t.Fatal(err)
	}
	p := planFor(t, cl, x, Options{})
	want := map[string]string{
		"shrink": "partitions 6 → 2, set by environment x's override of shrink at envnull.yaml:14:28: Kafka cannot remove partitions; keep partitions: 6 there",
		"grow":   "replicationFactor 5, set by environment x's override of grow at envnull.yaml:15:33, is more than the cluster's 3 brokers: declare replicationFactor: 3 or less there, or add brokers",
		"fresh":  "replicationFactor 4, set by environment x's override of fresh at envnull.yaml:16:34, is more than the cluster's 3 brokers: declare replicationFactor: 3 or less there, or add brokers",
	}
	for _, c := range p.Changes {
		w, ok := want[c.Topic]
		if !ok {
			continue
		}
		delete(want, c.Topic)
		if c.Action != Refused || !strings.Contains(strings.Join(c.Reasons, "\n"), w) {
			t.Errorf("%s: %s %q, want a refusal saying %q", c.Topic, c.Action, c.Reasons, w)
		}
	}
	for topic := range want {
		t.Errorf("%s: no change planned", topic)
	}

	// The base alone (no environment): the reasons point at the file.
	base := planFor(t, cl, mustSelectNone(t, `defaults:
  replicationFactor: 4
topics:
  - name: grow
    partitions: 1
`), Options{})
	if len(base.Changes) != 1 || !strings.Contains(strings.Join(base.Changes[0].Reasons, ""), "replicationFactor 4 is more than the cluster's 3 brokers: declare replicationFactor: 3 or less, or add brokers") {
		t.Errorf("base plan: %+v", base.Changes)
	}
}

func mustSelectNone(t *testing.T, src string) *topology.File {
	t.Helper()
	f, diags := topology.Parse("topics.yaml", []byte(src))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return f
}
