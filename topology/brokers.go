package topology

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Brokers is topics.yaml's `brokers:` section: the dynamic broker configs
// kctl keeps the cluster equal to (docs/broker-configs.md). Values are
// normalised as topic configs are ("3d" → "259200000").
type Brokers struct {
	// Config are the cluster-wide dynamic defaults (Kafka's
	// DYNAMIC_DEFAULT_BROKER_CONFIG, the broker resource "").
	Config map[string]string `json:"config,omitempty" yaml:"config,omitempty"`
	// Overrides are per-broker dynamic configs (DYNAMIC_BROKER_CONFIG),
	// sorted by broker id.
	Overrides []BrokerOverride `json:"overrides,omitempty" yaml:"overrides,omitempty"`
	// Pos is where the brokers: key is written.
	Pos Pos `json:"-" yaml:"-"`
}

// BrokerOverride is one broker's own dynamic configs.
type BrokerOverride struct {
	ID     int32             `json:"id" yaml:"id"`
	Config map[string]string `json:"config" yaml:"config"`
	// Pos is where the override's id is written.
	Pos Pos `json:"-" yaml:"-"`
}

// Override returns the override of broker id, if any.
func (b *Brokers) Override(id int32) (BrokerOverride, bool) {
	if b == nil {
		return BrokerOverride{}, false
	}
	for _, o := range b.Overrides {
		if o.ID == id {
			return o, true
		}
	}
	return BrokerOverride{}, false
}

// BrokerMode is how Kafka lets a broker config be changed at run time
// (its ConfigDef's dynamic update mode).
type BrokerMode string

// Broker config modes.
const (
	// ModeClusterWide: a dynamic default for every broker, or (Kafka
	// allows it) one broker's own value.
	ModeClusterWide BrokerMode = "cluster-wide"
	// ModePerBroker: only one broker's own value (listener and TLS
	// settings, which name the broker's files and addresses).
	ModePerBroker BrokerMode = "per-broker"
)

// BrokerConfigSpec is a dynamic broker config kctl knows.
type BrokerConfigSpec struct {
	ConfigSpec
	Mode BrokerMode
	// Sensitive: the broker never reports the value (passwords), so kctl
	// could never tell whether it drifted.
	Sensitive bool
}

func bc(mode BrokerMode, s ConfigSpec) BrokerConfigSpec {
	return BrokerConfigSpec{ConfigSpec: s, Mode: mode}
}

var compressionTypes = []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}

// knownBrokerConfigs are the dynamic broker configs of Apache Kafka 3.x/4.x
// (DynamicBrokerConfig's reconfigurables), with their types and ranges.
var knownBrokerConfigs = sync.OnceValue(func() []BrokerConfigSpec {
	return []BrokerConfigSpec{
		// Log defaults (DynamicLogConfig): cluster-wide.
		bc(ModeClusterWide, ConfigSpec{Name: "log.retention.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(-1), Doc: "default retention.ms of topics without their own (-1: forever)"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.retention.bytes", Type: TypeLong, Unit: UnitSize, Min: i64(-1), Doc: "default retention.bytes per partition (-1: unlimited)"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.segment.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(14), Doc: "default segment.bytes"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.roll.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(1), Doc: "default segment.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleanup.policy", Type: TypeList, Enum: []string{"compact", "delete"}, Doc: "default cleanup.policy"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.flush.interval.messages", Type: TypeLong, Min: i64(1), Doc: "default flush.messages"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.flush.interval.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "default flush.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.index.interval.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(0), Doc: "default index.interval.bytes"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.index.size.max.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(4), Doc: "default segment.index.bytes"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.message.timestamp.type", Type: TypeString, Enum: []string{"CreateTime", "LogAppendTime"}, Doc: "default message.timestamp.type"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.preallocate", Type: TypeBoolean, Doc: "default preallocate"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.segment.delete.delay.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "default file.delete.delay.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.delete.retention.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "default delete.retention.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.min.compaction.lag.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "default min.compaction.lag.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.max.compaction.lag.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(1), Doc: "default max.compaction.lag.ms"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.min.cleanable.ratio", Type: TypeDouble, MinF: f64(0), MaxF: f64(1), Doc: "default min.cleanable.dirty.ratio"}),
		bc(ModeClusterWide, ConfigSpec{Name: "message.max.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(0), Doc: "default max.message.bytes: largest record batch a topic accepts"}),
		bc(ModeClusterWide, ConfigSpec{Name: "min.insync.replicas", Type: TypeInt, Min: i64(1), Doc: "default min.insync.replicas"}),
		bc(ModeClusterWide, ConfigSpec{Name: "unclean.leader.election.enable", Type: TypeBoolean, Doc: "default unclean.leader.election.enable (data loss)"}),
		bc(ModeClusterWide, ConfigSpec{Name: "compression.type", Type: TypeString, Enum: compressionTypes, Doc: "default compression.type"}),
		// Log cleaner (LogCleaner.ReconfigurableConfigs).
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.threads", Type: TypeInt, Min: i64(0), Doc: "log cleaner threads"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.dedupe.buffer.size", Type: TypeLong, Unit: UnitSize, Doc: "log cleaner dedupe memory, all threads"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.io.buffer.size", Type: TypeInt, Unit: UnitSize, Min: i64(0), Doc: "log cleaner I/O buffer memory, all threads"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.io.max.bytes.per.second", Type: TypeDouble, Doc: "log cleaner I/O throttle"}),
		bc(ModeClusterWide, ConfigSpec{Name: "log.cleaner.backoff.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "log cleaner sleep when idle"}),
		// Threads (DynamicThreadPool).
		bc(ModeClusterWide, ConfigSpec{Name: "num.io.threads", Type: TypeInt, Min: i64(1), Doc: "request handler threads"}),
		bc(ModeClusterWide, ConfigSpec{Name: "num.network.threads", Type: TypeInt, Min: i64(1), Doc: "network threads per listener"}),
		bc(ModeClusterWide, ConfigSpec{Name: "num.replica.fetchers", Type: TypeInt, Min: i64(1), Doc: "replica fetcher threads per source broker"}),
		bc(ModeClusterWide, ConfigSpec{Name: "num.recovery.threads.per.data.dir", Type: TypeInt, Min: i64(1), Doc: "log recovery threads per data dir"}),
		bc(ModeClusterWide, ConfigSpec{Name: "background.threads", Type: TypeInt, Min: i64(1), Doc: "background task threads"}),
		// Connections (DynamicConnectionQuota).
		bc(ModeClusterWide, ConfigSpec{Name: "max.connections", Type: TypeInt, Min: i64(0), Doc: "connections a broker accepts"}),
		bc(ModeClusterWide, ConfigSpec{Name: "max.connections.per.ip", Type: TypeInt, Min: i64(0), Doc: "connections a broker accepts from one address"}),
		bc(ModeClusterWide, ConfigSpec{Name: "max.connections.per.ip.overrides", Type: TypeString, Doc: "per-address limits, host:N,…"}),
		bc(ModeClusterWide, ConfigSpec{Name: "max.connection.creation.rate", Type: TypeInt, Min: i64(0), Doc: "new connections per second a broker accepts"}),
		// Replication throttles (DynamicReplicationConfig).
		bc(ModeClusterWide, ConfigSpec{Name: "leader.replication.throttled.rate", Type: TypeLong, Unit: UnitSize, Min: i64(0), Doc: "bytes/s for throttled replicas, leader side"}),
		bc(ModeClusterWide, ConfigSpec{Name: "follower.replication.throttled.rate", Type: TypeLong, Unit: UnitSize, Min: i64(0), Doc: "bytes/s for throttled replicas, follower side"}),
		bc(ModeClusterWide, ConfigSpec{Name: "replica.alter.log.dirs.io.max.bytes.per.second", Type: TypeLong, Unit: UnitSize, Min: i64(0), Doc: "bytes/s of moves between log dirs"}),
		bc(ModeClusterWide, ConfigSpec{Name: "transaction.partition.verification.enable", Type: TypeBoolean, Doc: "verify a partition joined the transaction before writing"}),
		bc(ModeClusterWide, ConfigSpec{Name: "producer.id.expiration.ms", Type: TypeInt, Unit: UnitDuration, Min: i64(1), Doc: "how long an idle producer id is kept"}),
		// Listeners and security (DynamicListenerConfig, DynamicSecurityConfigs): per broker.
		bc(ModePerBroker, ConfigSpec{Name: "listeners", Type: TypeList, Doc: "the broker's listeners, NAME://host:port"}),
		bc(ModePerBroker, ConfigSpec{Name: "advertised.listeners", Type: TypeList, Doc: "the addresses the broker gives clients"}),
		bc(ModePerBroker, ConfigSpec{Name: "listener.security.protocol.map", Type: TypeList, Doc: "listener name → PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL"}),
		bc(ModePerBroker, ConfigSpec{Name: "sasl.enabled.mechanisms", Type: TypeList, Doc: "SASL mechanisms the broker accepts"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.client.auth", Type: TypeString, Enum: []string{"required", "requested", "none"}, Doc: "whether TLS clients must present a certificate"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.enabled.protocols", Type: TypeList, Doc: "TLS protocol versions accepted"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.protocol", Type: TypeString, Doc: "TLS protocol of the SSLContext"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.cipher.suites", Type: TypeList, Doc: "TLS cipher suites accepted"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.endpoint.identification.algorithm", Type: TypeString, Doc: "host name verification (https, or empty for none)"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.keystore.type", Type: TypeString, Doc: "key store format"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.keystore.location", Type: TypeString, Doc: "key store file on the broker"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.truststore.type", Type: TypeString, Doc: "trust store format"}),
		bc(ModePerBroker, ConfigSpec{Name: "ssl.truststore.location", Type: TypeString, Doc: "trust store file on the broker"}),
		{ConfigSpec: ConfigSpec{Name: "ssl.keystore.password", Type: TypeString}, Mode: ModePerBroker, Sensitive: true},
		{ConfigSpec: ConfigSpec{Name: "ssl.key.password", Type: TypeString}, Mode: ModePerBroker, Sensitive: true},
		{ConfigSpec: ConfigSpec{Name: "ssl.truststore.password", Type: TypeString}, Mode: ModePerBroker, Sensitive: true},
		{ConfigSpec: ConfigSpec{Name: "ssl.keystore.key", Type: TypeString}, Mode: ModePerBroker, Sensitive: true},
		{ConfigSpec: ConfigSpec{Name: "sasl.jaas.config", Type: TypeString}, Mode: ModePerBroker, Sensitive: true},
	}
})

// readOnlyBrokerConfigs are broker configs Kafka reads only from
// server.properties at start-up, with why they cannot be set in
// topics.yaml.
var readOnlyBrokerConfigs = sync.OnceValue(func() map[string]string {
	return map[string]string{
		"broker.id":                                "the broker's identity is fixed at start-up",
		"node.id":                                  "the node's identity is fixed at start-up",
		"process.roles":                            "a node's KRaft roles are fixed at start-up",
		"log.dirs":                                 "a broker's data directories are fixed at start-up",
		"log.dir":                                  "a broker's data directory is fixed at start-up",
		"metadata.log.dir":                         "the metadata log directory is fixed at start-up",
		"zookeeper.connect":                        "the ZooKeeper connection is fixed at start-up (and gone in Kafka 4.0)",
		"controller.quorum.voters":                 "the KRaft quorum is changed with kafka-metadata-quorum.sh add/remove-controller, not a config",
		"controller.quorum.bootstrap.servers":      "the KRaft quorum addresses are fixed at start-up",
		"controller.listener.names":                "the controller listeners are fixed at start-up",
		"inter.broker.listener.name":               "the inter-broker listener is fixed at start-up",
		"security.inter.broker.protocol":           "the inter-broker protocol is fixed at start-up",
		"broker.rack":                              "a broker's rack is fixed at start-up",
		"num.partitions":                           "it is read-only at run time; declare partitions per topic (or defaults.partitions)",
		"default.replication.factor":               "it is read-only at run time; declare replicationFactor per topic (or defaults.replicationFactor)",
		"auto.create.topics.enable":                "it is read-only at run time",
		"delete.topic.enable":                      "it is read-only at run time",
		"auto.leader.rebalance.enable":             "it is read-only at run time",
		"offsets.topic.replication.factor":         "it is read-only at run time",
		"transaction.state.log.replication.factor": "it is read-only at run time",
		"group.initial.rebalance.delay.ms":         "it is read-only at run time",
		"authorizer.class.name":                    "the authorizer is fixed at start-up",
		"super.users":                              "super users are fixed at start-up; declare acls: instead",
		"log.retention.hours":                      "it is read-only at run time; set log.retention.ms (which takes 7d) instead",
		"log.retention.minutes":                    "it is read-only at run time; set log.retention.ms (which takes 7d) instead",
		"log.roll.hours":                           "it is read-only at run time; set log.roll.ms instead",
	}
})

var brokerIndex = sync.OnceValue(func() map[string]*BrokerConfigSpec {
	known := knownBrokerConfigs()
	m := make(map[string]*BrokerConfigSpec, len(known))
	for i := range known {
		m[known[i].Name] = &known[i]
	}
	return m
})

// LookupBrokerConfig returns the spec of a known dynamic broker config;
// a listener.name.* key is a per-broker string config.
func LookupBrokerConfig(name string) (BrokerConfigSpec, bool) {
	if s, ok := brokerIndex()[name]; ok {
		return *s, true
	}
	if strings.HasPrefix(name, "listener.name.") && strings.Count(name, ".") >= 3 {
		return BrokerConfigSpec{ConfigSpec: ConfigSpec{Name: name, Type: TypeString}, Mode: ModePerBroker,
			Sensitive: strings.HasSuffix(name, ".password") || strings.HasSuffix(name, ".jaas.config") || strings.HasSuffix(name, ".keystore.key")}, true
	}
	return BrokerConfigSpec{}, false
}

func brokerSpec(name string) (*ConfigSpec, bool) {
	s, ok := brokerIndex()[name]
	if !ok {
		return nil, false
	}
	return &s.ConfigSpec, true
}

// KnownBrokerConfigs returns every known dynamic broker config, sorted.
func KnownBrokerConfigs() []BrokerConfigSpec {
	out := slices.Clone(knownBrokerConfigs())
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ReadOnlyBrokerConfig says why name cannot be declared, when it is a
// static (read-only) broker config.
func ReadOnlyBrokerConfig(name string) (string, bool) {
	why, ok := readOnlyBrokerConfigs()[name]
	return why, ok
}

// EqualBrokerConfigValues is EqualConfigValues for broker config name.
func EqualBrokerConfigValues(name, a, b string) bool {
	if a == b {
		return true
	}
	s, ok := brokerIndex()[name]
	if !ok {
		return false
	}
	return equalValues(&s.ConfigSpec, a, b)
}

// CheckBrokerConfig returns why config name = value (as a broker reports
// it) cannot be declared in brokers:, or "" when it can; perBroker says
// where (an override, or the cluster-wide config:).
func CheckBrokerConfig(name, value string, perBroker bool) string {
	msg, _ := checkBrokerConfig(name, rawValue{scalar: value}, perBroker)
	return msg
}

// checkBrokerConfig checks one brokers: config and returns the message of
// its problem or its normalised value.
func checkBrokerConfig(name string, raw rawValue, perBroker bool) (msg, norm string) {
	if why, ok := readOnlyBrokerConfigs()[name]; ok {
		return fmt.Sprintf("broker config %q cannot be changed at run time: %s", name, why), ""
	}
	s, ok := LookupBrokerConfig(name)
	if !ok {
		msg := fmt.Sprintf("unknown dynamic broker config %q", name)
		names := slices.Collect(maps.Keys(brokerIndex()))
		sort.Strings(names)
		if m := brokerEquivalent(name); m != "" {
			msg += fmt.Sprintf(" (%q is a topic config; its broker-wide default is %q)", name, m)
		} else if m := closest(name, names); m != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", m)
		} else {
			msg += " (see https://kafka.apache.org/documentation/#dynamicbrokerconfigs)"
		}
		return msg, ""
	}
	if s.Sensitive {
		return fmt.Sprintf("broker config %q is a secret: a broker never reports its value, so kctl could never tell whether it drifted, and topics.yaml is no place for it; set it with kafka-configs.sh from your secret store", name), ""
	}
	if s.Mode == ModePerBroker && !perBroker {
		return fmt.Sprintf("broker config %q can only be set per broker: Kafka refuses it as a cluster-wide default; declare it under brokers.overrides for each broker id", name), ""
	}
	norm, msg = s.normalize(raw)
	return msg, norm
}

var (
	brokersKeys        = []string{"config", "overrides"}
	brokerOverrideKeys = []string{"id", "config"}
)

// parseBrokers reads the brokers: section; env is true inside an
// environment, where `key: null` removes a base key (returned in unset).
func (p *parser) parseBrokers(k, n *yaml.Node) *Brokers {
	b := &Brokers{Pos: p.pos(k), Config: map[string]string{}}
	if isNull(n) {
		p.warnf(k, "brokers is empty: declare config: or overrides:, or remove the key")
		return b
	}
	p.mapping(n, "brokers", brokersKeys, func(key string, _, v *yaml.Node) {
		switch key {
		case "config":
			b.Config = p.parseBrokerConfig(v, "brokers.config", false)
		case "overrides":
			seen := map[int32]int{}
			for _, item := range p.seq(v, "brokers.overrides") {
				o := BrokerOverride{ID: -1, Config: map[string]string{}}
				var idNode *yaml.Node
				item = p.deref(item)
				p.mapping(item, "a broker override", brokerOverrideKeys, func(key string, _, v *yaml.Node) {
					switch key {
					case "id":
						idNode = v
						x, ok := p.integer(v, "brokers.overrides id")
						if !ok {
							return
						}
						if x < 0 || x > math.MaxInt32 {
							p.errorf(v, "brokers.overrides: id %d is not a broker id (0 to %d)", x, math.MaxInt32)
							return
						}
						o.ID = int32(x)
						o.Pos = p.pos(v)
					case "config":
						o.Config = p.parseBrokerConfig(v, "brokers.overrides config", true)
					}
				})
				if idNode == nil {
					if item != nil && item.Kind == yaml.MappingNode {
						p.errorf(item, "a broker override without an id: add id: N (the broker's node id)")
					}
					continue
				}
				if o.ID < 0 {
					continue
				}
				if line, dup := seen[o.ID]; dup {
					p.errorf(idNode, "duplicate broker override id %d (first at line %d): merge their config", o.ID, line)
					continue
				}
				seen[o.ID] = o.Pos.Line
				if len(o.Config) == 0 {
					p.warnf(idNode, "broker %d's override sets nothing: add config:, or remove it", o.ID)
				}
				b.Overrides = append(b.Overrides, o)
			}
			sort.SliceStable(b.Overrides, func(i, j int) bool { return b.Overrides[i].ID < b.Overrides[j].ID })
		}
	})
	return b
}

// parseBrokerConfig reads a brokers: config map; perBroker is true in an
// override.
func (p *parser) parseBrokerConfig(n *yaml.Node, what string, perBroker bool) map[string]string {
	out := map[string]string{}
	if isNull(n) {
		return out
	}
	p.mapping(n, what, nil, func(key string, k, v *yaml.Node) {
		raw, ok := p.rawConfigValue(k, v, key)
		if !ok {
			return
		}
		msg, norm := checkBrokerConfig(key, raw, perBroker)
		if msg != "" {
			at := v
			if _, known := LookupBrokerConfig(key); !known || strings.Contains(msg, "cannot be changed") || strings.Contains(msg, "secret") || strings.Contains(msg, "per broker") {
				at = k
			}
			p.errorf(at, "%s: %s", what, msg)
			return
		}
		out[key] = norm
	})
	return out
}

// parseEnvBrokers reads an environment's brokers: section: its config and
// overrides merge over the base's key by key, and `key: null` removes a
// base key in that environment.
func (p *parser) parseEnvBrokers(k, n *yaml.Node) *EnvBrokers {
	eb := &EnvBrokers{}
	m := p.deref(n)
	if m == nil || m.Kind != yaml.MappingNode {
		eb.Brokers = *p.parseBrokers(k, n)
		return eb
	}
	// Split out config: null keys before the normal parse.
	strip := func(cfg *yaml.Node) (*yaml.Node, []string) {
		c := p.deref(cfg)
		if c == nil || c.Kind != yaml.MappingNode {
			return cfg, nil
		}
		rest := *c
		rest.Content = nil
		var unset []string
		for i := 0; i+1 < len(c.Content); i += 2 {
			kk, vv := c.Content[i], c.Content[i+1]
			if isNull(vv) && vv.Kind != yaml.AliasNode {
				unset = append(unset, kk.Value)
				continue
			}
			rest.Content = append(rest.Content, kk, vv)
		}
		return &rest, unset
	}
	cp := *m
	cp.Content = slices.Clone(m.Content)
	for i := 0; i+1 < len(cp.Content); i += 2 {
		if cp.Content[i].Value == "config" {
			cp.Content[i+1], eb.Unset = strip(cp.Content[i+1])
		}
	}
	eb.Brokers = *p.parseBrokers(k, &cp)
	return eb
}

// EnvBrokers is an environment's brokers: section.
type EnvBrokers struct {
	Brokers
	// Unset are base cluster-wide keys the environment removes.
	Unset []string `json:"unset,omitempty" yaml:"unset,omitempty"`
}

// mergeBrokers lays an environment's brokers: over the base's.
func mergeBrokers(base *Brokers, over *EnvBrokers) *Brokers {
	if over == nil {
		return base
	}
	out := &Brokers{Config: map[string]string{}, Pos: over.Pos}
	if base != nil {
		out.Pos = base.Pos
		maps.Copy(out.Config, base.Config)
		for _, o := range base.Overrides {
			out.Overrides = append(out.Overrides, BrokerOverride{ID: o.ID, Config: maps.Clone(o.Config), Pos: o.Pos})
		}
	}
	maps.Copy(out.Config, over.Config)
	for _, k := range over.Unset {
		delete(out.Config, k)
	}
	for _, o := range over.Overrides {
		i := slices.IndexFunc(out.Overrides, func(x BrokerOverride) bool { return x.ID == o.ID })
		if i < 0 {
			out.Overrides = append(out.Overrides, BrokerOverride{ID: o.ID, Config: maps.Clone(o.Config), Pos: o.Pos})
			continue
		}
		maps.Copy(out.Overrides[i].Config, o.Config)
	}
	sort.SliceStable(out.Overrides, func(i, j int) bool { return out.Overrides[i].ID < out.Overrides[j].ID })
	return out
}

// brokersSchema is the JSON Schema of the brokers: section.
func brokersSchema() map[string]any {
	cluster, per := map[string]any{}, map[string]any{}
	for _, s := range KnownBrokerConfigs() {
		if s.Sensitive {
			continue
		}
		c := configSchema(s.ConfigSpec)
		c["description"] = fmt.Sprintf("%s (%s)", s.Doc, s.Mode)
		per[s.Name] = c
		if s.Mode == ModeClusterWide {
			cluster[s.Name] = c
		}
	}
	return map[string]any{
		"type":                 "object",
		"description":          "Dynamic broker configs kctl keeps the cluster equal to: cluster-wide defaults and per-broker overrides (docs/broker-configs.md).",
		"additionalProperties": false,
		"properties": map[string]any{
			"config": map[string]any{
				"type":                 "object",
				"description":          "Cluster-wide dynamic defaults for every broker.",
				"properties":           cluster,
				"additionalProperties": false,
			},
			"overrides": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"required":             []string{"id"},
					"properties": map[string]any{
						"id": map[string]any{"type": "integer", "minimum": 0, "maximum": math.MaxInt32, "description": "The broker's node id."},
						"config": map[string]any{
							"type":                 "object",
							"description":          "This broker's own dynamic configs.",
							"properties":           per,
							"patternProperties":    map[string]any{`^listener\.name\.[^.]+\..+`: map[string]any{"type": "string"}},
							"additionalProperties": false,
						},
					},
				},
			},
		},
	}
}

// brokersNodes returns the brokers: key and section of b (none for nil).
func brokersNodes(b *Brokers) []*yaml.Node {
	if b == nil {
		return nil
	}
	m := &yaml.Node{Kind: yaml.MappingNode}
	if len(b.Config) > 0 {
		m.Content = append(m.Content, str("config"), configNode(b.Config))
	}
	if len(b.Overrides) > 0 {
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		for _, o := range b.Overrides {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
				str("id"), integer(int64(o.ID)), str("config"), configNode(o.Config)}})
		}
		m.Content = append(m.Content, str("overrides"), seq)
	}
	return []*yaml.Node{str("brokers"), m}
}

// brokerEquivalent returns the broker-wide default of topic config name
// ("retention.ms" → "log.retention.ms"), or "".
func brokerEquivalent(name string) string {
	if _, ok := configIndex[name]; !ok {
		return ""
	}
	switch name {
	case "max.message.bytes":
		return "message.max.bytes"
	case "segment.ms":
		return "log.roll.ms"
	case "segment.index.bytes":
		return "log.index.size.max.bytes"
	case "flush.messages":
		return "log.flush.interval.messages"
	case "flush.ms":
		return "log.flush.interval.ms"
	case "file.delete.delay.ms":
		return "log.segment.delete.delay.ms"
	}
	if _, ok := brokerIndex()["log."+name]; ok {
		return "log." + name
	}
	if _, ok := brokerIndex()["log.cleaner."+name]; ok {
		return "log.cleaner." + name
	}
	return ""
}
