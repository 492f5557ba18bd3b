package brokers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func meta() kadm.Metadata {
	pd := func(p, leader int32, replicas, isr []int32) kadm.PartitionDetail {
		return kadm.PartitionDetail{Topic: "orders", Partition: p, Leader: leader, Replicas: replicas, ISR: isr}
	}
	return kadm.Metadata{
		Brokers: kadm.BrokerDetails{{NodeID: 1}, {NodeID: 2}, {NodeID: 3}},
		Topics: kadm.TopicDetails{
			"orders": {Topic: "orders", Partitions: kadm.PartitionDetails{
				0: pd(0, 1, []int32{1, 2, 3}, []int32{1, 2, 3}), // preferred
				1: pd(1, 3, []int32{2, 3, 1}, []int32{2, 3, 1}), // led elsewhere
				2: pd(2, 1, []int32{3, 1, 2}, []int32{1, 2}),    // preferred out of ISR
				3: pd(3, -1, []int32{1, 2, 3}, []int32{}),       // leaderless
			}},
			"__consumer_offsets": {Topic: "__consumer_offsets", IsInternal: true, Partitions: kadm.PartitionDetails{
				0: {Topic: "__consumer_offsets", Partition: 0, Leader: 2, Replicas: []int32{1, 2}, ISR: []int32{1, 2}},
			}},
		},
	}
}

func TestPlanElection(t *testing.T) {
	p, err := PlanElection(meta(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Elections) != 1 || p.Elections[0].Partition != 1 || p.Elections[0].Current != 3 || p.Elections[0].Preferred != 2 {
		t.Errorf("elections %+v, want orders:1 3 → 2 only (internal topics skipped)", p.Elections)
	}
	if len(p.Skipped) != 2 || p.Skipped[0].Partition != 2 || !strings.Contains(p.Skipped[0].Why, "preferred replica 3 is not in the ISR") || p.Skipped[1].Partition != 3 {
		t.Errorf("skipped %+v, want orders:2 and the leaderless orders:3 (preferred out of ISR)", p.Skipped)
	}
	u, err := PlanElection(meta(), []Partition{{Topic: "orders"}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Elections) != 1 || u.Elections[0].Partition != 3 {
		t.Errorf("unclean elections %+v, want the leaderless orders:3", u.Elections)
	}
	s, err := PlanElection(meta(), []Partition{{Topic: "orders", Partitions: []int32{0}}}, false)
	if err != nil || len(s.Elections) != 0 || s.Checked != 1 {
		t.Errorf("orders:0 only: %+v %v, want nothing to do, 1 checked", s, err)
	}
	_, err = PlanElection(meta(), []Partition{{Topic: "ordres"}}, false)
	var tnf *errs.TopicNotFound
	if !errors.As(err, &tnf) || tnf.Suggestions["ordres"] != "orders" {
		t.Errorf("unknown topic: %v, want TopicNotFound suggesting orders", err)
	}
	_, err = PlanElection(meta(), []Partition{{Topic: "orders", Partitions: []int32{9}}}, false)
	var oor *errs.PartitionOutOfRange
	if !errors.As(err, &oor) {
		t.Errorf("partition 9: %v, want PartitionOutOfRange", err)
	}
}

func TestSkew(t *testing.T) {
	skew, np := Skew(meta())
	if np != 4 { // orders:1, orders:2, orders:3 (leaderless), __consumer_offsets:0
		t.Errorf("not preferred = %d, want 4", np)
	}
	got := map[int32]LeaderSkew{}
	for _, s := range skew {
		got[s.Broker] = s
	}
	if got[1].Leaders != 2 || got[1].Preferred != 3 || got[2].Leaders != 1 || got[2].Preferred != 1 || got[3].Leaders != 1 || got[3].Preferred != 1 {
		t.Errorf("skew %+v", skew)
	}
}

func TestParseAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	if a, err := ParseAt("2h", now); err != nil || !a.Time.Equal(now.Add(-2*time.Hour)) {
		t.Errorf("2h: %v %v", a, err)
	}
	if a, err := ParseAt("earliest", now); err != nil || !a.Earliest {
		t.Errorf("earliest: %v %v", a, err)
	}
	_, err := ParseAt("2026-03-02T00:00:00Z", now)
	if err == nil || !strings.Contains(err.Error(), "in the future") {
		t.Errorf("a time after now: %v, want refused as in the future", err)
	}
	_, err = ParseAt("yesterday-ish", now)
	var te *human.TimeError
	if !errors.As(err, &te) {
		t.Errorf("garbage: %v, want a *human.TimeError", err)
	}
}

func TestParsePartitionArg(t *testing.T) {
	for in, want := range map[string]string{"orders": "orders []", "orders:1,2": "orders [1 2]"} {
		p, err := ParsePartitionArg(in)
		if got := fmt.Sprintf("%s %v", p.Topic, p.Partitions); err != nil || got != want {
			t.Errorf("%q: %s %v, want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{":1", "orders:x", "orders:-1", "orders:"} {
		if _, err := ParsePartitionArg(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBrokerNotFound(t *testing.T) {
	e := &BrokerNotFoundError{IDs: []int32{5}, Known: []int32{0, 1, 2}}
	if got := e.Error(); got != "broker 5 not found (did you mean 2?): the cluster has brokers 0, 1, 2 ('kctl describe brokers' lists them)" {
		t.Errorf("%s", got)
	}
}

// A sensitive config's value is never printed, in text or JSON, even when
// the answer carries one.
func TestSensitiveNeverPrinted(t *testing.T) {
	secret := "hunter2"
	v := BrokersView{Brokers: []Broker{{ID: 1, Version: "v3.9", Configs: []BrokerConfig{
		brokerConfig(kadm.Config{Key: "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config", Value: &secret, Sensitive: true, Source: kmsg.ConfigSourceDynamicBrokerConfig}),
		brokerConfig(kadm.Config{Key: "log.retention.ms", Value: kmsg.StringPtr("1000"), Source: kmsg.ConfigSourceDynamicDefaultBrokerConfig}),
	}}}}
	var text, js bytes.Buffer
	if err := v.WriteText(&text, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	if err := view.PrintJSON(&js, v); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": text.String(), "json": js.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("%s shows the secret:\n%s", name, out)
		}
	}
	if !strings.Contains(text.String(), "(sensitive, not shown)  dynamic-broker") || !strings.Contains(text.String(), "log.retention.ms") ||
		!strings.Contains(text.String(), "dynamic-default") {
		t.Errorf("text:\n%s", text.String())
	}
}
