package topology

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// ConfigType is the type of a topic config value, as Kafka's ConfigDef.
type ConfigType string

// The config types kctl checks.
const (
	TypeBoolean ConfigType = "boolean"
	TypeInt     ConfigType = "int"  // 32-bit
	TypeLong    ConfigType = "long" // 64-bit
	TypeDouble  ConfigType = "double"
	TypeString  ConfigType = "string"
	TypeList    ConfigType = "list" // comma-separated
)

// Unit is how a numeric config may be written in topics.yaml.
type Unit string

// Units: durations (7d, 1h, 500ms) for *.ms keys, sizes (1GiB, 512MB) for
// *.bytes keys. Both are normalised to the broker's integer string.
const (
	UnitNone     Unit = ""
	UnitDuration Unit = "duration"
	UnitSize     Unit = "size"
)

// ConfigSpec describes one known topic config: its type, allowed values and
// range, as Kafka's own validators (LogConfig / TopicConfig) define them.
type ConfigSpec struct {
	Name       string
	Type       ConfigType
	Unit       Unit
	Enum       []string // allowed values (each list item for TypeList); case-sensitive, as Kafka
	Min, Max   *int64   // inclusive bounds for int/long
	MinF, MaxF *float64 // inclusive bounds for double
	// Deprecated, when set, says why the config should not be used; it
	// is a warning, not an error.
	Deprecated string
	Doc        string
}

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }

// knownConfigs are the topic-level configs of Apache Kafka 3.x/4.x, with the
// validators Kafka applies. The embedded cluster (kfake) validates none of
// them, so kctl does, offline.
var knownConfigs = []ConfigSpec{
	{Name: "cleanup.policy", Type: TypeList, Enum: []string{"compact", "delete"}, Doc: "delete, compact, or both (a list)"},
	{Name: "compression.type", Type: TypeString, Enum: []string{"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"}, Doc: "final compression of the topic's data"},
	{Name: "compression.gzip.level", Type: TypeInt, Min: i64(-1), Max: i64(9), Doc: "gzip level (1-9, -1 for the default)"},
	{Name: "compression.lz4.level", Type: TypeInt, Min: i64(1), Max: i64(17), Doc: "lz4 level"},
	{Name: "compression.zstd.level", Type: TypeInt, Min: i64(-131072), Max: i64(22), Doc: "zstd level"},
	{Name: "delete.retention.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "how long delete tombstones are kept on compacted topics"},
	{Name: "file.delete.delay.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "delay before a deleted file is removed"},
	{Name: "flush.messages", Type: TypeLong, Min: i64(1), Doc: "messages between forced fsyncs"},
	{Name: "flush.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "time between forced fsyncs"},
	{Name: "follower.replication.throttled.replicas", Type: TypeList, Doc: "partition:broker pairs to throttle, or *"},
	{Name: "index.interval.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(0), Doc: "bytes between offset-index entries"},
	{Name: "leader.replication.throttled.replicas", Type: TypeList, Doc: "partition:broker pairs to throttle, or *"},
	{Name: "local.retention.bytes", Type: TypeLong, Unit: UnitSize, Min: i64(-2), Doc: "tiered storage: local bytes kept (-2: retention.bytes)"},
	{Name: "local.retention.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(-2), Doc: "tiered storage: local time kept (-2: retention.ms)"},
	{Name: "max.compaction.lag.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(1), Doc: "longest a message stays uncompacted"},
	{Name: "max.message.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(0), Doc: "largest record batch the topic accepts"},
	{Name: "message.downconversion.enable", Type: TypeBoolean, Deprecated: "removed in Kafka 4.0", Doc: "down-convert for old consumers"},
	{Name: "message.format.version", Type: TypeString, Deprecated: "removed in Kafka 4.0", Doc: "message format version"},
	{Name: "message.timestamp.after.max.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "how far in the future a record timestamp may be"},
	{Name: "message.timestamp.before.max.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "how far in the past a record timestamp may be"},
	{Name: "message.timestamp.difference.max.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Deprecated: "removed in Kafka 4.0; use message.timestamp.before.max.ms and message.timestamp.after.max.ms", Doc: "largest timestamp difference"},
	{Name: "message.timestamp.type", Type: TypeString, Enum: []string{"CreateTime", "LogAppendTime"}, Doc: "which timestamp records carry"},
	{Name: "min.cleanable.dirty.ratio", Type: TypeDouble, MinF: f64(0), MaxF: f64(1), Doc: "dirty ratio that triggers compaction"},
	{Name: "min.compaction.lag.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "shortest a message stays uncompacted"},
	{Name: "min.insync.replicas", Type: TypeInt, Min: i64(1), Doc: "replicas that must acknowledge an acks=all write"},
	{Name: "preallocate", Type: TypeBoolean, Doc: "preallocate segment files"},
	{Name: "remote.log.copy.disable", Type: TypeBoolean, Doc: "tiered storage: stop copying to remote"},
	{Name: "remote.log.delete.on.disable", Type: TypeBoolean, Doc: "tiered storage: delete remote data when disabled"},
	{Name: "remote.storage.enable", Type: TypeBoolean, Doc: "tiered storage for this topic"},
	{Name: "retention.bytes", Type: TypeLong, Unit: UnitSize, Min: i64(-1), Doc: "bytes kept per partition (-1: unlimited)"},
	{Name: "retention.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(-1), Doc: "how long records are kept (-1: forever)"},
	{Name: "segment.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(14), Doc: "segment file size"},
	{Name: "segment.index.bytes", Type: TypeInt, Unit: UnitSize, Min: i64(4), Doc: "offset index size"},
	{Name: "segment.jitter.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(0), Doc: "random jitter subtracted from segment.ms"},
	{Name: "segment.ms", Type: TypeLong, Unit: UnitDuration, Min: i64(1), Doc: "time before a segment is rolled"},
	{Name: "unclean.leader.election.enable", Type: TypeBoolean, Doc: "allow out-of-sync replicas to become leader (data loss)"},
}

var configIndex = func() map[string]*ConfigSpec {
	m := make(map[string]*ConfigSpec, len(knownConfigs))
	for i := range knownConfigs {
		m[knownConfigs[i].Name] = &knownConfigs[i]
	}
	return m
}()

// vendorPrefixes are config name prefixes of broker distributions kctl does
// not know; such configs are passed through unchecked, with a warning.
var vendorPrefixes = []string{"confluent.", "aiven.", "redpanda.", "kfake."}

// LookupConfig returns the spec of a known topic config.
func LookupConfig(name string) (ConfigSpec, bool) {
	s, ok := configIndex[name]
	if !ok {
		return ConfigSpec{}, false
	}
	return *s, true
}

// KnownConfigs returns every known topic config, sorted by name.
func KnownConfigs() []ConfigSpec {
	out := append([]ConfigSpec(nil), knownConfigs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func knownConfigNames() []string {
	names := make([]string, 0, len(knownConfigs))
	for _, s := range knownConfigs {
		names = append(names, s.Name)
	}
	return names
}

// rawValue is a config value as written in the file: a scalar, or a list
// of scalars (for list configs).
type rawValue struct {
	scalar string
	list   []string
	isList bool
}

// normalize checks raw against s and returns the broker's string form: an
// integer string for numbers (after units), "true"/"false", a comma-joined
// list. On failure it returns a message saying what is wrong and how to
// write it instead.
func (s *ConfigSpec) normalize(raw rawValue) (string, string) {
	if raw.isList && s.Type != TypeList {
		return "", fmt.Sprintf("%s takes one value, not a list", s.Name)
	}
	switch s.Type {
	case TypeBoolean:
		switch strings.ToLower(raw.scalar) {
		case "true":
			return "true", ""
		case "false":
			return "false", ""
		}
		return "", fmt.Sprintf("%s must be true or false, got %q", s.Name, raw.scalar)
	case TypeInt, TypeLong:
		n, msg := s.parseNumber(raw.scalar)
		if msg != "" {
			return "", msg
		}
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if s.Type == TypeInt {
			lo, hi = math.MinInt32, math.MaxInt32
		}
		if s.Min != nil {
			lo = max(lo, *s.Min)
		}
		if s.Max != nil {
			hi = min(hi, *s.Max)
		}
		if n < lo || n > hi {
			return "", fmt.Sprintf("%s %s is out of range: %s", s.Name, raw.scalar, rangeText(lo, hi, s))
		}
		return strconv.FormatInt(n, 10), ""
	case TypeDouble:
		f, err := strconv.ParseFloat(strings.TrimSpace(raw.scalar), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", fmt.Sprintf("%s must be a number, got %q", s.Name, raw.scalar)
		}
		if (s.MinF != nil && f < *s.MinF) || (s.MaxF != nil && f > *s.MaxF) {
			return "", fmt.Sprintf("%s %s is out of range: between %g and %g", s.Name, raw.scalar, *s.MinF, *s.MaxF)
		}
		return strconv.FormatFloat(f, 'f', -1, 64), ""
	case TypeList:
		items := raw.list
		if !raw.isList {
			items = splitList(raw.scalar)
		}
		if len(items) == 0 {
			return "", fmt.Sprintf("%s needs at least one value", s.Name)
		}
		seen := map[string]bool{}
		var out []string
		for _, it := range items {
			it = strings.TrimSpace(it)
			if it == "" {
				return "", fmt.Sprintf("%s has an empty item", s.Name)
			}
			if msg := s.checkEnum(it); msg != "" {
				return "", msg
			}
			if !seen[it] {
				seen[it] = true
				out = append(out, it)
			}
		}
		return strings.Join(out, ","), ""
	default: // string
		v := raw.scalar
		if msg := s.checkEnum(v); msg != "" {
			return "", msg
		}
		return v, ""
	}
}

func (s *ConfigSpec) checkEnum(v string) string {
	if len(s.Enum) == 0 {
		return ""
	}
	for _, e := range s.Enum {
		if e == v {
			return ""
		}
	}
	msg := fmt.Sprintf("%s: %q is not one of %s", s.Name, v, strings.Join(s.Enum, ", "))
	if m := closest(v, s.Enum); m != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", m)
	}
	return msg
}

func rangeText(lo, hi int64, s *ConfigSpec) string {
	if hi == math.MaxInt64 {
		return fmt.Sprintf("at least %d", lo)
	}
	if s.Type == TypeInt && hi == math.MaxInt32 {
		if s.Unit == UnitSize {
			return fmt.Sprintf("between %d and %d (2GiB - 1: Kafka keeps it in a 32-bit int)", lo, hi)
		}
		return fmt.Sprintf("at least %d", lo)
	}
	return fmt.Sprintf("between %d and %d", lo, hi)
}

// parseNumber parses an integer, or a duration/size for configs with a unit.
func (s *ConfigSpec) parseNumber(v string) (int64, string) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, ""
	}
	switch s.Unit {
	case UnitDuration:
		n, err := ParseDurationMillis(v)
		if err != nil {
			return 0, fmt.Sprintf("%s: %v", s.Name, err)
		}
		return n, ""
	case UnitSize:
		n, err := ParseSizeBytes(v)
		if err != nil {
			return 0, fmt.Sprintf("%s: %v", s.Name, err)
		}
		return n, ""
	}
	return 0, fmt.Sprintf("%s must be an integer, got %q", s.Name, v)
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// EqualConfigValues reports whether two values of config name mean the same
// to a broker: numbers compare as numbers (file units already normalised),
// booleans case-insensitively, lists as sets. Unknown configs compare as
// strings.
func EqualConfigValues(name, a, b string) bool {
	if a == b {
		return true
	}
	s, ok := configIndex[name]
	if !ok {
		return false
	}
	return equalValues(s, a, b)
}

// equalValues reports whether a and b mean the same value of s.
func equalValues(s *ConfigSpec, a, b string) bool {
	if a == b {
		return true
	}
	switch s.Type {
	case TypeBoolean:
		return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
	case TypeInt, TypeLong:
		x, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
		y, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
		return err1 == nil && err2 == nil && x == y
	case TypeDouble:
		x, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
		return err1 == nil && err2 == nil && x == y
	case TypeList:
		return sameSet(splitList(a), splitList(b))
	}
	return false
}

func sameSet(a, b []string) bool {
	set := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			if x = strings.TrimSpace(x); x != "" {
				m[x] = true
			}
		}
		return m
	}
	x, y := set(a), set(b)
	if len(x) != len(y) {
		return false
	}
	for k := range x {
		if !y[k] {
			return false
		}
	}
	return true
}
