package provision

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kctl/kctl/provision/reassign"
	"github.com/kctl/kctl/topology"
)

func mustParse(t *testing.T, src string) *topology.File {
	t.Helper()
	f, diags := topology.Parse("topics.yaml", []byte(src))
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return f
}

// topic builds a TopicState; configs are "name=value@source" with an
// optional "~default" suffix for the synonym default.
func topic(name string, parts int32, rf int16, configs ...string) *TopicState {
	ts := &TopicState{Name: name, Partitions: parts, ReplicationFactor: rf, Configs: map[string]Config{}}
	for _, c := range configs {
		kv, src, _ := strings.Cut(c, "@")
		src, def, hasDef := strings.Cut(src, "~")
		k, v, _ := strings.Cut(kv, "=")
		cfg := Config{Value: new(v), Source: src}
		if hasDef {
			cfg.Default = new(def)
		}
		ts.Configs[k] = cfg
	}
	return ts
}

// kfakeDefaults are the defaults the embedded cluster describes.
var kfakeDefaults = []string{
	"cleanup.policy=delete@default", "compression.type=producer@default", "retention.ms=604800000@default",
	"retention.bytes=-1@default", "min.insync.replicas=1@default", "segment.bytes=104857600@default",
	"max.message.bytes=1048588@default", "message.timestamp.type=CreateTime@default",
}

func withDefaults(extra ...string) []string {
	out := append([]string(nil), extra...)
	have := map[string]bool{}
	for _, e := range extra {
		k, _, _ := strings.Cut(e, "=")
		have[k] = true
	}
	for _, d := range kfakeDefaults {
		k, _, _ := strings.Cut(d, "=")
		if !have[k] {
			out = append(out, d)
		}
	}
	return out
}

func state(id string, brokers int, topics ...*TopicState) *State {
	st := &State{ClusterID: id, Brokers: brokers, Topics: map[string]*TopicState{}}
	for b := 1; b <= brokers; b++ {
		st.BrokerRacks = append(st.BrokerRacks, reassign.Broker{ID: int32(b)})
	}
	for _, t := range topics {
		st.Topics[t.Name] = t
		if t.Assignment != nil || brokers == 0 {
			continue
		}
		// Round robin: partition p on brokers p+1, p+2, … (mod brokers).
		for p := int32(0); p < t.Partitions; p++ {
			var rs []int32
			for k := int32(0); k < int32(t.ReplicationFactor); k++ {
				rs = append(rs, 1+(p+k)%int32(brokers))
			}
			t.Assignment = append(t.Assignment, reassign.Partition{Topic: t.Name, Partition: p, Replicas: rs, Leader: rs[0]})
		}
	}
	return st
}

// describe renders a plan's changes as one canonical line each.
func describe(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		s := string(c.Action) + " " + c.Topic
		if c.Partitions != nil {
			s += fmt.Sprintf(" partitions %d→%d", c.Partitions.From, c.Partitions.To)
		}
		if c.ReplicationFactor != nil {
			s += fmt.Sprintf(" rf %d→%d", c.ReplicationFactor.From, c.ReplicationFactor.To)
		}
		for _, cc := range c.Configs {
			s += fmt.Sprintf(" %s:%s:%s(%s)→%s", cc.Op, cc.Name, deref(cc.Old), cc.OldSource, deref(cc.New))
		}
		for _, m := range c.Reassignments {
			s += fmt.Sprintf(" %d:%v→%v", m.Partition, m.From, m.To)
		}
		out = append(out, s)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return "nil"
	}
	return *s
}

const head = "managedPrefixes: [user.]\ntopics:\n"

func TestDiff(t *testing.T) {
	cases := []struct {
		name      string
		file      string
		state     *State
		opts      Options
		want      []string
		reasons   []string // substrings, in order, of the refused changes' reasons
		unmanaged []string
		notes     []string
		summary   Summary
	}{
		{
			name:    "create with configs, normalised units",
			file:    head + "  - {name: user.a, partitions: 3, replicationFactor: 3, config: {retention.ms: 7d, retention.bytes: 1GiB, min.insync.replicas: 2}}\n",
			state:   state("c1", 3),
			want:    []string{"create user.a partitions 0→3 rf 0→3 set:min.insync.replicas:nil()→2 set:retention.bytes:nil()→1073741824 set:retention.ms:nil()→604800000"},
			summary: Summary{Create: 1},
		},
		{
			name:  "matching topic: nothing to do",
			file:  head + "  - {name: user.a, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2, retention.ms: 1d}}\n",
			state: state("c1", 3, topic("user.a", 3, 3, withDefaults("min.insync.replicas=2@topic~1", "retention.ms=86400000@topic~604800000")...)),
			want:  nil,
		},
		{
			name:  "value equal to the broker default is no drift",
			file:  head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {retention.ms: 7d, cleanup.policy: delete, max.message.bytes: 1048588}}\n",
			state: state("c1", 3, topic("user.a", 1, 3, withDefaults()...)),
			want:  nil,
		},
		{
			name:  "units and list order are normalised before comparing",
			file:  head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {retention.bytes: 1GiB, segment.ms: 1h, cleanup.policy: [delete, compact]}}\n",
			state: state("c1", 3, topic("user.a", 1, 3, withDefaults("retention.bytes=1073741824@topic~-1", "segment.ms=3600000@topic~604800000", "cleanup.policy=compact,delete@topic~delete")...)),
			want:  nil,
		},
		{
			name:    "value differing from the default is set; old shows its source",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {retention.ms: 1d}}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults()...)),
			want:    []string{"update user.a set:retention.ms:604800000(default)→86400000"},
			summary: Summary{Update: 1, Risky: 1}, // 7d → 1d lowers retention
		},
		{
			name:    "topic-level value changed",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {retention.ms: 2d, min.insync.replicas: 2}}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults("retention.ms=86400000@topic~604800000", "min.insync.replicas=2@topic~1")...)),
			want:    []string{"update user.a set:retention.ms:86400000(topic)→172800000"},
			summary: Summary{Update: 1},
		},
		{
			name:    "explicit value equal to the default replaces a different topic-level value",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {retention.ms: 7d}}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults("retention.ms=86400000@topic~604800000")...)),
			want:    []string{"update user.a set:retention.ms:86400000(topic)→604800000"},
			summary: Summary{Update: 1},
		},
		{
			name:    "a config the broker does not describe is set",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3, config: {unclean.leader.election.enable: false}}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults()...)),
			want:    []string{"update user.a set:unclean.leader.election.enable:nil()→false"},
			summary: Summary{Update: 1},
		},
		{
			name:    "defaults merged: the topic's own value wins",
			file:    "defaults: {replicationFactor: 3, config: {min.insync.replicas: 2, retention.ms: 1d}}\ntopics:\n  - {name: user.a, partitions: 1, config: {retention.ms: 2d}}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults("min.insync.replicas=2@topic~1", "retention.ms=86400000@topic~604800000")...)),
			want:    []string{"update user.a set:retention.ms:86400000(topic)→172800000"},
			summary: Summary{Update: 1},
		},
		{
			name:    "partition increase",
			file:    head + "  - {name: user.a, partitions: 6, replicationFactor: 3}\n",
			state:   state("c1", 3, topic("user.a", 3, 3, withDefaults()...)),
			want:    []string{"update user.a partitions 3→6"},
			summary: Summary{Update: 1},
		},
		{
			name:    "partition decrease is refused, with the rest of the topic's changes",
			file:    head + "  - {name: user.a, partitions: 3, replicationFactor: 3, config: {retention.ms: 1d}}\n",
			state:   state("c1", 3, topic("user.a", 6, 3, withDefaults()...)),
			want:    []string{"refused user.a partitions 6→3 set:retention.ms:604800000(default)→86400000"},
			reasons: []string{"partitions 6 → 3: Kafka cannot remove partitions; keep partitions: 6"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "replication-factor change is an update with new replica lists",
			file:    head + "  - {name: user.a, partitions: 3, replicationFactor: 3}\n",
			state:   state("c1", 3, topic("user.a", 3, 1, withDefaults()...)),
			want:    []string{"update user.a rf 1→3 0:[1]→[1 2 3] 1:[2]→[2 1 3] 2:[3]→[3 1 2]"},
			summary: Summary{Update: 1},
		},
		{
			name:    "replication-factor above the brokers is refused",
			file:    head + "  - {name: user.a, partitions: 3, replicationFactor: 4}\n",
			state:   state("c1", 3, topic("user.a", 3, 1, withDefaults()...)),
			want:    []string{"refused user.a rf 1→4"},
			reasons: []string{"replicationFactor 4 is more than the cluster's 3 brokers"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "replication-factor and partitions together are refused",
			file:    head + "  - {name: user.a, partitions: 4, replicationFactor: 2}\n",
			state:   state("c1", 3, topic("user.a", 3, 1, withDefaults()...)),
			want:    []string{"refused user.a partitions 3→4 rf 1→2"},
			reasons: []string{"partitions 3 → 4 and replicationFactor 1 → 2 in one apply"},
			summary: Summary{Refused: 1},
		},
		{
			name:      "unmanaged dynamic config is reported, not removed",
			file:      head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:     state("c1", 3, topic("user.a", 1, 3, withDefaults("segment.ms=1000@topic~604800000", "retention.ms=604800000@topic~604800000")...)),
			want:      nil,
			unmanaged: []string{"user.a segment.ms=1000"},
		},
		{
			name:    "--prune-configs removes unmanaged dynamic configs",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("c1", 3, topic("user.a", 1, 3, withDefaults("segment.ms=1000@topic~604800000", "flush.ms=5@topic")...)),
			opts:    Options{PruneConfigs: true},
			want:    []string{"update user.a delete:flush.ms:5(topic)→nil delete:segment.ms:1000(topic)→604800000"},
			summary: Summary{Update: 1},
		},
		{
			name:      "--prune-configs leaves a reassignment's throttled replicas alone (kctl rebalance removes them when the moves end)",
			file:      head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:     state("c1", 3, topic("user.a", 1, 3, withDefaults("leader.replication.throttled.replicas=0:1@topic", "follower.replication.throttled.replicas=0:2@topic", "flush.ms=5@topic")...)),
			opts:      Options{PruneConfigs: true},
			want:      []string{"update user.a delete:flush.ms:5(topic)→nil"},
			unmanaged: []string{"user.a follower.replication.throttled.replicas=0:2", "user.a leader.replication.throttled.replicas=0:1"},
			summary:   Summary{Update: 1},
		},
		{
			name:    "unreadable configs refuse the topic",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("c1", 3, &TopicState{Name: "user.a", Partitions: 1, ReplicationFactor: 3, ConfigErr: "TOPIC_AUTHORIZATION_FAILED"}),
			want:    []string{"refused user.a"},
			reasons: []string{"cannot read the topic's configs"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "metadata error refuses the topic",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("c1", 3, &TopicState{Name: "user.a", Err: "UNKNOWN_TOPIC_OR_PARTITION"}),
			want:    []string{"refused user.a"},
			reasons: []string{"cannot read the topic's metadata: UNKNOWN_TOPIC_OR_PARTITION"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "create with more replicas than brokers is refused",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("c1", 1),
			want:    []string{"refused user.a partitions 0→1 rf 0→3"},
			reasons: []string{"replicationFactor 3 is more than the cluster's 1 brokers"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "create colliding with an existing topic after folding is refused",
			file:    head + "  - {name: user.a_b, partitions: 1, replicationFactor: 1}\n",
			state:   state("c1", 3, topic("user.a.b", 1, 1)),
			want:    []string{"refused user.a_b partitions 0→1 rf 0→1"},
			reasons: []string{`the cluster has topic "user.a.b", which collides with "user.a_b"`},
			notes:   []string{"1 topic is under managedPrefixes user. not declared in the file (user.a.b); --prune would delete it"},
			summary: Summary{Refused: 1},
		},
		{
			name:    "cluster-ID mismatch refuses everything, naming both IDs",
			file:    "cluster: {id: prod-1}\n" + head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("staging-7", 3),
			want:    []string{"refused "},
			reasons: []string{`topics.yaml expects cluster.id "prod-1" but the cluster's ID is "staging-7"`},
			summary: Summary{Refused: 1},
		},
		{
			name:    "matching cluster ID plans normally",
			file:    "cluster: {id: prod-1}\n" + head + "  - {name: user.a, partitions: 1, replicationFactor: 3}\n",
			state:   state("prod-1", 3),
			want:    []string{"create user.a partitions 0→1 rf 0→3"},
			summary: Summary{Create: 1},
		},
		{
			name:  "without --prune undeclared managed topics are only noted",
			file:  head + "  - {name: user.a, partitions: 1, replicationFactor: 1}\n",
			state: state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1), topic("orders", 1, 1)),
			want:  nil,
			notes: []string{"1 topic is under managedPrefixes user. not declared in the file (user.old); --prune would delete it"},
		},
		{
			name:    "--prune deletes only under managedPrefixes, never internal topics",
			file:    "managedPrefixes: [user., connect-]\ntopics:\n  - {name: user.a, partitions: 1, replicationFactor: 1}\n  - {name: connect-x, partitions: 1, replicationFactor: 1}\n",
			state:   state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1), topic("user.older", 1, 1), topic("orders", 1, 1), topic("connect-x", 1, 1), topic("connect-offsets", 1, 1), topic("__consumer_offsets", 50, 1)),
			opts:    Options{Prune: true, MaxDeletes: 2},
			want:    []string{"refused connect-offsets", "delete user.old", "delete user.older"},
			reasons: []string{"internal topic under managedPrefixes: kctl never deletes internal topics"},
			summary: Summary{Delete: 2, Refused: 1},
		},
		{
			name:    "--prune over --max-deletes refuses every delete",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 1}\n",
			state:   state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1), topic("user.older", 1, 1)),
			opts:    Options{Prune: true, MaxDeletes: 1},
			want:    []string{"refused user.old", "refused user.older"},
			reasons: []string{"2 topics would be deleted but --max-deletes is 1; pass --max-deletes 2", "2 topics would be deleted"},
			summary: Summary{Refused: 2},
		},
		{
			name:    "--prune with the default --max-deletes 0 allows no delete",
			file:    head + "  - {name: user.a, partitions: 1, replicationFactor: 1}\n",
			state:   state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1)),
			opts:    Options{Prune: true},
			want:    []string{"refused user.old"},
			reasons: []string{"1 topic would be deleted but --max-deletes is 0; pass --max-deletes 1"},
			summary: Summary{Refused: 1},
		},
		{
			name:  "--prune without managedPrefixes deletes nothing",
			file:  "topics:\n  - {name: user.a, partitions: 1, replicationFactor: 1}\n",
			state: state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1)),
			opts:  Options{Prune: true, MaxDeletes: 10},
			want:  nil,
			notes: []string{"--prune deletes nothing: the file sets no managedPrefixes, so no topic is managed"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.file)
			p := Diff(f, c.state, c.opts)
			if got := describe(p); !reflect.DeepEqual(got, c.want) {
				t.Errorf("changes:\n got %q\nwant %q", got, c.want)
			}
			var reasons []string
			for _, ch := range p.Changes {
				reasons = append(reasons, ch.Reasons...)
			}
			if len(reasons) != len(c.reasons) {
				t.Errorf("reasons = %q, want %d like %q", reasons, len(c.reasons), c.reasons)
			} else {
				for i := range reasons {
					if !strings.Contains(reasons[i], c.reasons[i]) {
						t.Errorf("reason %d = %q, want it to contain %q", i, reasons[i], c.reasons[i])
					}
				}
			}
			var unmanaged []string
			for _, u := range p.Unmanaged {
				unmanaged = append(unmanaged, fmt.Sprintf("%s %s=%s", u.Topic, u.Name, deref(u.Value)))
			}
			if !reflect.DeepEqual(unmanaged, c.unmanaged) {
				t.Errorf("unmanaged = %q, want %q", unmanaged, c.unmanaged)
			}
			if len(p.Notes) != len(c.notes) || (len(c.notes) > 0 && !reflect.DeepEqual(p.Notes, c.notes)) {
				t.Errorf("notes = %q, want %q", p.Notes, c.notes)
			}
			if p.Summary != c.summary {
				t.Errorf("summary = %+v, want %+v", p.Summary, c.summary)
			}
			if p.HasChanges() != (c.summary.Create+c.summary.Update+c.summary.Delete > 0) || p.IsRefused() != (c.summary.Refused > 0) {
				t.Errorf("HasChanges/IsRefused disagree with %+v", p.Summary)
			}
		})
	}
}

// TestDiffIsPure checks Diff neither changes its inputs nor depends on
// map order: the same inputs give the same plan.
func TestDiffIsPure(t *testing.T) {
	f := mustParse(t, head+"  - {name: user.a, partitions: 6, replicationFactor: 3, config: {retention.ms: 1d}}\n  - {name: user.b, partitions: 1, replicationFactor: 3}\n")
	mk := func() *State {
		return state("c1", 3, topic("user.a", 3, 3, withDefaults("segment.ms=5@topic~604800000", "flush.ms=7@topic~1")...), topic("user.x", 1, 1), topic("user.y", 1, 1))
	}
	st := mk()
	first := Diff(f, st, Options{Prune: true, PruneConfigs: true, MaxDeletes: 5})
	if !reflect.DeepEqual(st, mk()) {
		t.Fatal("Diff changed the state")
	}
	for i := 0; i < 20; i++ {
		if again := Diff(f, mk(), Options{Prune: true, PruneConfigs: true, MaxDeletes: 5}); !reflect.DeepEqual(first, again) {
			t.Fatalf("plans differ:\n%v\n%v", describe(first), describe(again))
		}
	}
	want := []string{
		"update user.a partitions 3→6 delete:flush.ms:7(topic)→1 set:retention.ms:604800000(default)→86400000 delete:segment.ms:5(topic)→604800000",
		"create user.b partitions 0→1 rf 0→3",
		"delete user.x", "delete user.y",
	}
	if got := describe(first); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// The topics on the cluster that the file does not declare are a
// structured list, sorted, each saying whether --prune would touch it;
// declared topics are not in it, and it is there without --prune too.
func TestDiffUndeclaredTopics(t *testing.T) {
	f := mustParse(t, "managedPrefixes: [user., connect-]\ntopics:\n  - {name: user.a, partitions: 1, replicationFactor: 1}\n")
	st := state("c1", 3, topic("user.a", 1, 1), topic("user.old", 1, 1), topic("orders", 1, 1), topic("connect-offsets", 1, 1), topic("__consumer_offsets", 50, 1))
	want := []UndeclaredTopic{
		{Name: "__consumer_offsets", Internal: true},
		{Name: "connect-offsets", Managed: true, Internal: true},
		{Name: "orders"},
		{Name: "user.old", Managed: true},
	}
	for _, opts := range []Options{{}, {Prune: true, MaxDeletes: 5}} {
		p := Diff(f, st, opts)
		if !reflect.DeepEqual(p.Undeclared, want) {
			t.Errorf("prune=%v: undeclared = %+v, want %+v", opts.Prune, p.Undeclared, want)
		}
	}
	p := Diff(f, state("c1", 3, topic("user.a", 1, 1)), Options{})
	if p.Undeclared == nil || len(p.Undeclared) != 0 {
		t.Errorf("nothing undeclared: %#v, want an empty list (JSON [])", p.Undeclared)
	}
}

// A plan that would leave the brokers over limits.partitionsPerBroker is
// refused with the numbers; one within it, or one that adds no replicas
// (even on a cluster already over), is not.
func TestDiffRefusesBrokerOverload(t *testing.T) {
	file := "topics:\n  - {name: big, partitions: 5000, replicationFactor: 3}\n"
	// 5000×3 = 15000 replicas on 3 brokers: 5000 each, over 4000.
	p := Diff(mustParse(t, file), state("c1", 3), Options{})
	if !p.IsRefused() || p.Summary.Refused != 1 {
		t.Fatalf("summary %+v, want the plan refused", p.Summary)
	}
	var reason string
	for _, c := range p.Changes {
		if c.Action == Refused && c.Topic == "" {
			reason = strings.Join(c.Reasons, " ")
		}
	}
	if !strings.Contains(reason, "15000 partition replicas, 5000 per broker, above limits.partitionsPerBroker 4000 (now 0 per broker)") {
		t.Errorf("reason = %q", reason)
	}
	// The same file with room for it.
	if p := Diff(mustParse(t, "limits: {partitionsPerBroker: 6000}\n"+file), state("c1", 3), Options{}); p.IsRefused() {
		t.Errorf("limits.partitionsPerBroker 6000: refused %+v", p.Changes)
	}
	// Growing partitions counts the topic's replication factor.
	grow := "topics:\n  - {name: t, partitions: 4001, replicationFactor: 1}\n"
	if p := Diff(mustParse(t, grow), state("c1", 1, topic("t", 3000, 1)), Options{}); !p.IsRefused() {
		t.Errorf("3000 → 4001 partitions on one broker: not refused")
	}
	// A cluster already over the limit can still take a plan that adds nothing.
	over := state("c1", 1, topic("t", 5000, 1))
	if p := Diff(mustParse(t, "topics:\n  - {name: t, partitions: 5000, replicationFactor: 1, config: {retention.ms: 1d}}\n"), over, Options{}); p.IsRefused() {
		t.Errorf("a config change on an overloaded cluster: refused %+v", p.Changes)
	}
}
