package brokers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// Leader and follower bytes are told apart; --top keeps the largest.
func TestDescribeLogDirs(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "big", 1, nil)
	cl := devclustertest.Client(t, c)
	for range 20 {
		if err := cl.ProduceSync(ctx(t), kgoRecord("big", strings.Repeat("x", 100))).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	v, err := DescribeLogDirs(ctx(t), adm, LogDirsOptions{By: ByTopic})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Topics) != 1 || v.Topics[0].Bytes != 3*v.Topics[0].LeaderBytes || v.Topics[0].ReplicaBytes != 2*v.Topics[0].LeaderBytes || v.Topics[0].LeaderBytes < 1000 {
		t.Errorf("by topic: %+v, want RF 3: replicas twice the leader's bytes", v.Topics)
	}
	p, err := DescribeLogDirs(ctx(t), adm, LogDirsOptions{By: ByPartition, Top: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Shown != 2 || p.Total != 3 || len(p.Partitions) != 2 {
		t.Errorf("--top 2: shown %d of %d", p.Shown, p.Total)
	}
	_, err = DescribeLogDirs(ctx(t), adm, LogDirsOptions{Brokers: []int32{9}})
	var bnf *BrokerNotFoundError
	if !errors.As(err, &bnf) {
		t.Errorf("unknown broker: %v", err)
	}
}

// A cluster older than KRaft says so clearly.
func TestDescribeQuorumUnsupported(t *testing.T) {
	c, err := devcluster.Start(devcluster.Options{ClusterID: "kfake", Extra: []kfake.Opt{kfake.MaxVersions(kversion.V2_8_0())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	_, err = DescribeQuorum(ctx(t), devclustertest.Client(t, c), time.Now())
	var qe *QuorumUnsupportedError
	if !errors.As(err, &qe) || !strings.Contains(err.Error(), "ZooKeeper mode") {
		t.Errorf("err = %v, want *QuorumUnsupportedError", err)
	}
	v, err := DescribeQuorum(ctx(t), devclustertest.Client(t, devclustertest.New(t)), time.Now())
	if err != nil || v.Leader < 0 || len(v.Voters) != 1 || len(v.Observers) != 2 {
		t.Errorf("embedded quorum: %+v %v", v, err)
	}
}

func kgoRecord(topic, value string) *kgo.Record {
	return &kgo.Record{Topic: topic, Value: []byte(value)}
}
