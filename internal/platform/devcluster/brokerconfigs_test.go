package devcluster

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// The cluster-wide default and a broker's own value are kept apart, with
// Kafka's sources; a broker's static entries stay kfake's.
func TestBrokerConfigsDefaultAndPerBroker(t *testing.T) {
	_, _, adm := correctedCluster(t)
	if _, err := adm.AlterBrokerConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: kadm.StringPtr("1000")}}); err != nil {
		t.Fatal(err)
	}
	rs, err := adm.AlterBrokerConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "log.retention.ms", Value: kadm.StringPtr("2000")}}, 1)
	if err != nil || rs[0].Err != nil {
		t.Fatalf("alter broker 1: %v %v", err, rs)
	}
	// ValidateOnly changes nothing.
	if _, err := adm.ValidateAlterBrokerConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "num.io.threads", Value: kadm.StringPtr("9")}}, 2); err != nil {
		t.Fatal(err)
	}
	type entry struct{ value, source string }
	got := map[string]entry{}
	rcs, err := adm.DescribeBrokerConfigs(ctx(t), 0, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			got[rc.Name+" "+c.Key] = entry{c.MaybeValue(), c.Source.String()}
		}
	}
	for k, want := range map[string]entry{
		"0 log.retention.ms": {"1000", "DYNAMIC_DEFAULT_BROKER_CONFIG"},
		"1 log.retention.ms": {"2000", "DYNAMIC_BROKER_CONFIG"},
		"1 broker.id":        {"1", "STATIC_BROKER_CONFIG"},
	} {
		if got[k] != want {
			t.Errorf("%s = %+v, want %+v", k, got[k], want)
		}
	}
	if e := got["2 num.io.threads"]; e.source == "DYNAMIC_BROKER_CONFIG" {
		t.Errorf("a validate-only alter was kept: %+v", e)
	}
	defaults, err := adm.DescribeBrokerConfigs(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(defaults) != 1 || len(defaults[0].Configs) != 1 || defaults[0].Configs[0].Key != "log.retention.ms" || defaults[0].Configs[0].Source.String() != "DYNAMIC_DEFAULT_BROKER_CONFIG" {
		t.Errorf("default resource = %+v", defaults)
	}
}

// Kafka refuses read-only keys, and per-broker keys as cluster defaults.
func TestBrokerConfigsRefusals(t *testing.T) {
	_, _, adm := correctedCluster(t)
	rs, err := adm.AlterBrokerConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "broker.id", Value: kadm.StringPtr("7")}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rs[0].Err, kerr.InvalidRequest) {
		t.Errorf("broker.id: %v", rs[0].Err)
	}
	rs, err = adm.AlterBrokerConfigs(ctx(t), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "ssl.client.auth", Value: kadm.StringPtr("required")}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(rs[0].Err, kerr.InvalidRequest) {
		t.Errorf("ssl.client.auth as a default: %v", rs[0].Err)
	}
}
