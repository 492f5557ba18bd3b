package devcluster

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

func correctedCluster(t *testing.T) (*Cluster, *kgo.Client, *kadm.Client) {
	t.Helper()
	c, err := Start(Options{ClusterID: "kfake"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return c, cl, kadm.NewClient(cl)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// A broker's DescribeLogDirs lists only the partitions it holds a replica
// of (kfake lists every partition on every broker).
func TestDescribeLogDirsOnlyReplicas(t *testing.T) {
	_, _, adm := correctedCluster(t)
	if _, err := adm.CreateTopic(ctx(t), 3, 1, nil, "one"); err != nil {
		t.Fatal(err)
	}
	meta, err := adm.Metadata(ctx(t), "one")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int32][]int32{} // broker → partitions
	for _, p := range meta.Topics["one"].Partitions {
		want[p.Replicas[0]] = append(want[p.Replicas[0]], p.Partition)
	}
	for name, ts := range map[string]kadm.TopicsSet{"all": nil, "named": {"one": {0: {}, 1: {}, 2: {}}}} {
		all, err := adm.DescribeAllLogDirs(ctx(t), ts)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for b, dirs := range all {
			var got []int32
			for _, d := range dirs {
				for p := range d.Topics["one"] {
					got = append(got, p)
				}
			}
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			sort.Slice(want[b], func(i, j int) bool { return want[b][i] < want[b][j] })
			if len(got) != len(want[b]) {
				t.Errorf("%s: broker %d lists partitions %v of an RF-1 topic, holds %v", name, b, got, want[b])
			}
			total += len(got)
		}
		if total != 3 {
			t.Errorf("%s: %d replicas listed, want 3", name, total)
		}
	}
}

// ElectLeaders changes no leader: every partition is led by its preferred
// replica, so each is ELECTION_NOT_NEEDED (kfake rotates the leader).
// A test's own observer of ElectLeaders still sees the request.
func TestElectLeadersNotNeeded(t *testing.T) {
	c, _, adm := correctedCluster(t)
	var mu sync.Mutex
	seen := 0
	c.ControlKey(int16(kmsg.ElectLeaders), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		seen++
		mu.Unlock()
		return nil, nil, false
	})
	if _, err := adm.CreateTopic(ctx(t), 2, 3, nil, "t"); err != nil {
		t.Fatal(err)
	}
	before := c.LeaderFor("t", 0)
	for _, how := range []kadm.ElectLeadersHow{kadm.ElectPreferredReplica, kadm.ElectLiveReplica} {
		rs, err := adm.ElectLeaders(ctx(t), how, kadm.TopicsSet{"t": {0: {}, 1: {}}, "nope": {0: {}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []int32{0, 1} {
			if r := rs["t"][p]; !errors.Is(r.Err, kerr.ElectionNotNeeded) {
				t.Errorf("%v t/%d: %v, want ELECTION_NOT_NEEDED", how, p, r.Err)
			}
		}
		if r := rs["nope"][0]; !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
			t.Errorf("%v nope/0: %v, want UNKNOWN_TOPIC_OR_PARTITION", how, r.Err)
		}
	}
	if after := c.LeaderFor("t", 0); after != before {
		t.Errorf("leader of t/0 moved from %d to %d", before, after)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen != 2 {
		t.Errorf("the test's observer saw %d ElectLeaders requests, want 2", seen)
	}
}

// ApiVersions advertises DescribeQuorum and the answer is a single-voter
// quorum led by the controller, the other brokers observers.
func TestDescribeQuorum(t *testing.T) {
	_, cl, adm := correctedCluster(t)
	vs, err := adm.ApiVersions(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range vs {
		if _, ok := v.KeyMaxVersion(int16(kmsg.DescribeQuorum)); !ok || v.Err != nil {
			t.Errorf("broker %d does not advertise DescribeQuorum (%v)", id, v.Err)
		}
	}
	meta, err := adm.BrokerMetadata(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	req := kmsg.NewPtrDescribeQuorumRequest()
	rt := kmsg.NewDescribeQuorumRequestTopic()
	rt.Topic = "__cluster_metadata"
	rt.Partitions = append(rt.Partitions, kmsg.NewDescribeQuorumRequestTopicPartition())
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Topics[0].Partitions[0]
	if p.ErrorCode != 0 || p.LeaderID != meta.Controller || len(p.CurrentVoters) != 1 || p.CurrentVoters[0].ReplicaID != meta.Controller || len(p.Observers) != len(meta.Brokers)-1 {
		t.Errorf("quorum %+v, want leader and only voter %d, %d observers", p, meta.Controller, len(meta.Brokers)-1)
	}
}

// A cluster capped to a pre-KRaft release (kfake.MaxVersions) advertises
// no DescribeQuorum; a test's own control function still sees every
// ApiVersions request (the shim works on the wire, not as a control).
func TestDescribeQuorumOldRelease(t *testing.T) {
	c, err := Start(Options{ClusterID: "kfake", Extra: []kfake.Opt{kfake.MaxVersions(kversion.V2_8_0())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	var mu sync.Mutex
	seen := 0
	c.ControlKey(int16(kmsg.ApiVersions), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		seen++
		mu.Unlock()
		return nil, nil, false
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	vs, err := kadm.NewClient(cl).ApiVersions(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for id, v := range vs {
		if _, ok := v.KeyMaxVersion(int16(kmsg.DescribeQuorum)); ok {
			t.Errorf("broker %d of a Kafka 2.8 cluster advertises DescribeQuorum", id)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen == 0 {
		t.Error("the test's control function saw no ApiVersions request")
	}
}
