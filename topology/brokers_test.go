package topology

import (
	"reflect"
	"strings"
	"testing"
)

func TestBrokersParse(t *testing.T) {
	f := parseOK(t, `topics: []
brokers:
  config:
    log.retention.ms: 3d
    log.segment.bytes: 512MiB
    unclean.leader.election.enable: "FALSE"
    log.cleanup.policy: [delete, compact]
  overrides:
    - id: 2
      config: {message.max.bytes: 2MiB, listener.name.internal.ssl.client.auth: required}
    - id: 1
      config:
        listener.security.protocol.map: [INTERNAL:SSL, EXTERNAL:SASL_SSL]
`)
	b := f.Brokers
	if b == nil {
		t.Fatal("no brokers section")
	}
	want := map[string]string{"log.retention.ms": "259200000", "log.segment.bytes": "536870912", "unclean.leader.election.enable": "false", "log.cleanup.policy": "delete,compact"}
	if !reflect.DeepEqual(b.Config, want) {
		t.Errorf("config = %v", b.Config)
	}
	if len(b.Overrides) != 2 || b.Overrides[0].ID != 1 || b.Overrides[1].ID != 2 {
		t.Fatalf("overrides = %+v (want sorted by id)", b.Overrides)
	}
	if got := b.Overrides[1].Config["message.max.bytes"]; got != "2097152" {
		t.Errorf("message.max.bytes = %q", got)
	}
	if got := b.Overrides[0].Config["listener.security.protocol.map"]; got != "INTERNAL:SSL,EXTERNAL:SASL_SSL" {
		t.Errorf("protocol map = %q", got)
	}
	if f2 := parseOK(t, "topics: []\n"); f2.Brokers != nil {
		t.Error("a file without brokers: has a Brokers section")
	}
}

func TestBrokersRefused(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"read-only", "brokers:\n  config:\n    broker.id: 3\n", `t.yaml:4:5: error: brokers.config: broker config "broker.id" cannot be changed at run time: the broker's identity is fixed at start-up`},
		{"read-only hours", "brokers:\n  config:\n    log.retention.hours: 168\n", `set log.retention.ms (which takes 7d) instead`},
		{"read-only in override", "brokers:\n  overrides:\n    - id: 1\n      config: {log.dirs: /data}\n", `t.yaml:5:16: error: brokers.overrides config: broker config "log.dirs" cannot be changed at run time`},
		{"static zk", "brokers:\n  config: {zookeeper.connect: zk:2181}\n", `"zookeeper.connect" cannot be changed at run time`},
		{"unknown", "brokers:\n  config:\n    num.io.thread: 8\n", `unknown dynamic broker config "num.io.thread" (did you mean "num.io.threads"?)`},
		{"topic name", "brokers:\n  config:\n    retention.ms: 1d\n", `unknown dynamic broker config "retention.ms" ("retention.ms" is a topic config; its broker-wide default is "log.retention.ms")`},
		{"per-broker only", "brokers:\n  config:\n    ssl.client.auth: required\n", `broker config "ssl.client.auth" can only be set per broker`},
		{"secret", "brokers:\n  overrides:\n    - id: 0\n      config: {ssl.keystore.password: hunter2}\n", `broker config "ssl.keystore.password" is a secret`},
		{"bad value", "brokers:\n  config:\n    min.insync.replicas: 0\n", `t.yaml:4:26: error: brokers.config: min.insync.replicas 0 is out of range: at least 1`},
		{"bad enum", "brokers:\n  config:\n    compression.type: zsdt\n", `"zsdt" is not one of uncompressed, zstd, lz4, snappy, gzip, producer (did you mean "zstd"?)`},
		{"duplicate id", "brokers:\n  overrides:\n    - {id: 1, config: {num.io.threads: 8}}\n    - {id: 1, config: {num.io.threads: 9}}\n", `t.yaml:5:12: error: duplicate broker override id 1 (first at line 4): merge their config`},
		{"no id", "brokers:\n  overrides:\n    - config: {num.io.threads: 8}\n", `a broker override without an id`},
		{"negative id", "brokers:\n  overrides:\n    - {id: -1, config: {num.io.threads: 8}}\n", `id -1 is not a broker id`},
		{"unknown key", "brokers:\n  configs: {}\n", `unknown key "configs" in brokers (did you mean "config"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse("t.yaml", []byte("topics: []\n"+tc.src))
			var got []string
			for _, d := range diags.Errors() {
				got = append(got, d.String())
			}
			all := strings.Join(got, "\n")
			if !strings.Contains(all, tc.want) {
				t.Errorf("errors:\n%s\nwant %q", all, tc.want)
			}
		})
	}
}

func TestBrokersEnvironment(t *testing.T) {
	f := parseOK(t, `topics: []
brokers:
  config: {log.retention.ms: 3d, num.io.threads: 8}
  overrides:
    - {id: 1, config: {message.max.bytes: 2MiB}}
environments:
  dev: {}
  prod:
    brokers:
      config: {log.retention.ms: 7d, num.io.threads: null}
      overrides:
        - {id: 1, config: {num.network.threads: 6}}
        - {id: 2, config: {num.network.threads: 4}}
`)
	prod, err := f.Select("prod", "--env")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"log.retention.ms": "604800000"}; !reflect.DeepEqual(prod.Brokers.Config, want) {
		t.Errorf("prod config = %v", prod.Brokers.Config)
	}
	if len(prod.Brokers.Overrides) != 2 || prod.Brokers.Overrides[0].Config["message.max.bytes"] != "2097152" || prod.Brokers.Overrides[0].Config["num.network.threads"] != "6" || prod.Brokers.Overrides[1].ID != 2 {
		t.Errorf("prod overrides = %+v", prod.Brokers.Overrides)
	}
	dev, _ := f.Select("dev", "--env")
	if dev.Brokers.Config["num.io.threads"] != "8" || f.Brokers.Config["num.io.threads"] != "8" {
		t.Errorf("dev = %v, base = %v (the base must not change)", dev.Brokers.Config, f.Brokers.Config)
	}
}

func TestEqualBrokerConfigValues(t *testing.T) {
	for _, tc := range []struct {
		name, a, b string
		want       bool
	}{
		{"log.retention.ms", "3600000", "3600000", true},
		{"log.retention.ms", "3600000", "03600000", true},
		{"unclean.leader.election.enable", "TRUE", "true", true},
		{"log.cleanup.policy", "delete,compact", "compact,delete", true},
		{"num.io.threads", "8", "9", false},
		{"no.such.key", "1", "01", false},
	} {
		if got := EqualBrokerConfigValues(tc.name, tc.a, tc.b); got != tc.want {
			t.Errorf("%s %q %q = %v", tc.name, tc.a, tc.b, got)
		}
	}
	if got := Humanize("log.retention.ms", "259200000"); got != "3d" {
		t.Errorf("Humanize = %q", got)
	}
}
