package provision

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/provision/reassign"
)

// brokerState is an observed cluster of brokers 1-3 with the given
// dynamic configs (index -1: the cluster-wide default).
func brokerState(cfgs map[int32]map[string]string) *State {
	st := &State{ClusterID: "c", Brokers: 3, Topics: map[string]*TopicState{}}
	for _, id := range []int32{observe.DefaultBroker, 1, 2, 3} {
		if id != observe.DefaultBroker {
			st.BrokerRacks = append(st.BrokerRacks, reassign.Broker{ID: id})
		}
		b := observe.BrokerDynamicConfigs{ID: id, Configs: map[string]*string{}}
		for k, v := range cfgs[id] {
			b.Configs[k] = new(v)
		}
		st.BrokerConfigs = append(st.BrokerConfigs, b)
	}
	return st
}

func brokerLines(p *Plan) []string {
	var out []string
	for _, c := range p.BrokerConfigs {
		for _, cc := range c.Configs {
			out = append(out, fmt.Sprintf("%s %s %s %s→%s", c.Action, c.Name, cc.Op, valueOr(cc.Old, "-"), valueOr(cc.New, "-")))
		}
		for _, r := range c.Reasons {
			out = append(out, fmt.Sprintf("%s %s: %s", c.Action, c.Name, r))
		}
		for _, r := range c.Risks {
			out = append(out, "risk "+r.Kind)
		}
	}
	return out
}

func TestDiffBrokers(t *testing.T) {
	file := `topics: []
brokers:
  config: {log.retention.ms: 3d, num.io.threads: 8}
  overrides:
    - {id: 1, config: {message.max.bytes: 2MiB}}
`
	for _, tc := range []struct {
		name string
		file string
		have map[int32]map[string]string
		opts Options
		want string
		// unmanaged are the UnmanagedBrokers, "broker: key".
		unmanaged string
	}{
		{name: "empty cluster", file: file,
			want: "[update broker default set -→259200000 update broker default set -→8 update broker 1 set -→2097152]"},
		{name: "semantic equal", file: file,
			have: map[int32]map[string]string{-1: {"log.retention.ms": "259200000", "num.io.threads": "08"}, 1: {"message.max.bytes": "2097152"}},
			want: "[]"},
		{name: "drift", file: file,
			have: map[int32]map[string]string{-1: {"log.retention.ms": "604800000", "num.io.threads": "8"}, 1: {"message.max.bytes": "2097152"}},
			want: "[update broker default set 604800000→259200000 risk retention-lowered]"},
		{name: "unmanaged", file: file,
			have:      map[int32]map[string]string{-1: {"log.retention.ms": "259200000", "num.io.threads": "8", "max.connections": "100"}, 1: {"message.max.bytes": "2097152"}, 2: {"num.replica.fetchers": "4"}},
			want:      "[]",
			unmanaged: "[broker default: max.connections broker 2: num.replica.fetchers]"},
		{name: "prune", file: file, opts: Options{PruneConfigs: true},
			have:      map[int32]map[string]string{-1: {"log.retention.ms": "259200000", "num.io.threads": "8", "max.connections": "100"}, 1: {"message.max.bytes": "2097152"}, 2: {"num.replica.fetchers": "4", "leader.replication.throttled.rate": "1000", "ssl.keystore.password": "x"}},
			want:      "[update broker default delete 100→- update broker 2 delete 4→-]",
			unmanaged: "[broker 2: leader.replication.throttled.rate broker 2: ssl.keystore.password]"},
		{name: "unknown broker", file: "topics: []\nbrokers:\n  overrides:\n    - {id: 7, config: {num.io.threads: 8}}\n",
			want: "[refused broker 7: brokers.overrides names broker 7 (topics.yaml:4:12), which is not in the cluster: its brokers are 1, 2, 3; fix the id, or remove the override]"},
		{name: "risky", file: "topics: []\nbrokers:\n  config: {min.insync.replicas: 1, unclean.leader.election.enable: true}\n",
			have: map[int32]map[string]string{-1: {"min.insync.replicas": "2", "unclean.leader.election.enable": "false"}},
			want: "[update broker default set 2→1 update broker default set false→true risk min-isr-lowered risk unclean-election-enabled]"},
		{name: "min isr up is safe", file: "topics: []\nbrokers:\n  config: {min.insync.replicas: 2}\n",
			have: map[int32]map[string]string{-1: {"min.insync.replicas": "1"}},
			want: "[update broker default set 1→2]"},
		{name: "listener security", file: "topics: []\nbrokers:\n  overrides:\n    - {id: 2, config: {listener.security.protocol.map: 'INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL', ssl.client.auth: requested}}\n",
			have: map[int32]map[string]string{2: {"listener.security.protocol.map": "INTERNAL:SSL,EXTERNAL:SASL_SSL", "ssl.client.auth": "required"}},
			want: "[update broker 2 set INTERNAL:SSL,EXTERNAL:SASL_SSL→INTERNAL:PLAINTEXT,EXTERNAL:SASL_SSL update broker 2 set required→requested risk listener-security-removed risk client-auth-weakened]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parse(t, tc.file)
			p := Diff(f, brokerState(tc.have), tc.opts)
			if got := fmt.Sprint(brokerLines(p)); got != tc.want {
				t.Errorf("plan\n got %s\nwant %s", got, tc.want)
			}
			var un []string
			for _, u := range p.UnmanagedBrokers {
				un = append(un, u.Broker+": "+u.Name)
			}
			if tc.unmanaged == "" {
				tc.unmanaged = "[]"
			}
			if got := fmt.Sprint(un); got != tc.unmanaged {
				t.Errorf("unmanaged %s, want %s", got, tc.unmanaged)
			}
		})
	}
}

func TestDiffBrokersNeedsTheSection(t *testing.T) {
	f := parse(t, "topics: []\n")
	p := Diff(f, brokerState(map[int32]map[string]string{-1: {"num.io.threads": "8"}}), Options{PruneConfigs: true})
	if len(p.BrokerConfigs)+len(p.UnmanagedBrokers) > 0 || p.BrokersManaged {
		t.Errorf("a file without brokers: touches broker configs: %+v", p.BrokerConfigs)
	}
	if sc := ScopeOf(f, Options{}); sc.Brokers {
		t.Error("scope reads broker configs without brokers:")
	}
}

func TestGateRefusesRiskyBrokerChange(t *testing.T) {
	f := parse(t, "topics: []\nbrokers:\n  config: {unclean.leader.election.enable: true}\n")
	p := Diff(f, brokerState(nil), Options{})
	d := Gate(p, Allowances{}, nil)
	var ge *GateError
	if !errors.As(d.Err(), &ge) || !ge.Only(RefusalRisky) {
		t.Fatalf("gate = %v, want a risky refusal", d.Err())
	}
	if !Gate(p, Allowances{Risky: true}, nil).OK() {
		t.Error("--allow-risky does not allow it")
	}
}

// TestApplyBrokerConfigs applies to the embedded cluster: one
// IncrementalAlterConfigs; kadm reads the values back per broker with
// their sources; the next plan is empty.
func TestApplyBrokerConfigs(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	count := countRequests(c)
	f := parse(t, "topics: []\nbrokers:\n  config: {log.retention.ms: 3d}\n  overrides:\n    - {id: 1, config: {message.max.bytes: 2MiB}}\n")
	p := planFor(t, cl, f, Options{})
	count.reset()
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests["IncrementalAlterConfigs"] != 1 || res.Count(Update) != 2 {
		t.Errorf("result %+v", res)
	}
	adm := kadm.NewClient(cl)
	rcs, err := adm.DescribeBrokerConfigs(ctx(t), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, rc := range rcs {
		if rc.Err != nil {
			t.Fatal(rc.Err)
		}
		for _, c := range rc.Configs {
			if c.Key == "log.retention.ms" || c.Key == "message.max.bytes" {
				got[rc.Name+" "+c.Key] = c.MaybeValue() + " " + c.Source.String()
			}
		}
	}
	want := map[string]string{
		"0 log.retention.ms":  "259200000 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"1 log.retention.ms":  "259200000 DYNAMIC_DEFAULT_BROKER_CONFIG",
		"1 message.max.bytes": "2097152 DYNAMIC_BROKER_CONFIG",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	if strings.Contains(got["0 message.max.bytes"], "DYNAMIC") {
		t.Errorf("broker 0 got broker 1's override: %q", got["0 message.max.bytes"])
	}
	if next := planFor(t, cl, f, Options{}); next.HasChanges() {
		t.Errorf("second plan: %v", brokerLines(next))
	}
}

// TestApplyBrokerConfigsPerItemError: a broker refusing its change fails
// that item only, with the broker's message.
func TestApplyBrokerConfigsPerItemError(t *testing.T) {
	c := newCluster(t)
	cl := client(t, c)
	f := parse(t, "topics: []\nbrokers:\n  config: {num.io.threads: 8}\n")
	p := planFor(t, cl, f, Options{})
	// A change validate would refuse, as a hand-made plan: Kafka refuses
	// read-only keys.
	p.BrokerConfigs = append(p.BrokerConfigs, BrokerChange{Action: Update, Broker: new(int32(2)), Name: "broker 2", Configs: []ConfigChange{{Name: "broker.id", Op: OpSet, New: new("9")}}})
	p.count()
	res, err := Apply(ctx(t), cl, gated(p), ApplyOptions{})
	var ae *ApplyError
	if !errors.As(err, &ae) || len(ae.Failed) != 1 || ae.Failed[0].Name != "2" {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "update broker 2: broker configs: INVALID_REQUEST") || !strings.Contains(err.Error(), "Cannot update these configs dynamically") {
		t.Errorf("error %q", err)
	}
	if res.Count(Update) != 1 {
		t.Errorf("the default's change did not succeed: %+v", res.Items)
	}
}

func TestExportBrokers(t *testing.T) {
	cfgs := []observe.BrokerDynamicConfigs{
		{ID: observe.DefaultBroker, Configs: map[string]*string{"log.retention.ms": new("259200000"), "broker.id": new("1")}},
		{ID: 0, Configs: map[string]*string{}},
		{ID: 1, Configs: map[string]*string{"message.max.bytes": new("2097152"), "ssl.keystore.password": nil}, Sensitive: map[string]bool{"ssl.keystore.password": true}},
	}
	b, notes, err := ExportBrokers(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	if b == nil || b.Config["log.retention.ms"] != "259200000" || len(b.Config) != 1 || len(b.Overrides) != 1 || b.Overrides[0].ID != 1 || b.Overrides[0].Config["message.max.bytes"] != "2097152" {
		t.Fatalf("brokers = %+v", b)
	}
	want := `[broker 1: ssl.keystore.password is a secret the broker does not report: not exported broker default: broker.id = 1: broker config "broker.id" cannot be changed at run time: the broker's identity is fixed at start-up]`
	if fmt.Sprint(notes) != want {
		t.Errorf("notes %v", notes)
	}
	if b, _, _ := ExportBrokers([]observe.BrokerDynamicConfigs{{ID: observe.DefaultBroker, Configs: map[string]*string{}}}); b != nil {
		t.Errorf("no dynamic configs exported as %+v", b)
	}
}
