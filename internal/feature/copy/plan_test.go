package copy

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kctl/kctl/internal/platform/errs"
)

func offsets(topic string, vals ...int64) kadm.ListedOffsets {
	lo := kadm.ListedOffsets{topic: {}}
	for p, v := range vals {
		lo[topic][int32(p)] = kadm.ListedOffset{Topic: topic, Partition: int32(p), Offset: v}
	}
	return lo
}

func detail(topic string, n int) kadm.TopicDetail {
	td := kadm.TopicDetail{Topic: topic, Partitions: kadm.PartitionDetails{}}
	for p := range int32(n) {
		td.Partitions[p] = kadm.PartitionDetail{Topic: topic, Partition: p}
	}
	return td
}

func TestBuildPlan(t *testing.T) {
	obs := &Observed{
		SrcTopic: detail("a", 3), SrcExists: true, DstTopic: detail("b", 3), DstExists: true,
		LogStarts: offsets("a", 0, 5, 0), Ends: offsets("a", 10, 20, 0),
	}
	p, err := BuildPlan(obs, Options{Src: "a", Dst: "b", SameCluster: true})
	if err != nil {
		t.Fatal(err)
	}
	if p.Mapping != SamePartition || p.Total != 25 || p.Partitions[1].Start != 5 {
		t.Errorf("plan %+v", p)
	}
	// A range by offset, clamped to the log; progress resumes later.
	from, to := int64(3), int64(8)
	obs.Progress = map[int32]int64{0: 6}
	p, _ = BuildPlan(obs, Options{Src: "a", Dst: "b", From: Bound{Input: "3", Offset: &from}, To: Bound{Input: "8", Offset: &to}, ExactlyOnce: true})
	got := []PartitionPlan{{0, 0, 6, 8, true}, {1, 5, 5, 8, false}, {2, 0, 0, 0, false}}
	for i, pp := range p.Partitions {
		if pp != got[i] {
			t.Errorf("partition %d: %+v, want %+v", i, pp, got[i])
		}
	}
	if p.Group != "kctl-copy/a/b" || p.Total != 5 {
		t.Errorf("group %q total %d", p.Group, p.Total)
	}
	// By time: no record at or after the time means the end.
	obs.Progress = nil
	obs.AtFrom = offsets("a", 4, -1, -1)
	p, _ = BuildPlan(obs, Options{Src: "a", Dst: "b", From: Bound{Input: "1h", Time: time.Unix(100, 0)}})
	if p.Partitions[0].Start != 4 || p.Partitions[1].Start != 20 || p.Total != 6 {
		t.Errorf("by time: %+v", p.Partitions)
	}
	// Other partition counts: by key.
	obs.DstTopic = detail("b", 4)
	if p, _ := BuildPlan(obs, Options{Src: "a", Dst: "b"}); p.Mapping != ByKey {
		t.Errorf("mapping %s", p.Mapping)
	}
	// A missing destination names the closest topic and kctl apply.
	obs.DstExists, obs.DstNames = false, []string{"orders", "bb"}
	_, err = BuildPlan(obs, Options{Src: "a", Dst: "b"})
	var nf *errs.TopicNotFound
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "kctl apply") || nf.Suggestions["b"] != "bb" {
		t.Errorf("missing destination: %v", err)
	}
}

func TestProgressMetadata(t *testing.T) {
	pr := map[int32]int64{2: 7, 0: 12, 1: 0}
	md := encodeProgress(pr)
	if md != "kctl-copy/v1 0=12,1=0,2=7" {
		t.Errorf("metadata %q", md)
	}
	back, err := parseProgress(md)
	if err != nil || len(back) != 3 || back[0] != 12 || back[2] != 7 {
		t.Errorf("parse: %v %v", back, err)
	}
	if p, err := parseProgress("other tool"); err != nil || len(p) != 0 {
		t.Errorf("foreign metadata: %v %v", p, err)
	}
	if _, err := parseProgress("kctl-copy/v1 0=x"); err == nil {
		t.Error("a broken progress must not read as none")
	}
}
