package lag_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func newCluster(t testing.TB, opts ...kfake.Opt) *devcluster.Cluster {
	return devclustertest.New(t, opts...)
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// produce writes n records to topic; record i goes to partition part(i)
// and, when ts is not nil, has timestamp ts(i). It returns how many records
// landed on each partition.
func produce(t testing.TB, cl *kgo.Client, topic string, n int, part func(i int) int32, ts func(i int) time.Time) map[int32]int64 {
	t.Helper()
	ctx := ctxT(t)
	got := map[int32]int64{}
	recs := make([]*kgo.Record, n)
	for i := range recs {
		r := &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i)), Partition: part(i)}
		if ts != nil {
			r.Timestamp = ts(i)
		}
		recs[i] = r
	}
	res := cl.ProduceSync(ctx, recs...)
	if err := res.FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	for _, r := range res {
		got[r.Record.Partition]++
	}
	return got
}

func to(p int32) func(int) int32       { return func(int) int32 { return p } }
func roundRobin(n int) func(int) int32 { return func(i int) int32 { return int32(i % n) } }

// producer returns a client producing to each record's own Partition.
func producer(t testing.TB, c *devcluster.Cluster) *kgo.Client {
	return devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
}

// consumer is a real group member: kgo.ConsumerGroup, no autocommit.
type consumer struct {
	t  testing.TB
	cl *kgo.Client
}

func newConsumer(t testing.TB, c *devcluster.Cluster, group string, topics ...string) *consumer {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.Brokers()...),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.ClientID("lag-test"),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	co := &consumer{t: t, cl: cl}
	t.Cleanup(co.close)
	return co
}

// consume polls exactly n records, commits them, and returns how many came
// from each topic/partition.
func (co *consumer) consume(n int) map[string]map[int32]int64 {
	co.t.Helper()
	ctx := ctxT(co.t)
	got := map[string]map[int32]int64{}
	var recs []*kgo.Record
	for len(recs) < n {
		fs := co.cl.PollRecords(ctx, n-len(recs))
		if err := ctx.Err(); err != nil {
			co.t.Fatalf("consumed %d of %d records: %v", len(recs), n, err)
		}
		fs.EachError(func(t string, p int32, err error) { co.t.Fatalf("poll %s/%d: %v", t, p, err) })
		recs = append(recs, fs.Records()...)
	}
	for _, r := range recs {
		if got[r.Topic] == nil {
			got[r.Topic] = map[int32]int64{}
		}
		got[r.Topic][r.Partition]++
	}
	if err := co.cl.CommitRecords(ctx, recs...); err != nil {
		co.t.Fatalf("commit: %v", err)
	}
	return got
}

func (co *consumer) close() {
	if co.cl != nil {
		co.cl.Close()
		co.cl = nil
	}
}

func collect(t testing.TB, cl *kgo.Client, o lag.Options) *lag.Snapshot {
	t.Helper()
	s, err := lag.Collect(ctxT(t), cl, o)
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return s
}

func group(t testing.TB, s *lag.Snapshot, name string) lag.Group {
	t.Helper()
	g, ok := s.Lookup(name)
	if !ok {
		t.Fatalf("group %q not in snapshot (%d groups)", name, len(s.Groups))
	}
	return g
}

func partition(t testing.TB, g lag.Group, topic string, p int32) lag.Partition {
	t.Helper()
	for _, tv := range g.Topics {
		if tv.Topic != topic {
			continue
		}
		for _, pv := range tv.Partitions {
			if pv.Partition == p {
				return pv
			}
		}
	}
	t.Fatalf("group %s has no partition %s/%d", g.Group, topic, p)
	return lag.Partition{}
}

func lagOf(t testing.TB, p lag.Partition) int64 {
	t.Helper()
	if p.Lag == nil {
		t.Fatalf("partition %d: lag unknown (error %q)", p.Partition, p.Error)
	}
	return *p.Lag
}

func commit(t testing.TB, adm *kadm.Client, group string, offsets map[string]map[int32]int64) {
	t.Helper()
	os := kadm.Offsets{}
	for topic, ps := range offsets {
		for p, at := range ps {
			os.Add(kadm.Offset{Topic: topic, Partition: p, At: at, LeaderEpoch: -1})
		}
	}
	if err := adm.CommitAllOffsets(ctxT(t), group, os); err != nil {
		t.Fatalf("commit offsets of %s: %v", group, err)
	}
}

// member is a classic group member driven by hand through JoinGroup and
// SyncGroup, so a test chooses its assignment.
type member struct {
	group, id string
	gen       int32
}

func joinAs(t testing.TB, cl *kgo.Client, group string, assign map[string][]int32) *member {
	t.Helper()
	ctx := ctxT(t)
	meta := kmsg.NewConsumerMemberMetadata()
	for topic := range assign {
		meta.Topics = append(meta.Topics, topic)
	}
	join := kmsg.NewPtrJoinGroupRequest()
	join.Group = group
	join.SessionTimeoutMillis = 45000
	join.RebalanceTimeoutMillis = 45000
	join.ProtocolType = "consumer"
	proto := kmsg.NewJoinGroupRequestProtocol()
	proto.Name = "range"
	proto.Metadata = meta.AppendTo(nil)
	join.Protocols = append(join.Protocols, proto)
	var jr *kmsg.JoinGroupResponse
	for range 3 {
		resp, err := join.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("join %s: %v", group, err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); errors.Is(err, kerr.MemberIDRequired) {
			join.MemberID = resp.MemberID
			continue
		} else if err != nil {
			t.Fatalf("join %s: %v", group, err)
		}
		jr = resp
		break
	}
	if jr == nil {
		t.Fatalf("join %s: no answer", group)
	}
	as := kmsg.NewConsumerMemberAssignment()
	for topic, ps := range assign {
		at := kmsg.NewConsumerMemberAssignmentTopic()
		at.Topic, at.Partitions = topic, ps
		as.Topics = append(as.Topics, at)
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.Generation, sync.MemberID = group, jr.Generation, jr.MemberID
	sync.ProtocolType, sync.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
	ga := kmsg.NewSyncGroupRequestGroupAssignment()
	ga.MemberID, ga.MemberAssignment = jr.MemberID, as.AppendTo(nil)
	sync.GroupAssignment = append(sync.GroupAssignment, ga)
	sr, err := sync.RequestWith(ctx, cl)
	if err == nil {
		err = kerr.ErrorForCode(sr.ErrorCode)
	}
	if err != nil {
		t.Fatalf("sync %s: %v", group, err)
	}
	return &member{group: group, id: jr.MemberID, gen: jr.Generation}
}

// commit commits offsets as the member.
func (m *member) commit(t testing.TB, cl *kgo.Client, offsets map[string]map[int32]int64) {
	t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = m.group, m.gen, m.id
	var names []string
	for topic := range offsets {
		names = append(names, topic)
	}
	tds, err := kadm.NewClient(cl).ListTopics(ctxT(t), names...)
	if err != nil {
		t.Fatal(err)
	}
	for topic, ps := range offsets {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic, rt.TopicID = topic, tds[topic].ID
		for p, at := range ps {
			rp := kmsg.NewOffsetCommitRequestTopicPartition()
			rp.Partition, rp.Offset = p, at
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("commit as member: %v", err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				t.Fatalf("commit %s/%d as member: %v", rt.Topic, rp.Partition, err)
			}
		}
	}
}
