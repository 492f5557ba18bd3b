// Package brokers is the broker plane of kctl: brokers and their configs,
// disk usage per log dir, leader elections, offsets by time and the KRaft
// metadata quorum (issue 23), as views built first and printed after. It
// talks to a cluster through kadm and raw kmsg requests and imports no
// other feature.
package brokers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker is one broker: address, rack, role and what its API versions say.
type Broker struct {
	ID         int32  `json:"id" yaml:"id"`
	Host       string `json:"host" yaml:"host"`
	Port       int32  `json:"port" yaml:"port"`
	Rack       string `json:"rack,omitempty" yaml:"rack,omitempty"`
	Controller bool   `json:"controller" yaml:"controller"`
	// Version is franz-go's guess of the Kafka version from the broker's
	// API versions ("unknown" when they match no release).
	Version string `json:"version" yaml:"version"`
	// Features are the finalized feature levels the broker reports
	// (metadata.version, kraft.version, …), name=level.
	Features []string       `json:"features,omitempty" yaml:"features,omitempty"`
	Configs  []BrokerConfig `json:"configs,omitempty" yaml:"configs,omitempty"`
	Error    string         `json:"error,omitempty" yaml:"error,omitempty"`
}

// BrokerConfig is one broker config with where its value comes from.
type BrokerConfig struct {
	Name string `json:"name" yaml:"name"`
	// Value is empty for a sensitive config: kctl never prints one.
	Value     string `json:"value" yaml:"value"`
	Source    string `json:"source" yaml:"source"`
	Sensitive bool   `json:"sensitive" yaml:"sensitive"`
}

// BrokersView is `kctl describe brokers`.
type BrokersView struct {
	Controller int32    `json:"controller" yaml:"controller"`
	Brokers    []Broker `json:"brokers" yaml:"brokers"`
	Warnings   []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// BrokerNotFoundError names broker ids the cluster does not have, with the
// ids it has.
type BrokerNotFoundError struct {
	IDs   []int32
	Known []int32
}

func (e *BrokerNotFoundError) Error() string {
	word := "broker"
	if len(e.IDs) != 1 {
		word = "brokers"
	}
	msg := fmt.Sprintf("%s %s not found", word, joinIDs(e.IDs))
	if len(e.IDs) == 1 && len(e.Known) > 0 {
		msg += fmt.Sprintf(" (did you mean %d?)", closestID(e.IDs[0], e.Known))
	}
	return msg + ": the cluster has brokers " + joinIDs(e.Known) + " ('kctl describe brokers' lists them)"
}

func closestID(id int32, known []int32) int32 {
	best := known[0]
	for _, k := range known[1:] {
		if abs(k-id) < abs(best-id) {
			best = k
		}
	}
	return best
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}

// SourceName is the word kctl prints for a config's source.
func SourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "topic"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "dynamic-broker"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "dynamic-default"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "static"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "broker-logger"
	case kmsg.ConfigSourceDefaultConfig:
		return "default"
	}
	return strings.ToLower(s.String())
}

// Describe describes the brokers named by ids (every broker when ids is
// empty), with every config of each when configs is set. It returns a
// *BrokerNotFoundError for an id the cluster does not have. Per-broker
// failures (API versions, configs) are warnings of the view.
func Describe(ctx context.Context, adm *kadm.Client, ids []int32, configs bool) (BrokersView, error) {
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return BrokersView{}, fmt.Errorf("metadata: %w", err)
	}
	v := BrokersView{Controller: meta.Controller, Brokers: []Broker{}}
	known := make(map[int32]kadm.BrokerDetail, len(meta.Brokers))
	var all []int32
	for _, b := range meta.Brokers {
		known[b.NodeID] = b
		all = append(all, b.NodeID)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	var missing []int32
	for _, id := range ids {
		if _, ok := known[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return BrokersView{}, &BrokerNotFoundError{IDs: missing, Known: all}
	}
	want := ids
	if len(want) == 0 {
		want = all
	}
	want = dedupe(want)
	versions, verr := adm.ApiVersions(ctx)
	if verr != nil {
		v.Warnings = append(v.Warnings, fmt.Sprintf("api versions: %v (versions unknown)", verr))
	}
	var cfgs kadm.ResourceConfigs
	if configs {
		var cerr error
		cfgs, cerr = adm.DescribeBrokerConfigs(ctx, want...)
		var se *kadm.ShardErrors
		if cerr != nil && !errors.As(cerr, &se) {
			return BrokersView{}, fmt.Errorf("describe broker configs: %w", cerr)
		}
		if cerr != nil {
			v.Warnings = append(v.Warnings, fmt.Sprintf("broker configs: %v", cerr))
		}
	}
	for _, id := range want {
		d := known[id]
		b := Broker{ID: id, Host: d.Host, Port: d.Port, Controller: id == meta.Controller, Version: "unknown"}
		if d.Rack != nil {
			b.Rack = *d.Rack
		}
		if av, ok := versions[id]; ok {
			if av.Err != nil {
				v.Warnings = append(v.Warnings, fmt.Sprintf("api versions of broker %d: %v", id, av.Err))
			} else {
				b.Version = av.VersionGuess()
				if raw := av.Raw(); raw != nil {
					for _, f := range raw.FinalizedFeatures {
						b.Features = append(b.Features, fmt.Sprintf("%s=%d", f.Name, f.MaxVersionLevel))
					}
					sort.Strings(b.Features)
				}
			}
		}
		if configs {
			b.Configs = []BrokerConfig{}
			found := false
			for _, rc := range cfgs {
				if rc.Name != strconv.Itoa(int(id)) {
					continue
				}
				found = true
				if rc.Err != nil {
					b.Error = fmt.Sprintf("configs: %v", rc.Err)
					v.Warnings = append(v.Warnings, fmt.Sprintf("configs of broker %d: %v", id, rc.Err))
					continue
				}
				for _, c := range rc.Configs {
					b.Configs = append(b.Configs, brokerConfig(c))
				}
			}
			if !found && b.Error == "" {
				b.Error = "configs: not in the cluster's answer"
				v.Warnings = append(v.Warnings, fmt.Sprintf("configs of broker %d: not in the cluster's answer", id))
			}
			sort.Slice(b.Configs, func(i, j int) bool { return b.Configs[i].Name < b.Configs[j].Name })
		}
		v.Brokers = append(v.Brokers, b)
	}
	return v, nil
}

// brokerConfig is c as kctl shows it: a sensitive value is dropped here,
// so no printer can show it (brokers do not send one, but a proxy might).
func brokerConfig(c kadm.Config) BrokerConfig {
	bc := BrokerConfig{Name: c.Key, Source: SourceName(c.Source), Sensitive: c.Sensitive}
	if !c.Sensitive && c.Value != nil {
		bc.Value = *c.Value
	}
	return bc
}

func dedupe(ids []int32) []int32 {
	seen := map[int32]bool{}
	var out []int32
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
