package records

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// observed is a cluster with topic t (3 partitions: log start 10, end 100,
// the offset at 1970-01-01T00:00:05Z is 50 on partition 0 and none on the
// others) and group g committed at 42 on t/1.
func observed() *Observed {
	obs := &Observed{Topics: kadm.TopicDetails{"t": {Topic: "t", Partitions: kadm.PartitionDetails{0: {}, 1: {}, 2: {}}}},
		LogStarts: kadm.ListedOffsets{}, Ends: kadm.ListedOffsets{}, AtTime: kadm.ListedOffsets{},
		Committed: kadm.OffsetResponses{"t": {1: {Offset: kadm.Offset{Topic: "t", Partition: 1, At: 42}}}}}
	add := func(lo kadm.ListedOffsets, o kadm.ListedOffset) {
		if lo[o.Topic] == nil {
			lo[o.Topic] = map[int32]kadm.ListedOffset{}
		}
		lo[o.Topic][o.Partition] = o
	}
	for p := range int32(3) {
		add(obs.LogStarts, kadm.ListedOffset{Topic: "t", Partition: p, Offset: 10})
		add(obs.Ends, kadm.ListedOffset{Topic: "t", Partition: p, Offset: 100})
		at := int64(-1)
		if p == 0 {
			at = 50
		}
		add(obs.AtTime, kadm.ListedOffset{Topic: "t", Partition: p, Offset: at})
	}
	return obs
}

func starts(p *Plan) string {
	var s []string
	for _, pp := range p.Partitions {
		c := ""
		if pp.Clamped {
			c = "!"
		}
		if pp.Committed {
			c += "c"
		}
		s = append(s, fmt.Sprintf("%s/%d:%d%s", pp.Topic, pp.Partition, pp.Start, c))
	}
	return strings.Join(s, " ")
}

// BuildPlan is pure: where each partition starts follows from the
// observation and --from, with no cluster.
func TestBuildPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    ConsumeOptions
		want string
	}{
		{"beginning", ConsumeOptions{From: From{Kind: FromBeginning}}, "t/0:10 t/1:10 t/2:10"},
		{"end", ConsumeOptions{From: From{Kind: FromEnd}}, "t/0:100 t/1:100 t/2:100"},
		{"offset clamped", ConsumeOptions{From: From{Kind: FromOffset, Offset: 5}, Partitions: []int32{2, 0, 2}}, "t/0:10! t/2:10!"},
		{"offset past end", ConsumeOptions{From: From{Kind: FromOffset, Offset: 500}, Partitions: []int32{1}}, "t/1:100!"},
		{"tail", ConsumeOptions{From: From{Kind: FromTail, Offset: 95}, Partitions: []int32{0}}, "t/0:10"},
		{"time", ConsumeOptions{From: From{Kind: FromTime, Time: time.Unix(5, 0)}}, "t/0:50 t/1:100 t/2:100"},
		{"stored", ConsumeOptions{From: From{Kind: FromStored}, Group: "g"}, "t/0:10 t/1:42c t/2:10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.Topics = []string{"t"}
			p, err := BuildPlan(observed(), tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if got := starts(p); got != tc.want {
				t.Errorf("starts %s, want %s", got, tc.want)
			}
			if p.Partitions[0].End != 100 || p.Partitions[0].LogStart != 10 {
				t.Errorf("bounds %+v", p.Partitions[0])
			}
		})
	}

	var tnf *errs.TopicNotFound
	obs := observed()
	obs.Existing = []string{"t"}
	if _, err := BuildPlan(obs, ConsumeOptions{Topics: []string{"t", "x", "y"}}); !errors.As(err, &tnf) || len(tnf.Topics) != 2 || tnf.Suggestions["x"] != "t" {
		t.Errorf("missing topics: %v", err)
	}
	var pre *errs.PartitionOutOfRange
	if _, err := BuildPlan(observed(), ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{3}}); !errors.As(err, &pre) || pre.Count != 3 {
		t.Errorf("partition 3: %v", err)
	}
	if _, err := BuildPlan(observed(), ConsumeOptions{Topics: []string{"t"}, From: From{Kind: FromStored}}); err == nil || !strings.Contains(err.Error(), "--group") {
		t.Errorf("stored without a group: %v", err)
	}
	obs = observed()
	obs.Ends["t"][2] = kadm.ListedOffset{Topic: "t", Partition: 2, Err: kerr.NotLeaderForPartition}
	if _, err := BuildPlan(obs, ConsumeOptions{Topics: []string{"t"}}); !errors.Is(err, kerr.NotLeaderForPartition) || !strings.Contains(err.Error(), "t/2") {
		t.Errorf("a partition's end offset failed: %v, want the error naming t/2", err)
	}
}
