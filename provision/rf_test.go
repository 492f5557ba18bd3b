package provision

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// reassignRecorder records every AlterPartitionAssignments kfake handles
// (kfake answers it; it moves nothing).
type reassignRecorder struct {
	mu   sync.Mutex
	reqs []*kmsg.AlterPartitionAssignmentsRequest
}

func recordReassignments(c *devcluster.Cluster) *reassignRecorder {
	r := &reassignRecorder{}
	c.ControlKey(int16(kmsg.AlterPartitionAssignments), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.(*kmsg.AlterPartitionAssignmentsRequest))
		r.mu.Unlock()
		return nil, nil, false
	})
	return r
}

// sent returns "topic/partition→[replicas]" of every partition sent.
func (r *reassignRecorder) sent() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, req := range r.reqs {
		for _, t := range req.Topics {
			for _, p := range t.Partitions {
				out = append(out, t.Topic+"/"+string(rune('0'+p.Partition))+"→"+ReplicaList(p.Replicas))
			}
		}
	}
	return out
}

func createRF(t *testing.T, c *devcluster.Cluster, topic string, partitions int32, rf int16) {
	t.Helper()
	adm := kadm.NewClient(client(t, c))
	resp, err := adm.CreateTopic(ctx(t), partitions, rf, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestApplyReplicationFactor: RF 1 → 3 plans one new replica list per
// partition (the current leader first, the new replicas spread over the
// other brokers) and apply sends exactly those lists in one
// AlterPartitionAssignments. kfake accepts the request but moves nothing:
// its metadata still shows one replica per partition afterwards.
func TestApplyReplicationFactor(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRF(t, c, "orders", 3, 1)
	rec := recordReassignments(c)
	f := parse(t, "topics:\n  - {name: orders, partitions: 3, replicationFactor: 3}\n")
	p := planFor(t, cl, f, Options{})
	if p.IsRefused() || p.Summary.Update != 1 || len(p.Changes) != 1 {
		t.Fatalf("plan: %+v", p.Changes)
	}
	ch := p.Changes[0]
	if ch.ReplicationFactor == nil || *ch.ReplicationFactor != (Count{1, 3}) || len(ch.Reassignments) != 3 {
		t.Fatalf("change: %+v", ch)
	}
	var want []string
	for _, m := range ch.Reassignments {
		if len(m.From) != 1 || len(m.To) != 3 || m.To[0] != m.From[0] {
			t.Fatalf("move %+v: want the current replica first and 3 replicas", m)
		}
		want = append(want, m.Topic+"/"+string(rune('0'+m.Partition))+"→"+ReplicaList(m.To))
	}
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Reassigning != 3 || res.Requests["AlterPartitionAssignments"] != 1 || !res.Items[0].OK {
		t.Fatalf("result %+v", res)
	}
	if got := rec.sent(); !slices.Equal(got, want) {
		t.Fatalf("sent %v, planned %v", got, want)
	}
	var b strings.Builder
	if err := res.WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Reassignment started for 3 partitions") {
		t.Fatalf("text:\n%s", b.String())
	}
	// The limit of the fake: nothing moved, so the next plan is the same.
	again := planFor(t, cl, f, Options{})
	if len(again.Changes) != 1 || again.Changes[0].ReplicationFactor.From != 1 {
		t.Fatalf("kfake now reports %+v", again.Changes)
	}

	// A dry run sends no reassignment and says it was not checked.
	rec.reqs = nil
	res, err = Apply(ctx(t), cl, gated(p), ApplyOptions{DryRun: true})
	if err != nil || res.Items[0].Skipped == "" || len(rec.sent()) != 0 {
		t.Fatalf("dry run: %+v %v, sent %v", res, err, rec.sent())
	}
}

// TestApplyReplicationFactorPartitionError: a partition the broker refuses
// fails its topic with the partition and the error; the others are sent.
func TestApplyReplicationFactorPartitionError(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRF(t, c, "orders", 2, 1)
	c.ControlKey(int16(kmsg.AlterPartitionAssignments), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.AlterPartitionAssignmentsRequest)
		resp := r.ResponseKind().(*kmsg.AlterPartitionAssignmentsResponse)
		for _, t := range r.Topics {
			rt := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
				rp.Partition = p.Partition
				if p.Partition == 1 {
					rp.ErrorCode = kerr.ReassignmentInProgress.Code
				}
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	p := planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 2, replicationFactor: 2}\n"), Options{})
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	var ae *ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || !strings.Contains(ae.Failed[0].Error, "reassign: partition 1: REASSIGNMENT_IN_PROGRESS") {
		t.Fatalf("err %v", err)
	}
	if res.Reassigning != 1 {
		t.Fatalf("reassigning %d, want 1", res.Reassigning)
	}
}

// TestPlanReplicationFactorTooHigh: RF above the brokers is refused and
// nothing is sent.
func TestPlanReplicationFactorTooHigh(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRF(t, c, "orders", 1, 1)
	p := planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 1, replicationFactor: 4}\n"), Options{})
	if !p.IsRefused() || !strings.Contains(strings.Join(p.Changes[0].Reasons, ";"), "replicationFactor 4 is more than the cluster's 3 brokers") {
		t.Fatalf("plan %+v", p.Changes)
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); !errors.Is(err, ErrRefused) {
		t.Fatalf("apply: %v", err)
	}
}

// injectReassignments answers every ListPartitionReassignments with the
// partitions of topic in moving, each with its current replicas and the
// last one being removed (a move [a,b] → [a,c] reports replicas [a,b,c]
// and removing [b]; here the "c" is already in the metadata's list).
// Storing an error code in the returned value fails the listing instead.
func injectReassignments(c *devcluster.Cluster, topic string, moving map[int32][]int32) *atomic.Int32 {
	var errCode atomic.Int32
	c.ControlKey(int16(kmsg.ListPartitionReassignments), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		resp := req.(*kmsg.ListPartitionReassignmentsRequest).ResponseKind().(*kmsg.ListPartitionReassignmentsResponse)
		if code := errCode.Load(); code != 0 {
			resp.ErrorCode = int16(code)
			return resp, nil, true
		}
		rt := kmsg.NewListPartitionReassignmentsResponseTopic()
		rt.Topic = topic
		for p, replicas := range moving {
			rp := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
			rp.Partition = p
			rp.Replicas = replicas
			rp.RemovingReplicas = replicas[len(replicas)-1:]
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
		return resp, nil, true
	})
	return &errCode
}

// TestPlanReplicationFactorDuringReassignment: while partitions move, the
// metadata lists old and new replicas together; the replication factor is
// the target's (no false "3 → 2"), and a change of it is refused rather
// than sent over the move in flight. A cluster that cannot list
// reassignments still gets a plan, with a note.
func TestPlanReplicationFactorDuringReassignment(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRF(t, c, "orders", 3, 3)
	st, err := Observe(ctx(t), cl, parse(t, "topics: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	moving := map[int32][]int32{}
	for _, p := range st.Topics["orders"].Assignment {
		moving[p.Partition] = p.Replicas
	}
	errCode := injectReassignments(c, "orders", moving)

	p := planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 3, replicationFactor: 2}\n"), Options{})
	if len(p.Changes) != 0 {
		t.Fatalf("a topic moving to 2 replicas per partition planned %+v", p.Changes)
	}

	rec := recordReassignments(c)
	p = planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 3, replicationFactor: 3}\n"), Options{})
	if !p.IsRefused() || len(p.Changes) != 1 || p.Changes[0].ReplicationFactor == nil || *p.Changes[0].ReplicationFactor != (Count{2, 3}) {
		t.Fatalf("plan %+v", p.Changes)
	}
	reasons := strings.Join(p.Changes[0].Reasons, ";")
	if !strings.Contains(reasons, "a reassignment is in progress for 3 partitions of this topic (orders/0, orders/1, orders/2)") || !strings.Contains(reasons, "kctl reassignments") {
		t.Fatalf("reasons %q", reasons)
	}
	if _, err := Apply(ctx(t), cl, gated(p), ApplyOptions{}); !errors.Is(err, ErrRefused) || len(rec.sent()) != 0 {
		t.Fatalf("apply: %v, sent %v", err, rec.sent())
	}

	errCode.Store(int32(kerr.ClusterAuthorizationFailed.Code))
	p = planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 3, replicationFactor: 2}\n"), Options{})
	if p.IsRefused() || len(p.Changes) != 1 || *p.Changes[0].ReplicationFactor != (Count{3, 2}) {
		t.Fatalf("plan %+v", p.Changes)
	}
	if notes := strings.Join(p.Notes, ";"); !strings.Contains(notes, "the reassignments in progress could not be listed (list partition reassignments: CLUSTER_AUTHORIZATION_FAILED") {
		t.Fatalf("notes %q", notes)
	}
}

// TestDryRunReplicationFactorWithConfigs: a dry run of an update that
// changes configs and the replication factor checks the configs and says
// the reassignment was not checked (it does when the RF change is alone).
func TestDryRunReplicationFactorWithConfigs(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	createRF(t, c, "orders", 3, 1)
	rec := recordReassignments(c)
	p := planFor(t, cl, parse(t, "topics:\n  - {name: orders, partitions: 3, replicationFactor: 3, config: {retention.ms: 30d}}\n"), Options{})
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{DryRun: true})
	if err != nil || len(res.Items) != 1 || !res.Items[0].OK || res.Items[0].Skipped != "" || len(rec.sent()) != 0 {
		t.Fatalf("dry run: %+v %v, sent %v", res, err, rec.sent())
	}
	var b strings.Builder
	if err := res.WriteText(&b, Plain{}); err != nil {
		t.Fatal(err)
	}
	want := "  ✓ update orders: accepted (validate-only); the replicationFactor 1 → 3 was not checked: Kafka has no validate-only partition reassignment\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Fatalf("text:\n%s\nwant it to start with:\n%s", b.String(), want)
	}
}
