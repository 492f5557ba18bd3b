package cli

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/ui/top"
)

// clock is a fake clock the test advances.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }
func newClock(t time.Time) *clock        { c := &clock{}; c.t.Store(t.UnixNano()); return c }

func produceN(t *testing.T, cl *kgo.Client, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < n; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: int32(i % 3), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

func kadmOffsets(topic string, at map[int32]int64) kadm.Offsets {
	var o kadm.Offsets
	for p, a := range at {
		o.Add(kadm.Offset{Topic: topic, Partition: p, At: a, LeaderEpoch: -1})
	}
	return o
}

func commitOffsets(ctx context.Context, t *testing.T, adm *kadm.Client, group, topic string, at map[int32]int64) {
	t.Helper()
	if r, err := adm.CommitOffsets(ctx, group, kadmOffsets(topic, at)); err != nil || r.Error() != nil {
		t.Fatalf("commit: %v %v", err, r.Error())
	}
}

// TestTopCollector: the collector's snapshot is describe's and lag's views
// (topics, health, brokers, groups with kctl lag's status) plus rates from
// the growth between two refreshes, measured on the injected clock.
func TestTopCollector(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	cl := devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceN(t, cl, "orders", 30)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// billing committed 4 of the 10 records of each partition, and has no
	// live member.
	commitOffsets(ctx, t, adm, "billing", "orders", map[int32]int64{0: 4, 1: 4, 2: 4})

	clk := newClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	tc := newTopCollector(devclustertest.Client(t, c), 20*time.Second, 2*time.Second, clk.now)
	s1 := tc.collect(ctx)
	if s1.Err != "" {
		t.Fatalf("first refresh: %s", s1.Err)
	}
	if s1.ClusterID != "kfake" || len(s1.Brokers) != 3 || s1.Partitions < 3 || s1.RateKnown {
		t.Fatalf("first snapshot: %+v", s1)
	}
	for _, b := range s1.Brokers {
		if !b.Up {
			t.Errorf("broker %d down in the first snapshot", b.ID)
		}
	}
	leads := 0
	for _, b := range s1.Brokers {
		leads += b.Leads
	}
	if leads != s1.Partitions {
		t.Errorf("brokers lead %d partitions, the cluster has %d", leads, s1.Partitions)
	}
	if len(s1.TopicRows) != 1 || s1.TopicRows[0].Name != "orders" || s1.TopicRows[0].RF != 3 || s1.TopicRows[0].Partitions != 3 {
		t.Fatalf("topic rows: %+v", s1.TopicRows)
	}
	if len(s1.Groups) != 1 || s1.Groups[0].Name != "billing" || s1.Groups[0].Lag != 18 || s1.Groups[0].Status != "" {
		t.Fatalf("groups: %+v", s1.Groups)
	}

	// 2 s later (on the clock), 12 more records and a commit of 2 more on
	// partition 0: 6 records/s produced, 1 record/s consumed there.
	produceN(t, cl, "orders", 12)
	commitOffsets(ctx, t, adm, "billing", "orders", map[int32]int64{0: 6, 1: 4, 2: 4})
	clk.advance(2 * time.Second)
	s2 := tc.collect(ctx)
	if s2.Err != "" {
		t.Fatalf("second refresh: %s", s2.Err)
	}
	if !s2.RateKnown || s2.ProduceRate != 6 || s2.TopicRows[0].Rate != 6 {
		t.Errorf("rates: cluster %v (known %v), orders %v; want 6/s", s2.ProduceRate, s2.RateKnown, s2.TopicRows[0].Rate)
	}
	g := s2.Groups[0]
	// Partitions 1 and 2 did not move with nobody owning them: kctl lag's
	// STOP, over the two samples.
	if g.Status != "STOP" || g.Rank != 3 || g.Lag != 28 {
		t.Errorf("billing: status %q rank %d lag %d; want STOP 3 28 (%v)", g.Status, g.Rank, g.Lag, g.Reasons)
	}
	var p0 *top.GroupPartition
	for i := range g.Partitions {
		if g.Partitions[i].Partition == 0 {
			p0 = &g.Partitions[i]
		}
	}
	if p0 == nil || !p0.RateKnown || p0.Rate != 1 || p0.Committed != 6 || p0.End != 14 || p0.Lag != 8 {
		t.Errorf("billing orders/0: %+v; want committed 6, end 14, lag 8, 1/s", p0)
	}

	// A broker goes away: it shows as down.
	if err := c.RemoveNode(2); err != nil {
		t.Fatal(err)
	}
	clk.advance(2 * time.Second)
	s3 := tc.collect(ctx)
	if s3.Err != "" {
		t.Fatalf("refresh with a broker down: %s", s3.Err)
	}
	if len(s3.Brokers) != 3 || s3.Brokers[2].ID != 2 || s3.Brokers[2].Up || !s3.Brokers[0].Up {
		t.Errorf("brokers with node 2 removed: %+v", s3.Brokers)
	}
	m := top.New(top.Options{Interval: 2 * time.Second})
	mm, _ := m.Update(top.SnapshotMsg(s3))
	if frame := mm.(top.Model).View(); !strings.Contains(frame, "Brokers 2/3 up") || !strings.Contains(frame, "DOWN") {
		t.Errorf("overview with a broker down:\n%s", frame)
	}
}

// TestTopCollectorUnreachable: a cluster that stops answering gives a
// snapshot with only an error (the model shows a banner over the last data), and
// the next refresh after it answers again is whole.
func TestTopCollectorUnreachable(t *testing.T) {
	c := newCluster(t)
	var down atomic.Bool
	c.ControlKey(int16(kmsg.Metadata), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if down.Load() {
			return nil, errors.New("down"), true
		}
		return nil, nil, false
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tc := newTopCollector(devclustertest.Client(t, c), time.Second, 2*time.Second, time.Now)
	if s := tc.collect(ctx); s.Err != "" {
		t.Fatalf("first refresh: %s", s.Err)
	}
	down.Store(true)
	s := tc.collect(ctx)
	if !strings.Contains(s.Err, "metadata: ") || s.ClusterID != "" {
		t.Errorf("refresh of a cluster closing its connections: Err %q (cluster %q), want the failed request named and no data", s.Err, s.ClusterID)
	}
	down.Store(false)
	if s := tc.collect(ctx); s.Err != "" || s.ClusterID != "kfake" {
		t.Errorf("refresh after recovery: Err %q, cluster %q", s.Err, s.ClusterID)
	}
}
