package lag_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/errs"
)

// A group that consumed 40 of 100 records shows lag 60, split per partition
// as the records it did not consume; with its member alive the partitions
// have an owner, once it leaves the group is Empty and still shown.
func TestFortyOfHundred(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	produced := produce(t, producer(t, c), "orders", 100, roundRobin(3), nil)

	co := newConsumer(t, c, "billing", "orders")
	consumed := co.consume(40)["orders"]

	cl := devclustertest.Client(t, c)
	s := collect(t, cl, lag.Options{Groups: []string{"billing"}})
	g := group(t, s, "billing")
	if g.Lag != 60 {
		t.Fatalf("group lag = %d, want 60", g.Lag)
	}
	if g.State != "Stable" || len(g.Members) != 1 || g.Protocol == "" || g.Type != "classic" {
		t.Errorf("group = state %q, %d members, protocol %q, type %q; want Stable, 1 member, a protocol, classic", g.State, len(g.Members), g.Protocol, g.Type)
	}
	if m := g.Members[0]; m.ClientID != "lag-test" || m.Host == "" || m.Partitions != 3 {
		t.Errorf("member = %+v, want client lag-test with a host and 3 partitions", m)
	}
	if len(g.Topics) != 1 || g.Topics[0].Lag != 60 {
		t.Fatalf("topics = %+v, want orders with lag 60", g.Topics)
	}
	var sum int64
	for p := int32(0); p < 3; p++ {
		pv := partition(t, g, "orders", p)
		want := produced[p] - consumed[p]
		if got := lagOf(t, pv); got != want {
			t.Errorf("orders/%d lag = %d, want %d (produced %d, consumed %d)", p, got, want, produced[p], consumed[p])
		}
		if pv.End != produced[p] {
			t.Errorf("orders/%d end = %d, want %d", p, pv.End, produced[p])
		}
		if consumed[p] > 0 && pv.Committed != consumed[p] {
			t.Errorf("orders/%d committed = %d, want %d", p, pv.Committed, consumed[p])
		}
		if pv.Owner == nil || pv.Owner.ClientID != "lag-test" {
			t.Errorf("orders/%d owner = %+v, want the live member", p, pv.Owner)
		}
		if want > 0 && (pv.TimeLagMs == nil || pv.RecordTime == nil) {
			t.Errorf("orders/%d: no time lag for a lagging partition (error %q)", p, pv.Error)
		}
		sum += lagOf(t, pv)
	}
	if sum != 60 {
		t.Errorf("partition lags sum to %d, want 60", sum)
	}

	// The member leaves: the group is Empty, still listed, same lag.
	co.close()
	s = collect(t, cl, lag.Options{})
	g = group(t, s, "billing")
	if g.State != "Empty" || len(g.Members) != 0 || g.Lag != 60 {
		t.Fatalf("after the member left: state %q, %d members, lag %d; want Empty, 0, 60", g.State, len(g.Members), g.Lag)
	}
	if pv := partition(t, g, "orders", 0); pv.Owner != nil {
		t.Errorf("orders/0 still owned by %+v in an empty group", pv.Owner)
	}

	n, err := lag.Total(ctxT(t), cl, "billing", "orders")
	if err != nil || n != 60 {
		t.Fatalf("Total = %d, %v; want 60", n, err)
	}
}

// A partition without a commit counts its whole backlog, end minus log start,
// with no off-by-one, also after the log start moved.
func TestPartitionWithoutCommit(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "np", 2, nil)
	prod := producer(t, c)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	produce(t, prod, "np", 5, to(0), nil)

	co := newConsumer(t, c, "g", "np")
	co.consume(5) // only np/0 has records: np/1 gets no commit
	co.close()
	produce(t, prod, "np", 7, to(1), func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })

	cl := devclustertest.Client(t, c)
	now := base.Add(time.Hour)
	opts := lag.Options{Groups: []string{"g"}, Now: func() time.Time { return now }}
	g := group(t, collect(t, cl, opts), "g")
	p1 := partition(t, g, "np", 1)
	if !p1.NoCommit || p1.Committed != -1 || p1.LogStart == nil || *p1.LogStart != 0 || lagOf(t, p1) != 7 {
		t.Fatalf("np/1 = %+v, want no commit, log start 0, lag 7", p1)
	}
	if p1.TimeLagMs == nil || *p1.TimeLagMs != time.Hour.Milliseconds() {
		t.Errorf("np/1 time lag = %v, want 1h (the record at the log start)", p1.TimeLagMs)
	}
	if p0 := partition(t, g, "np", 0); lagOf(t, p0) != 0 || p0.Committed != 5 || p0.TimeLagMs == nil || *p0.TimeLagMs != 0 {
		t.Errorf("np/0 = %+v, want committed 5, lag 0, time lag 0", p0)
	}

	// Delete records below offset 3: the backlog is 7-3 = 4.
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "np", Partition: 1, At: 3})
	if _, err := adm.DeleteRecords(ctxT(t), os); err != nil {
		t.Fatal(err)
	}
	g = group(t, collect(t, cl, opts), "g")
	p1 = partition(t, g, "np", 1)
	if p1.LogStart == nil || *p1.LogStart != 3 || lagOf(t, p1) != 4 {
		t.Fatalf("after deleting records: np/1 = %+v, want log start 3, lag 4", p1)
	}
	if p1.TimeLagMs == nil || *p1.TimeLagMs != (57*time.Minute).Milliseconds() {
		t.Errorf("np/1 time lag = %v, want 57m (record 3)", p1.TimeLagMs)
	}
	if g.Lag != 4 {
		t.Errorf("group lag = %d, want 4", g.Lag)
	}
}

// Time lag is the age of the record at the committed offset, from its
// timestamp.
func TestTimeLag(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "events", 1, nil)
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	produce(t, producer(t, c), "events", 10, to(0), func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) })
	co := newConsumer(t, c, "reader", "events")
	co.consume(4)

	cl := devclustertest.Client(t, c)
	now := base.Add(time.Hour)
	g := group(t, collect(t, cl, lag.Options{Groups: []string{"reader"}, Now: func() time.Time { return now }}), "reader")
	p := partition(t, g, "events", 0)
	if lagOf(t, p) != 6 || p.Committed != 4 {
		t.Fatalf("events/0 = %+v, want committed 4, lag 6", p)
	}
	if p.RecordTime == nil || !p.RecordTime.Equal(base.Add(4*time.Minute)) {
		t.Errorf("record time = %v, want %v (record 4)", p.RecordTime, base.Add(4*time.Minute))
	}
	if want := (56 * time.Minute).Milliseconds(); p.TimeLagMs == nil || *p.TimeLagMs != want || g.TimeLagMs != want {
		t.Errorf("time lag = %v (group %d), want %d", p.TimeLagMs, g.TimeLagMs, want)
	}

	// With NoTimeLag nothing is read: the lag stays, the time lag is unknown.
	g = group(t, collect(t, cl, lag.Options{Groups: []string{"reader"}, NoTimeLag: true}), "reader")
	if p := partition(t, g, "events", 0); lagOf(t, p) != 6 || p.TimeLagMs != nil {
		t.Errorf("NoTimeLag: %+v, want lag 6 and no time lag", p)
	}
}

// A group on several topics has totals per topic and for the group.
func TestSeveralTopics(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "a", 2, nil)
	devclustertest.CreateTopic(t, adm, "b", 1, nil)
	prod := producer(t, c)
	produce(t, prod, "a", 10, roundRobin(2), nil)
	produce(t, prod, "b", 5, to(0), nil)
	co := newConsumer(t, c, "multi", "a", "b")
	co.consume(15)
	produce(t, prod, "a", 3, to(0), nil)
	produce(t, prod, "b", 2, to(0), nil)

	cl := devclustertest.Client(t, c)
	g := group(t, collect(t, cl, lag.Options{Groups: []string{"multi"}}), "multi")
	if len(g.Topics) != 2 || g.Topics[0].Topic != "a" || g.Topics[1].Topic != "b" {
		t.Fatalf("topics = %+v, want a and b", g.Topics)
	}
	if g.Topics[0].Lag != 3 || g.Topics[1].Lag != 2 || g.Lag != 5 {
		t.Errorf("lag a=%d b=%d group=%d, want 3, 2, 5", g.Topics[0].Lag, g.Topics[1].Lag, g.Lag)
	}
	if p := partition(t, g, "a", 1); lagOf(t, p) != 0 || p.Committed != 5 {
		t.Errorf("a/1 = %+v, want committed 5 lag 0", p)
	}

	// --topic keeps one topic, and only the groups consuming it.
	commit(t, adm, "other", map[string]map[int32]int64{"b": {0: 1}})
	s := collect(t, cl, lag.Options{Topics: []string{"a"}})
	if len(s.Groups) != 1 || s.Groups[0].Group != "multi" || len(s.Groups[0].Topics) != 1 || s.Groups[0].Lag != 3 {
		t.Fatalf("--topic a: %+v, want only multi with topic a and lag 3", s.Groups)
	}
	n, err := lag.Total(ctxT(t), cl, "multi", "b")
	if err != nil || n != 2 {
		t.Errorf("Total(multi, b) = %d, %v; want 2", n, err)
	}
}

// A group with offsets but no member ever (an admin commit) is shown as
// Empty with its lag.
func TestEmptyGroup(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 2, nil)
	produce(t, producer(t, c), "t", 20, roundRobin(2), nil)
	commit(t, adm, "offline", map[string]map[int32]int64{"t": {0: 4, 1: 10}})

	g := group(t, collect(t, devclustertest.Client(t, c), lag.Options{}), "offline")
	if g.State != "Empty" || len(g.Members) != 0 {
		t.Fatalf("state %q with %d members, want Empty with none", g.State, len(g.Members))
	}
	if g.Lag != 6 || lagOf(t, partition(t, g, "t", 0)) != 6 || lagOf(t, partition(t, g, "t", 1)) != 0 {
		t.Errorf("lag = %d, want 6 (t/0 10-4, t/1 caught up)", g.Lag)
	}
}

// A topic deleted under a group is shown as deleted, with no lag, and does
// not break the other topics. Kafka drops a deleted topic's committed
// offsets (kfake too) but a member keeps its assignment until the group
// rebalances: a member assigned both topics (its assignment chosen through
// the classic JoinGroup/SyncGroup protocol) stays so after the delete.
func TestDeletedTopic(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "live", 1, nil)
	devclustertest.CreateTopic(t, adm, "gone", 2, nil)
	prod := producer(t, c)
	produce(t, prod, "live", 5, to(0), nil)
	produce(t, prod, "gone", 4, roundRobin(2), nil)

	cl := devclustertest.Client(t, c)
	m := joinAs(t, cl, "leftover", map[string][]int32{"live": {0}, "gone": {0, 1}})
	m.commit(t, cl, map[string]map[int32]int64{"live": {0: 2}, "gone": {0: 1}})
	if _, err := adm.DeleteTopics(ctxT(t), "gone"); err != nil {
		t.Fatal(err)
	}

	s := collect(t, cl, lag.Options{Groups: []string{"leftover"}})
	g := group(t, s, "leftover")
	if len(g.Topics) != 2 {
		t.Fatalf("topics = %+v, want gone and live", g.Topics)
	}
	gone := g.Topics[0]
	if gone.Topic != "gone" || !gone.Deleted || len(gone.Partitions) != 2 {
		t.Fatalf("gone = %+v, want deleted with its 2 assigned partitions", gone)
	}
	for _, p := range gone.Partitions {
		if p.Lag != nil || p.Owner == nil {
			t.Errorf("gone/%d = %+v, want an owner and no lag", p.Partition, p)
		}
	}
	if g.Lag != 3 || lagOf(t, partition(t, g, "live", 0)) != 3 {
		t.Errorf("group lag = %d, want 3 (live: 5-2)", g.Lag)
	}
	if _, err := lag.Total(ctxT(t), cl, "leftover"); err == nil {
		t.Error("Total over a deleted topic: no error, want one saying the lag is unknown")
	}
	var text strings.Builder
	if err := s.WriteText(&text, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "topic deleted") || !strings.Contains(text.String(), `Topic "gone" no longer exists`) {
		t.Errorf("text does not say the topic is deleted:\n%s", text.String())
	}
}

// A named group that does not exist is an error naming it; the others are
// still returned.
func TestUnknownGroup(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 1, nil)
	commit(t, adm, "real", map[string]map[int32]int64{"t": {0: 0}})

	s, err := lag.Collect(ctxT(t), devclustertest.Client(t, c), lag.Options{Groups: []string{"real", "nope"}})
	var nf *errs.GroupNotFound
	if !errors.As(err, &nf) || len(nf.Groups) != 1 || nf.Groups[0] != "nope" {
		t.Fatalf("err = %v, want a GroupNotFound naming nope", err)
	}
	if !strings.Contains(err.Error(), `consumer group "nope" not found`) {
		t.Errorf("message %q does not name the group", err)
	}
	if s == nil || len(s.Groups) != 1 || s.Groups[0].Group != "real" {
		t.Fatalf("snapshot = %+v, want the existing group", s)
	}
}

// Thresholds name the partitions over them.
func TestThresholds(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 2, nil)
	now := time.Date(2025, 1, 1, 1, 0, 0, 0, time.UTC)
	base := now.Add(-time.Hour)
	produce(t, producer(t, c), "t", 40, roundRobin(2), func(i int) time.Time { return base })
	commit(t, adm, "slow", map[string]map[int32]int64{"t": {0: 5, 1: 20}})
	commit(t, adm, "fast", map[string]map[int32]int64{"t": {0: 20, 1: 20}})

	s := collect(t, devclustertest.Client(t, c), lag.Options{Now: func() time.Time { return now }})
	maxLag := int64(10)
	if got := s.Check(lag.Thresholds{MaxLag: &maxLag}); len(got) != 1 || got[0] != "slow" {
		t.Fatalf("offending = %v, want [slow]", got)
	}
	g := group(t, s, "slow")
	if len(g.Breaches) != 1 || g.Breaches[0].Partition != 0 || g.Breaches[0].Lag != 15 {
		t.Fatalf("breaches = %+v, want t/0 with lag 15", g.Breaches)
	}
	if sum := s.BreachSummary(); len(sum) != 1 || sum[0] != `group "slow": t/0 lag 15 > 10` {
		t.Errorf("summary = %q", sum)
	}
	maxLag = 15
	if got := s.Check(lag.Thresholds{MaxLag: &maxLag}); len(got) != 0 {
		t.Errorf("lag 15 with --max-lag 15: offending %v, want none (strictly above)", got)
	}
	maxTime := 30 * time.Minute
	if got := s.Check(lag.Thresholds{MaxTimeLag: &maxTime}); len(got) != 1 || got[0] != "slow" {
		t.Errorf("time threshold: offending = %v, want [slow] (records an hour old)", got)
	}
	maxTime = time.Hour
	if got := s.Check(lag.Thresholds{MaxTimeLag: &maxTime}); len(got) != 0 {
		t.Errorf("time lag 1h with --max-time-lag 1h: offending %v, want none (strictly above)", got)
	}
}

// kctl's own groups (dlt replay progress: by name, or by the metadata of
// their commits) are labelled and not checked unless asked; --exclude
// leaves groups out.
func TestKctlGroupsAndExclude(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 1, nil)
	produce(t, producer(t, c), "t", 40, to(0), nil)
	commit(t, adm, "kctl-dlt-replay", map[string]map[int32]int64{"t": {0: 5}})
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "t", Partition: 0, At: 5, LeaderEpoch: -1, Metadata: lag.ReplayMarker + " progress"})
	if err := adm.CommitAllOffsets(ctxT(t), "my-replay", os); err != nil {
		t.Fatal(err)
	}
	commit(t, adm, "app", map[string]map[int32]int64{"t": {0: 5}})
	commit(t, adm, "test-1", map[string]map[int32]int64{"t": {0: 5}})

	cl := devclustertest.Client(t, c)
	s := collect(t, cl, lag.Options{})
	for name, want := range map[string]string{"kctl-dlt-replay": lag.KctlReplayProgress, "my-replay": lag.KctlReplayProgress, "app": "", "test-1": ""} {
		if g := group(t, s, name); g.Kctl != want {
			t.Errorf("group %s labelled %q, want %q", name, g.Kctl, want)
		}
	}
	maxLag := int64(10)
	if got := s.Check(lag.Thresholds{MaxLag: &maxLag}); strings.Join(got, ",") != "app,test-1" {
		t.Errorf("offending %v, want [app test-1]: kctl's groups are not alerted on", got)
	}
	if got := s.Check(lag.Thresholds{MaxLag: &maxLag, IncludeKctl: true}); len(got) != 4 {
		t.Errorf("with IncludeKctl: offending %v, want all 4", got)
	}
	var buf bytes.Buffer
	if err := s.WriteText(&buf, view.Plain{}); err != nil || !strings.Contains(buf.String(), "Group my-replay  (kctl dlt replay progress, Empty") {
		t.Errorf("text (%v) does not label my-replay:\n%s", err, buf.String())
	}

	s = collect(t, cl, lag.Options{Exclude: []string{"test-*", "kctl-*"}})
	var names []string
	for _, g := range s.Groups {
		names = append(names, g.Group)
	}
	if strings.Join(names, ",") != "app,my-replay" {
		t.Errorf("--exclude 'test-*' 'kctl-*': groups %v, want [app my-replay]", names)
	}
}

// Status from real samples: a consumer that keeps up (OK), falls behind while
// consuming (WARN), stops committing while alive (STALL), leaves (STOP), and
// a new member that catches up (OK again).
func TestStatusTransitions(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "s", 1, nil)
	prod := producer(t, c)
	cl := devclustertest.Client(t, c)
	clock := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	opts := lag.Options{Groups: []string{"svc"}, Now: func() time.Time { clock = clock.Add(10 * time.Second); return clock }}
	h := lag.NewHistory(time.Hour)
	sample := func() lag.Group {
		t.Helper()
		s := collect(t, cl, opts)
		h.Add(s)
		return group(t, s, "svc")
	}
	status := func(g lag.Group) lag.Status {
		if g.Status == nil {
			return ""
		}
		return g.Status.Status
	}

	produce(t, prod, "s", 10, to(0), nil)
	co := newConsumer(t, c, "svc", "s")
	co.consume(10)
	sample()
	if g := sample(); status(g) != lag.StatusOK || g.Lag != 0 {
		t.Fatalf("keeping up: %s lag %d, want OK 0", status(g), g.Lag)
	}

	h = lag.NewHistory(time.Hour)
	var g lag.Group
	for range 3 {
		produce(t, prod, "s", 10, to(0), nil)
		co.consume(2)
		g = sample()
	}
	if status(g) != lag.StatusWarn || g.Lag != 24 {
		t.Fatalf("falling behind: %s lag %d (%v), want WARN 24", status(g), g.Lag, g.Status)
	}

	h = lag.NewHistory(time.Hour)
	sample()
	produce(t, prod, "s", 5, to(0), nil)
	if g := sample(); status(g) != lag.StatusStall || g.Status.Reasons[0] != "STALL: s/0 committed offset 16 unchanged for 10s with lag 29; a live member owns it" {
		t.Fatalf("alive but stuck: %s %v, want STALL", status(g), g.Status)
	}

	co.close()
	h = lag.NewHistory(time.Hour)
	sample()
	if g := sample(); status(g) != lag.StatusStop || g.State != "Empty" {
		t.Fatalf("member gone: %s state %s, want STOP Empty", status(g), g.State)
	}

	co = newConsumer(t, c, "svc", "s")
	co.consume(29)
	if g := sample(); status(g) != lag.StatusOK || g.Lag != 0 || g.Status.CatchUpMs == nil || *g.Status.CatchUpMs != 0 {
		t.Fatalf("caught up again: %s lag %d %+v, want OK 0", status(g), g.Lag, g.Status)
	}
}

// Transactions: the end offset is the last stable offset, so records of an
// open transaction are not lag; markers and aborted records between the
// commit and the end are not lag either. A commit past the end is clamped.
func TestTransactionsAndClamp(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "tx", 1, nil)
	ctx := ctxT(t)
	txn := devclustertest.Client(t, c, kgo.TransactionalID("lag-test-tx"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	aborted := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ts time.Time) func(int) time.Time { return func(int) time.Time { return ts } }
	run := func(n int, end kgo.TransactionEndTry) {
		t.Helper()
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		produce(t, txn, "tx", n, to(0), at(aborted))
		if err := txn.EndTransaction(ctx, end); err != nil {
			t.Fatal(err)
		}
	}
	run(5, kgo.TryCommit) // records 0-4, commit marker at 5
	commit(t, adm, "txg", map[string]map[int32]int64{"tx": {0: 5}})
	cl := devclustertest.Client(t, c)
	p := partition(t, group(t, collect(t, cl, lag.Options{Groups: []string{"txg"}}), "txg"), "tx", 0)
	if lagOf(t, p) != 0 || !p.MarkersOnly || p.End != 6 {
		t.Fatalf("after a committed transaction: %+v, want end 6, lag 0, markers only", p)
	}

	run(3, kgo.TryAbort) // aborted records 6-8, abort marker at 9
	p = partition(t, group(t, collect(t, cl, lag.Options{Groups: []string{"txg"}}), "txg"), "tx", 0)
	if lagOf(t, p) != 0 || !p.MarkersOnly || p.End != 10 {
		t.Fatalf("after an aborted transaction: %+v, want end 10, lag 0, markers only", p)
	}
	// Total (kctl smoke's lag step) uses the same definition.
	if n, err := lag.Total(ctx, cl, "txg", "tx"); n != 0 || err != nil {
		t.Fatalf("Total after the aborted transaction: %d, %v; want 0 as kctl lag says", n, err)
	}

	// An open transaction: its records are past the last stable offset.
	if err := txn.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	committed := aborted.Add(time.Hour)
	produce(t, txn, "tx", 4, to(0), at(committed))
	p = partition(t, group(t, collect(t, cl, lag.Options{Groups: []string{"txg"}}), "txg"), "tx", 0)
	if p.End != 10 || lagOf(t, p) != 0 {
		t.Fatalf("open transaction: %+v, want end 10 (stable), lag 0", p)
	}
	if err := txn.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	p = partition(t, group(t, collect(t, cl, lag.Options{Groups: []string{"txg"}}), "txg"), "tx", 0)
	// Lag counts offsets (as every Kafka tool does), markers in between
	// included; the time lag is read from the first consumable record.
	if p.End != 15 || lagOf(t, p) != 10 || p.MarkersOnly || p.RecordTime == nil || !p.RecordTime.Equal(committed) {
		t.Fatalf("committed: %+v, want end 15, lag 10, the time of record 10 (not of the aborted ones)", p)
	}

	commit(t, adm, "ahead", map[string]map[int32]int64{"tx": {0: 100}})
	p = partition(t, group(t, collect(t, cl, lag.Options{Groups: []string{"ahead"}}), "ahead"), "tx", 0)
	if lagOf(t, p) != 0 || !p.Clamped || p.Committed != 100 {
		t.Fatalf("commit past the end: %+v, want lag 0 clamped", p)
	}
}

// Hundreds of partitions over many groups cost a handful of requests: one
// per broker (coordinator, leader) per kind.
func TestBatchedRequests(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	prod := producer(t, c)
	topics := []string{"b1", "b2", "b3", "b4"}
	for _, tp := range topics {
		devclustertest.CreateTopic(t, adm, tp, 6, nil)
		produce(t, prod, tp, 60, roundRobin(6), nil)
	}
	const groups = 60
	for i := range groups {
		offs := map[string]map[int32]int64{}
		for _, tp := range topics {
			offs[tp] = map[int32]int64{}
			for p := int32(0); p < 6; p++ {
				offs[tp][p] = int64(i % 3) // three distinct committed offsets
			}
		}
		commit(t, adm, fmt.Sprintf("g%03d", i), offs)
	}

	var mu sync.Mutex
	counts := map[int16]int{}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		mu.Lock()
		counts[req.Key()]++
		mu.Unlock()
		return nil, nil, false
	})
	cl := devclustertest.Client(t, c)
	if err := cl.Ping(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	clear(counts)
	mu.Unlock()

	s := collect(t, cl, lag.Options{})
	if len(s.Groups) != groups {
		t.Fatalf("%d groups, want %d", len(s.Groups), groups)
	}
	for _, g := range s.Groups {
		var i int
		fmt.Sscanf(g.Group, "g%d", &i)
		if want := int64(24 * (10 - i%3)); g.Lag != want {
			t.Fatalf("group %s lag %d, want %d", g.Group, g.Lag, want)
		}
		if g.TimeLagMs == 0 {
			t.Fatalf("group %s: no time lag", g.Group)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for key, max := range map[int16]int{
		int16(kmsg.ListGroups):     3,
		int16(kmsg.DescribeGroups): 3,
		int16(kmsg.OffsetFetch):    3,
		// Ours (by name), kgo's broker discovery (no topics), and kgo
		// resolving OffsetFetch v10's topic IDs (one per response).
		int16(kmsg.Metadata):    6,
		int16(kmsg.ListOffsets): 6, // last stable offsets; no partition lacks a commit
		int16(kmsg.Fetch):       9, // 3 leaders × 3 distinct committed offsets
	} {
		if counts[key] == 0 || counts[key] > max {
			t.Errorf("%s: %d requests, want 1..%d", kmsg.NameForKey(key), counts[key], max)
		}
	}
	if counts[int16(kmsg.ConsumerGroupDescribe)] != 0 {
		t.Errorf("ConsumerGroupDescribe sent for classic groups")
	}
	t.Logf("requests: %v", counts)
}

// A KIP-848 consumer group (the broker assigns partitions) is described
// with ConsumerGroupDescribe: type consumer, members and owners.
func TestConsumerProtocolGroup(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "nextgen", 2, nil)
	produce(t, producer(t, c), "nextgen", 20, roundRobin(2), nil)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ConsumerGroup("g848"), kgo.ConsumeTopics("nextgen"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.ClientID("kip848"),
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	if err != nil {
		t.Fatal(err)
	}
	co := &consumer{t: t, cl: cl}
	t.Cleanup(co.close)
	co.consume(8)

	// A second group that polls but never commits: its assignment's topic
	// IDs cannot be named from commits, only from metadata.
	idle, err := kgo.NewClient(kgo.SeedBrokers(c.Brokers()...), kgo.ConsumerGroup("g848idle"), kgo.ConsumeTopics("nextgen"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.ClientID("idle"),
		kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idle.Close)
	for n := 0; n < 20; {
		n += idle.PollRecords(ctxT(t), 20-n).NumRecords()
	}

	admin := devclustertest.Client(t, c)
	gi := group(t, collect(t, admin, lag.Options{Groups: []string{"g848idle"}}), "g848idle")
	if gi.Lag != 20 || len(gi.Members) != 1 || partition(t, gi, "nextgen", 1).Owner == nil || !partition(t, gi, "nextgen", 1).NoCommit {
		t.Fatalf("idle consumer-protocol group: %+v, want lag 20, owned partitions without commits", gi)
	}
	for _, o := range []lag.Options{{Groups: []string{"g848"}}, {}} { // named, and listed
		g := group(t, collect(t, admin, o), "g848")
		if g.Type != "consumer" || g.State != "Stable" || len(g.Members) != 1 || g.Members[0].ClientID != "kip848" {
			t.Fatalf("%+v: type %q state %q members %+v; want a stable consumer-protocol group with its member", o, g.Type, g.State, g.Members)
		}
		if g.Lag != 12 {
			t.Errorf("lag = %d, want 12", g.Lag)
		}
		for p := int32(0); p < 2; p++ {
			if pv := partition(t, g, "nextgen", p); pv.Owner == nil || pv.Owner.ClientID != "kip848" {
				t.Errorf("nextgen/%d owner = %+v, want the member", p, pv.Owner)
			}
		}
	}
}

// Records bigger than the batched fetch's per-partition budget are still
// read (each such partition again on its own), so every partition has a
// time lag.
func TestTimeLagLargeRecords(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "big", 4, nil)
	prod := producer(t, c)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	value := bytes.Repeat([]byte("x"), 40<<10)
	var recs []*kgo.Record
	for i := range 12 {
		recs = append(recs, &kgo.Record{Topic: "big", Partition: int32(i % 4), Value: value, Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	if err := prod.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	commit(t, adm, "bigreader", map[string]map[int32]int64{"big": {0: 1, 1: 1, 2: 1, 3: 1}})
	now := base.Add(time.Hour)
	g := group(t, collect(t, devclustertest.Client(t, c), lag.Options{Groups: []string{"bigreader"}, Now: func() time.Time { return now }}), "bigreader")
	for p := int32(0); p < 4; p++ {
		pv := partition(t, g, "big", p)
		// Record at offset 1 of partition p is record 4+p.
		want := now.Sub(base.Add(time.Duration(4+p) * time.Minute)).Milliseconds()
		if pv.TimeLagMs == nil || *pv.TimeLagMs != want {
			t.Errorf("big/%d time lag = %v (error %q), want %d", p, pv.TimeLagMs, pv.Error, want)
		}
	}
}

// Partial results survive: a failing partition, group or broker carries an
// error or a warning and everything else is reported.
func TestFaults(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "f", 3, nil)
	produce(t, producer(t, c), "f", 30, roundRobin(3), nil)
	commit(t, adm, "good", map[string]map[int32]int64{"f": {0: 1, 1: 1, 2: 1}})
	commit(t, adm, "bad", map[string]map[int32]int64{"f": {0: 1}})
	cl := devclustertest.Client(t, c)

	h := c.Fault(
		kfake.Fault{Keys: []kmsg.Key{kmsg.Fetch}, Topic: "f", Partitions: []int32{1}, Err: kerr.UnknownServerError, Count: -1},
		kfake.Fault{Keys: []kmsg.Key{kmsg.ListOffsets}, Topic: "f", Partitions: []int32{2}, Err: kerr.UnknownServerError, Count: -1},
		kfake.Fault{Keys: []kmsg.Key{kmsg.OffsetFetch}, Group: "bad", Err: kerr.UnknownServerError, Count: -1},
	)
	s := collect(t, cl, lag.Options{})
	h.Remove()
	g := group(t, s, "good")
	if p := partition(t, g, "f", 0); lagOf(t, p) != 9 || p.TimeLagMs == nil {
		t.Errorf("f/0 = %+v, want lag 9 with a time lag", p)
	}
	if p := partition(t, g, "f", 1); lagOf(t, p) != 9 || p.TimeLagMs != nil || !strings.Contains(p.Error, "time lag: record at offset 1: UNKNOWN_SERVER_ERROR") {
		t.Errorf("f/1 = %+v, want lag 9, no time lag, the fetch error", p)
	}
	if p := partition(t, g, "f", 2); p.Lag != nil || !strings.Contains(p.Error, "end offset: UNKNOWN_SERVER_ERROR") {
		t.Errorf("f/2 = %+v, want no lag and the list offsets error", p)
	}
	if g.Lag != 18 {
		t.Errorf("good lag = %d, want 18 (the known partitions)", g.Lag)
	}
	if b := group(t, s, "bad"); !strings.Contains(b.Error, "committed offsets: UNKNOWN_SERVER_ERROR") {
		t.Errorf("bad = %+v, want the offset fetch error", b)
	}

	// A broker that cannot list its groups: a warning, the others shown.
	coord := c.CoordinatorFor("good")
	h = c.Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.ListGroups}, Nodes: []int32{coord}, TopLevel: true, Err: kerr.UnknownServerError, Count: -1})
	defer h.Remove()
	s = collect(t, cl, lag.Options{})
	if _, ok := s.Lookup("good"); ok {
		t.Errorf("group on the failing broker listed")
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], fmt.Sprintf("list groups on broker %d: UNKNOWN_SERVER_ERROR", coord)) {
		t.Errorf("warnings = %q, want one naming broker %d", s.Warnings, coord)
	}
	if c.CoordinatorFor("bad") != coord {
		if _, ok := s.Lookup("bad"); !ok {
			t.Errorf("group bad on a healthy broker is missing")
		}
	}
}

// A ListOffsets request that fails on one broker (its connection drops)
// leaves that leader's partitions with the broker's error and no lag; the
// partitions led by the other brokers keep theirs.
func TestListOffsetsBrokerFails(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "d", 6, nil)
	produce(t, producer(t, c), "d", 60, roundRobin(6), nil)
	offs := map[string]map[int32]int64{"d": {}}
	for p := int32(0); p < 6; p++ {
		offs["d"][p] = 4
	}
	commit(t, adm, "g", offs)
	down := c.LeaderFor("d", 0)
	c.ControlKey(int16(kmsg.ListOffsets), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if c.CurrentNode() != down {
			return nil, nil, false
		}
		return nil, errors.New("connection dropped"), true
	})
	cl := devclustertest.Client(t, c, kgo.RequestRetries(0))

	g := group(t, collect(t, cl, lag.Options{Groups: []string{"g"}}), "g")
	others := 0
	for p := int32(0); p < 6; p++ {
		pv := partition(t, g, "d", p)
		if c.LeaderFor("d", p) == down {
			if pv.Lag != nil || !strings.Contains(pv.Error, fmt.Sprintf("end offset: broker %d: ", down)) {
				t.Errorf("d/%d (leader %d, failing) = %+v, want no lag and the broker's error", p, down, pv)
			}
			continue
		}
		others++
		if lagOf(t, pv) != 6 || pv.Error != "" {
			t.Errorf("d/%d (leader %d) = %+v, want lag 6 and no error", p, c.LeaderFor("d", p), pv)
		}
	}
	if others == 0 {
		t.Fatal("every partition is led by the failing broker: nothing shows partial results survive")
	}
}
