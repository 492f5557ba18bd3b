package groups_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/feature/groups"
	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/errs"
)

func newCluster(t testing.TB) *devcluster.Cluster { return devclustertest.New(t) }

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// produce writes n records to each partition of topic.
func produce(t testing.TB, cl *kgo.Client, topic string, parts int32, n int) {
	t.Helper()
	var recs []*kgo.Record
	for p := range parts {
		for i := range n {
			recs = append(recs, &kgo.Record{Topic: topic, Partition: p, Value: fmt.Appendf(nil, "v%d", i)})
		}
	}
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

func commit(t testing.TB, adm *kadm.Client, group string, offs map[string]map[int32]int64) {
	t.Helper()
	var o kadm.Offsets
	for tp, ps := range offs {
		for p, at := range ps {
			o.Add(kadm.Offset{Topic: tp, Partition: p, At: at, LeaderEpoch: -1})
		}
	}
	if err := adm.CommitAllOffsets(ctxT(t), group, o); err != nil {
		t.Fatalf("commit for %s: %v", group, err)
	}
}

func committed(t testing.TB, adm *kadm.Client, group string) map[string]map[int32]int64 {
	t.Helper()
	out := map[string]map[int32]int64{}
	r, err := adm.FetchOffsets(ctxT(t), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	r.Each(func(o kadm.OffsetResponse) {
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out
}

// member joins group on topics (classic, range) and polls until it has an
// assignment; it is closed at cleanup.
func member(t testing.TB, c *devcluster.Cluster, group, clientID string, kip848 bool, topics ...string) *kgo.Client {
	t.Helper()
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers()...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit(), kgo.ClientID(clientID),
		kgo.Balancers(kgo.RangeBalancer()), kgo.FetchMaxWait(100 * time.Millisecond)}
	if kip848 {
		opts = append(opts, kgo.ServerSideBalancer())
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx := ctxT(t)
	for ctx.Err() == nil {
		fs := cl.PollRecords(ctx, 1)
		if fs.NumRecords() > 0 {
			break
		}
	}
	return cl
}

func TestListDescribe(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	devclustertest.CreateTopic(t, adm, "next", 2, nil)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "orders", 3, 5)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "next", 2, 5)
	commit(t, adm, "idle", map[string]map[int32]int64{"orders": {0: 1}})
	member(t, c, "live", "billing", false, "orders")
	member(t, c, "g848", "nextgen", true, "next")

	cl := devclustertest.Client(t, c)
	v, err := groups.List(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]groups.Summary{}
	for _, g := range v.Groups {
		got[g.Group] = g
	}
	if g := got["idle"]; g.State != "Empty" || g.Members != 0 || !slices.Equal(g.Topics, []string{"orders"}) || g.Type != "classic" {
		t.Errorf("idle = %+v, want Empty, 0 members, topics [orders]", g)
	}
	if g := got["live"]; g.State != "Stable" || g.Members != 1 || g.Protocol != "range" || !slices.Equal(g.Topics, []string{"orders"}) {
		t.Errorf("live = %+v, want Stable, 1 member, range, topics [orders]", g)
	}
	if g := got["g848"]; g.Type != "consumer" || g.Members != 1 || !slices.Equal(g.Topics, []string{"next"}) {
		t.Errorf("g848 = %+v, want a KIP-848 consumer group with 1 member on next", g)
	}

	for _, tc := range []struct{ group, client, topic string }{{"live", "billing", "orders"}, {"g848", "nextgen", "next"}} {
		d, err := groups.Describe(ctxT(t), cl, tc.group)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Members) != 1 {
			t.Fatalf("%s: members %+v, want 1", tc.group, d.Members)
		}
		m := d.Members[0]
		wantParts := []int32{0, 1, 2}
		if tc.topic == "next" {
			wantParts = []int32{0, 1}
		}
		if m.ClientID != tc.client || m.MemberID == "" || m.Host == "" || len(m.Assignment) != 1 ||
			m.Assignment[0].Topic != tc.topic || !slices.Equal(m.Assignment[0].Partitions, wantParts) {
			t.Errorf("%s member = %+v, want client %s assigned %s%v", tc.group, m, tc.client, tc.topic, wantParts)
		}
	}
	if _, err := groups.Describe(ctxT(t), cl, "nope"); err == nil || !strings.Contains(err.Error(), `"nope" not found`) {
		t.Errorf("describe nope = %v, want not found", err)
	}
}

func TestDelete(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "orders", 3, 2)
	commit(t, adm, "old", map[string]map[int32]int64{"orders": {0: 1}})
	member(t, c, "live", "billing", false, "orders")

	r, err := groups.Delete(ctxT(t), devclustertest.Client(t, c), []string{"old", "live", "missing"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Groups) != 3 || r.Failed() != 2 || r.Deleted != 1 || r.NotDeleted != 2 {
		t.Fatalf("result %+v, want 3 outcomes, 2 failed", r)
	}
	if o := r.Groups[0]; o.Group != "old" || o.Status != "deleted" {
		t.Errorf("old: %+v, want deleted", o)
	}
	if o := r.Groups[1]; o.Status != "refused" || len(o.Members) != 1 || !strings.Contains(o.Error, "billing@") {
		t.Errorf("live: %+v, want refused naming the member", o)
	}
	if o := r.Groups[2]; o.Status != "not-found" {
		t.Errorf("missing: %+v, want not-found", o)
	}
	if got := committed(t, adm, "old"); len(got) != 0 {
		t.Errorf("old still has offsets %v", got)
	}
	ls, _ := adm.ListGroups(ctxT(t))
	if !slices.Contains(ls.Groups(), "live") || slices.Contains(ls.Groups(), "old") {
		t.Errorf("groups after delete: %v, want live kept and old gone", ls.Groups())
	}
}

// A kctl dlt replay progress group (the default name, a kctl-dlt-replay*
// name, or any group whose commits carry the replay marker) is deleted only
// with force: without it the next replay republishes everything.
func TestDeleteRefusesReplayProgress(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders.dlt", 1, nil)
	produce(t, devclustertest.Client(t, c), "orders.dlt", 1, 3)
	progress := dlt.Progress{Next: 1, Done: map[int64]bool{2: true}}.Metadata()
	var o kadm.Offsets
	o.Add(kadm.Offset{Topic: "orders.dlt", Partition: 0, At: 1, LeaderEpoch: -1, Metadata: progress})
	for _, g := range []string{dlt.DefaultReplayGroup, "kctl-dlt-replay-orders", "my-replay", "plain"} {
		md := o
		if g == "plain" {
			md = kadm.Offsets{}
			md.Add(kadm.Offset{Topic: "orders.dlt", Partition: 0, At: 1, LeaderEpoch: -1, Metadata: "x"})
		}
		if err := adm.CommitAllOffsets(ctxT(t), g, md); err != nil {
			t.Fatal(err)
		}
	}
	cl := devclustertest.Client(t, c)
	names := []string{dlt.DefaultReplayGroup, "kctl-dlt-replay-orders", "my-replay", "plain"}
	r, err := groups.Delete(ctxT(t), cl, names, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Deleted != 1 || r.NotDeleted != 3 {
		t.Fatalf("without force: %+v, want only plain deleted", r)
	}
	for _, o := range r.Groups[:3] {
		if o.Status != "refused" || !strings.Contains(o.Error, "republishes every dead letter") || !strings.Contains(o.Error, "--force") {
			t.Errorf("%s: %+v, want refused naming the consequence and --force", o.Group, o)
		}
		if got := committed(t, adm, o.Group); got["orders.dlt"][0] != 1 {
			t.Errorf("%s: committed %v after a refused delete", o.Group, got)
		}
	}
	r, err = groups.Delete(ctxT(t), cl, names[:3], true)
	if err != nil || r.Deleted != 3 {
		t.Fatalf("with force: %+v, %v; want 3 deleted", r, err)
	}
	if !strings.HasPrefix(dlt.DefaultReplayGroup, groups.DLTReplayGroup) || !strings.HasPrefix(progress, groups.DLTReplayMarker) {
		t.Errorf("services/dlt's group %q or progress %q no longer match groups' %q, %q", dlt.DefaultReplayGroup, progress, groups.DLTReplayGroup, groups.DLTReplayMarker)
	}
}

func reset(t testing.TB, cl *kgo.Client, req groups.ResetRequest) *groups.Plan {
	t.Helper()
	obs, err := groups.Observe(ctxT(t), cl, req)
	if err != nil {
		t.Fatalf("observe: %v", err)
	}
	return groups.BuildPlan(req, obs)
}

func TestResetExecute(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 3, nil)
	devclustertest.CreateTopic(t, adm, "other", 1, nil)
	prod := devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produce(t, prod, "orders", 3, 10)
	produce(t, prod, "other", 1, 4)
	commit(t, adm, "g", map[string]map[int32]int64{"orders": {0: 8, 1: 9}, "other": {0: 4}})
	cl := devclustertest.Client(t, c)

	// --all-topics: orders (2 committed, 1 not) and other.
	req := groups.ResetRequest{Group: "g", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ShiftBy, Offset: -3}}
	p := reset(t, cl, req)
	if len(p.Partitions) != 4 || p.Summary.Reset != 3 || p.Summary.Excluded != 1 {
		t.Fatalf("plan %+v, want 4 partitions: 3 reset, 1 excluded", p.Summary)
	}
	// A dry run commits nothing.
	if got := committed(t, adm, "g"); got["orders"][0] != 8 {
		t.Fatalf("after planning, committed %v", got)
	}
	res, err := groups.Execute(ctxT(t), cl, p)
	if err != nil || res.Committed != 3 || res.Failed != 0 {
		t.Fatalf("execute = %+v, %v; want 3 committed", res, err)
	}
	got := committed(t, adm, "g")
	if got["orders"][0] != 5 || got["orders"][1] != 6 || got["other"][0] != 1 {
		t.Fatalf("committed %v, want orders 0→5 1→6, other 0→1", got)
	}
	if _, ok := got["orders"][2]; ok {
		t.Fatalf("orders/2 was committed by --all-topics (the group has no offset there)")
	}

	// A named topic positions every partition named, as
	// kafka-consumer-groups.sh does: orders/2 too, never committed before.
	req = groups.ResetRequest{Group: "g", Topics: []groups.Selection{{Topic: "orders"}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}}
	p = reset(t, cl, req)
	if p.Summary.Reset != 3 || !p.Partitions[2].Included {
		t.Fatalf("--topic orders: %+v, want all 3 partitions reset", p.Summary)
	}
	if _, err := groups.Execute(ctxT(t), cl, p); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, adm, "g"); len(got["orders"]) != 3 || got["orders"][0] != 0 || got["orders"][1] != 0 || got["orders"][2] != 0 {
		t.Fatalf("after --topic orders --to-earliest, committed %v; want every partition at 0", got)
	}

	// A group that does not exist is refused, naming the closest group;
	// --create-group creates it on purpose.
	_, err = groups.Observe(ctxT(t), cl, groups.ResetRequest{Group: "gg", Topics: []groups.Selection{{Topic: "orders"}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	var nf *errs.GroupNotFound
	if !errors.As(err, &nf) || nf.Suggestions["gg"] != "g" || !strings.Contains(err.Error(), `(did you mean "g"?)`) || !strings.Contains(err.Error(), "--create-group") {
		t.Fatalf("unknown group: %v, want a *errs.GroupNotFound suggesting g and --create-group", err)
	}
	if got := committed(t, adm, "gg"); len(got) != 0 {
		t.Fatalf("refused reset created group gg: %v", got)
	}
	req = groups.ResetRequest{Group: "fresh", Topics: []groups.Selection{{Topic: "orders", Partitions: []int32{2}}}, CreateGroup: true, Strategy: groups.Strategy{Kind: groups.ToLatest}}
	p = reset(t, cl, req)
	if p.Exists || len(p.Partitions) != 1 || !p.Partitions[0].Included {
		t.Fatalf("plan for a new group: %+v", p)
	}
	if _, err := groups.Execute(ctxT(t), cl, p); err != nil {
		t.Fatal(err)
	}
	if got := committed(t, adm, "fresh"); got["orders"][2] != 10 || len(got["orders"]) != 1 {
		t.Fatalf("fresh committed %v, want orders/2 at 10 only", got)
	}

	// A partition or a --topic that does not exist is an error naming it
	// (consume's wording), as in every other command.
	_, err = groups.Observe(ctxT(t), cl, groups.ResetRequest{Group: "g", Topics: []groups.Selection{{Topic: "orders", Partitions: []int32{7}}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	var pr *errs.PartitionOutOfRange
	if !errors.As(err, &pr) || err.Error() != `partition 7 is out of range: topic "orders" has 3 partitions (0-2)` {
		t.Errorf("partition 7: %v, want a *errs.PartitionOutOfRange in consume's wording", err)
	}
	_, err = groups.Observe(ctxT(t), cl, groups.ResetRequest{Group: "g", Topics: []groups.Selection{{Topic: "orders", Partitions: []int32{9, 1, 7}}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	if !errors.As(err, &pr) || err.Error() != `partitions 7, 9 are out of range: topic "orders" has 3 partitions (0-2)` {
		t.Errorf("partitions 9, 1, 7: %v, want one *errs.PartitionOutOfRange naming 7 and 9", err)
	}
	_, err = groups.Observe(ctxT(t), cl, groups.ResetRequest{Group: "g", Topics: []groups.Selection{{Topic: "orders"}, {Topic: "ghost"}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	var tn *errs.TopicNotFound
	if !errors.As(err, &tn) || !slices.Equal(tn.Topics, []string{"ghost"}) || !strings.Contains(err.Error(), `topic "ghost" not found`) {
		t.Errorf("ghost topic: %v, want a *errs.TopicNotFound naming ghost", err)
	}
	_, err = groups.Observe(ctxT(t), cl, groups.ResetRequest{Group: "g", Topics: []groups.Selection{{Topic: "order"}}, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	if got := fmt.Sprint(err); got != `topic "order" not found (did you mean "orders"?): 'kctl describe topics' lists the topics; nothing was reset` {
		t.Errorf("mistyped topic: %s", got)
	}
	if got := committed(t, adm, "g"); got["orders"][0] != 0 || len(got["orders"]) != 3 {
		t.Errorf("after the refused reset, committed %v: changed", got)
	}
}

// --to-datetime resolves with ListOffsets by time: the first record at or
// after the time.
func TestResetToDatetime(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "ts", 1, nil)
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	var recs []*kgo.Record
	for i := range 10 {
		recs = append(recs, &kgo.Record{Topic: "ts", Value: []byte("x"), Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	if err := devclustertest.Client(t, c).ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	commit(t, adm, "g", map[string]map[int32]int64{"ts": {0: 10}})
	cl := devclustertest.Client(t, c)
	p := reset(t, cl, groups.ResetRequest{Group: "g", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ToDatetime, Time: base.Add(4*time.Minute + time.Second)}})
	if pp := p.Partitions[0]; pp.New == nil || *pp.New != 5 || *pp.LagAfter != 5 {
		t.Fatalf("to-datetime: %+v, want new 5 (first record at or after minute 4+1s)", pp)
	}
	p = reset(t, cl, groups.ResetRequest{Group: "g", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ToDatetime, Time: time.Now().Add(time.Hour)}})
	if pp := p.Partitions[0]; pp.New == nil || *pp.New != 10 || !strings.Contains(pp.Note, "no record at or after") {
		t.Fatalf("to-datetime in the future: %+v, want the end with a note", pp)
	}
}

// A group with live members: the plan names them and Execute refuses
// without sending anything.
func TestResetRefusedWithMembers(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "orders", 2, nil)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "orders", 2, 3)
	commit(t, adm, "live", map[string]map[int32]int64{"orders": {0: 1, 1: 1}})
	member(t, c, "live", "billing", false, "orders")
	cl := devclustertest.Client(t, c)
	var mu sync.Mutex
	n := 0
	c.ControlKey(int16(kmsg.OffsetCommit), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		n++
		mu.Unlock()
		return nil, nil, false
	})
	p := reset(t, cl, groups.ResetRequest{Group: "live", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ToEarliest}})
	if len(p.Members) != 1 || !strings.Contains(p.Members[0], "billing@") || p.Executable() {
		t.Fatalf("plan members %v executable %v, want the member named, not executable", p.Members, p.Executable())
	}
	_, err := groups.Execute(ctxT(t), cl, p)
	var lme *groups.LiveMembersError
	if err == nil || !strings.Contains(err.Error(), "billing@") || !asLive(err, &lme) {
		t.Fatalf("execute = %v, want a LiveMembersError naming billing", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != 0 {
		t.Fatalf("%d OffsetCommit requests sent for a refused reset", n)
	}
}

func asLive(err error, target **groups.LiveMembersError) bool {
	e, ok := err.(*groups.LiveMembersError)
	*target = e
	return ok
}

// A reset of a group on 1,000 partitions sends one ListOffsets round (log
// start and end: one request each per partition leader) and one
// OffsetCommit, counted with kfake's Control hook.
func TestResetRequestCount(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	const parts = 1000
	devclustertest.CreateTopic(t, adm, "big", parts, nil)
	offs := map[string]map[int32]int64{"big": {}}
	for p := range int32(parts) {
		offs["big"][p] = 0
	}
	commit(t, adm, "g", offs)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "big", parts, 2)

	cl := devclustertest.Client(t, c)
	if err := cl.Ping(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	count := map[int16]int{}
	perBroker := map[int32]int{}
	c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mu.Lock()
		count[req.Key()]++
		if req.Key() == int16(kmsg.ListOffsets) {
			perBroker[c.CurrentNode()]++
		}
		mu.Unlock()
		return nil, nil, false
	})
	req := groups.ResetRequest{Group: "g", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ToLatest}}
	p := reset(t, cl, req)
	if p.Summary.Reset != parts {
		t.Fatalf("plan resets %d partitions, want %d", p.Summary.Reset, parts)
	}
	res, err := groups.Execute(ctxT(t), cl, p)
	if err != nil || res.Committed != parts {
		t.Fatalf("execute: %+v %v", res, err)
	}
	mu.Lock()
	c.Control(func(kmsg.Request) (kmsg.Response, error, bool) { c.DropControl(); return nil, nil, false })
	if count[int16(kmsg.OffsetCommit)] != 1 {
		t.Errorf("%d OffsetCommit requests, want 1", count[int16(kmsg.OffsetCommit)])
	}
	if len(perBroker) != 3 {
		t.Errorf("ListOffsets went to brokers %v, want all 3 leaders", perBroker)
	}
	for b, n := range perBroker {
		if n != 2 { // log start and end
			t.Errorf("broker %d got %d ListOffsets requests, want 2 (log start, end)", b, n)
		}
	}
	t.Logf("requests: %v", count)
	mu.Unlock()
	got := committed(t, adm, "g")
	for p := range int32(parts) {
		if got["big"][p] != 2 {
			t.Fatalf("big/%d committed at %d, want 2", p, got["big"][p])
		}
	}
}

// A KIP-848 consumer group is reset like a classic one once its members
// have left: refused while one is live, committed after.
func TestResetConsumerProtocolGroup(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "next", 2, nil)
	produce(t, devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner())), "next", 2, 5)
	m := member(t, c, "g848", "nextgen", true, "next")
	if err := m.CommitUncommittedOffsets(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	cl := devclustertest.Client(t, c)
	req := groups.ResetRequest{Group: "g848", AllTopics: true, Strategy: groups.Strategy{Kind: groups.ToEarliest}}
	p := reset(t, cl, req)
	if len(p.Members) != 1 || p.Executable() {
		t.Fatalf("live KIP-848 group: members %v, executable %v", p.Members, p.Executable())
	}
	m.Close()
	ctx := ctxT(t)
	for ctx.Err() == nil {
		if p = reset(t, cl, req); len(p.Members) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p.Summary.Reset == 0 {
		t.Fatalf("plan after the member left: %+v", p.Summary)
	}
	res, err := groups.Execute(ctxT(t), cl, p)
	if err != nil || res.Failed != 0 || res.Committed != p.Summary.Reset {
		t.Fatalf("execute on an empty KIP-848 group: %+v %v", res, err)
	}
	for part, at := range committed(t, adm, "g848")["next"] {
		if at != 0 {
			t.Errorf("next/%d committed at %d, want 0", part, at)
		}
	}
}
