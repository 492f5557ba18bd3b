package devcluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// brokerConfigs is the correction of dynamic broker configs. kfake keeps
// one map of broker configs for the whole cluster and reports every entry
// as a per-broker value (DYNAMIC_BROKER_CONFIG), whether it was set on the
// cluster-wide default (resource "") or on one broker. Kafka keeps them
// apart: here IncrementalAlterConfigs and DescribeConfigs on BROKER
// resources are answered from two stores, the cluster-wide defaults
// (source DYNAMIC_DEFAULT_BROKER_CONFIG) and each broker's own (source
// DYNAMIC_BROKER_CONFIG, ahead of the default, with synonyms). A broker's
// static and default entries are still kfake's.
//
// Simulated, and not like Kafka: the values are kept in memory only (not
// in a DataDir); the legacy AlterConfigs (API 33) on brokers is still
// kfake's, and what it sets is not shown; kfake's ACLs are not checked for them; values are not
// validated beyond Kafka's refusal of read-only keys and of per-broker
// keys (listeners, ssl.*) as cluster-wide defaults; they do not flow into
// topics' inherited values (a topic's DescribeConfigs does not show a
// dynamic log.retention.ms default).
type brokerConfigs struct {
	k *corrector

	mu       sync.Mutex
	defaults map[string]string
	per      map[int32]map[string]string

	// static are kfake's entries of each broker (readStatic).
	static map[int32][]kmsg.DescribeConfigsResponseResourceConfig
}

func newBrokerConfigs(k *corrector) (*brokerConfigs, error) {
	static, err := readStatic(k)
	if err != nil {
		return nil, fmt.Errorf("read the brokers' static configs: %w", err)
	}
	b := &brokerConfigs{k: k, defaults: map[string]string{}, per: map[int32]map[string]string{}, static: static}
	// For every key (-1), as electLeaders: those hooks run after the ones
	// for their own key, so a test's observer of these requests still
	// sees each one.
	k.c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		k.c.KeepControl()
		switch req.(type) {
		case *kmsg.IncrementalAlterConfigsRequest:
			return b.alter(req)
		case *kmsg.DescribeConfigsRequest:
			return b.describe(req)
		}
		return nil, nil, false
	})
	return b, nil
}

func cloneEntries(cs []kmsg.DescribeConfigsResponseResourceConfig) []kmsg.DescribeConfigsResponseResourceConfig {
	out := slices.Clone(cs)
	for i := range out {
		out[i].ConfigSynonyms = slices.Clone(out[i].ConfigSynonyms)
	}
	return out
}

// readOnlyBrokerKeys are refused as Kafka refuses them: "Cannot update
// these configs dynamically".
var readOnlyBrokerKeys = []string{"broker.id", "node.id", "process.roles", "log.dirs", "log.dir", "zookeeper.connect",
	"controller.quorum.voters", "broker.rack", "num.partitions", "default.replication.factor", "auto.create.topics.enable"}

func perBrokerOnly(name string) bool {
	return strings.HasPrefix(name, "listener") || name == "advertised.listeners" || strings.HasPrefix(name, "ssl.") || strings.HasPrefix(name, "sasl.")
}

// onlyBrokers reports whether every resource is a BROKER one (and there is
// at least one): requests mixing in topics are kfake's.
func onlyBrokers(types []kmsg.ConfigResourceType) bool {
	for _, t := range types {
		if t != kmsg.ConfigResourceTypeBroker {
			return false
		}
	}
	return len(types) > 0
}

func (b *brokerConfigs) alter(req kmsg.Request) (kmsg.Response, error, bool) {
	b.k.c.KeepControl()
	r := req.(*kmsg.IncrementalAlterConfigsRequest)
	var types []kmsg.ConfigResourceType
	for _, rr := range r.Resources {
		types = append(types, rr.ResourceType)
	}
	if !onlyBrokers(types) {
		return nil, nil, false
	}
	node := b.k.c.CurrentNode()
	resp := r.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, rr := range r.Resources {
		rs := kmsg.NewIncrementalAlterConfigsResponseResource()
		rs.ResourceType, rs.ResourceName = rr.ResourceType, rr.ResourceName
		fail := func(code int16, msg string) {
			rs.ErrorCode, rs.ErrorMessage = code, kmsg.StringPtr(msg)
		}
		var store map[string]string
		if rr.ResourceName == "" {
			store = maps.Clone(b.defaults)
		} else if id, err := strconv.Atoi(rr.ResourceName); err != nil || int32(id) != node {
			fail(kerr.InvalidRequest.Code, fmt.Sprintf("broker resource %q sent to broker %d", rr.ResourceName, node))
		} else {
			store = maps.Clone(b.per[node])
			if store == nil {
				store = map[string]string{}
			}
		}
		for _, c := range rr.Configs {
			if store == nil {
				break
			}
			switch {
			case slices.Contains(readOnlyBrokerKeys, c.Name):
				fail(kerr.InvalidRequest.Code, "Cannot update these configs dynamically: Set("+c.Name+")")
				store = nil
			case rr.ResourceName == "" && perBrokerOnly(c.Name):
				fail(kerr.InvalidRequest.Code, "Cannot update these configs at default cluster level, broker id must be specified: Set("+c.Name+")")
				store = nil
			case c.Op == kmsg.IncrementalAlterConfigOpSet && c.Value != nil:
				store[c.Name] = *c.Value
			case c.Op == kmsg.IncrementalAlterConfigOpDelete:
				delete(store, c.Name)
			default:
				fail(kerr.InvalidRequest.Code, fmt.Sprintf("operation %d on %s is not simulated", c.Op, c.Name))
				store = nil
			}
		}
		if store != nil && !r.ValidateOnly {
			if rr.ResourceName == "" {
				b.defaults = store
			} else {
				b.per[node] = store
			}
		}
		resp.Resources = append(resp.Resources, rs)
	}
	return resp, nil, true
}

func (b *brokerConfigs) describe(req kmsg.Request) (kmsg.Response, error, bool) {
	b.k.c.KeepControl()
	r := req.(*kmsg.DescribeConfigsRequest)
	var types []kmsg.ConfigResourceType
	for _, rr := range r.Resources {
		types = append(types, rr.ResourceType)
	}
	if !onlyBrokers(types) {
		return nil, nil, false
	}
	node := b.k.c.CurrentNode()
	resp := r.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range r.Resources {
		rs := kmsg.NewDescribeConfigsResponseResource()
		rs.ResourceType, rs.ResourceName = rr.ResourceType, rr.ResourceName
		switch id, err := strconv.Atoi(rr.ResourceName); {
		case rr.ResourceName == "":
			b.mu.Lock()
			for _, n := range slices.Sorted(maps.Keys(b.defaults)) {
				rs.Configs = append(rs.Configs, dynamicEntry(n, b.defaults[n], kmsg.ConfigSourceDynamicDefaultBrokerConfig))
			}
			b.mu.Unlock()
		case err != nil || int32(id) != node:
			rs.ErrorCode = kerr.InvalidRequest.Code
		default:
			base, ok := b.static[node]
			if !ok {
				return nil, nil, false // a node added later: kfake answers
			}
			rs.Configs = b.layer(node, cloneEntries(base), r.IncludeSynonyms, r.IncludeDocumentation)
		}
		filterNames(&rs, rr.ConfigNames)
		resp.Resources = append(resp.Resources, rs)
	}
	return resp, nil, true
}

func dynamicEntry(name, value string, src kmsg.ConfigSource) kmsg.DescribeConfigsResponseResourceConfig {
	c := kmsg.NewDescribeConfigsResponseResourceConfig()
	c.Name, c.Value, c.Source = name, kmsg.StringPtr(value), src
	return c
}

// readStatic reads kfake's answer for every broker, with synonyms and
// documentation, before the correction is installed: their static and
// default entries, which do not change while the cluster runs (the
// correction keeps kfake's own dynamic store empty). A dynamic entry kfake
// has from a DataDir becomes the entry it shadows.
func readStatic(k *corrector) (map[int32][]kmsg.DescribeConfigsResponseResourceConfig, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	meta, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, k.cl)
	if err != nil {
		return nil, err
	}
	q := kmsg.NewPtrDescribeConfigsRequest()
	q.IncludeSynonyms, q.IncludeDocumentation = true, true
	for _, br := range meta.Brokers {
		rr := kmsg.NewDescribeConfigsRequestResource()
		rr.ResourceType, rr.ResourceName = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(br.NodeID))
		q.Resources = append(q.Resources, rr)
	}
	resp, err := q.RequestWith(ctx, k.cl)
	if err != nil {
		return nil, err
	}
	out := map[int32][]kmsg.DescribeConfigsResponseResourceConfig{}
	for _, got := range resp.Resources {
		id, err := strconv.Atoi(got.ResourceName)
		if err != nil || got.ErrorCode != 0 {
			return nil, fmt.Errorf("describe broker %s configs: %v", got.ResourceName, kerr.ErrorForCode(got.ErrorCode))
		}
		var cs []kmsg.DescribeConfigsResponseResourceConfig
		for _, c := range got.Configs {
			if c.Source == kmsg.ConfigSourceDynamicBrokerConfig || c.Source == kmsg.ConfigSourceDynamicDefaultBrokerConfig {
				if len(c.ConfigSynonyms) == 0 {
					continue
				}
				s := c.ConfigSynonyms[0]
				c.Value, c.Source, c.ConfigSynonyms = s.Value, s.Source, c.ConfigSynonyms[1:]
			}
			cs = append(cs, c)
		}
		out[int32(id)] = cs
	}
	return out, nil
}

// layer lays the dynamic defaults, then broker node's own values, over
// kfake's entries; as kfake does, each entry's synonyms are the entries it
// shadows, nearest first.
func (b *brokerConfigs) layer(node int32, base []kmsg.DescribeConfigsResponseResourceConfig, synonyms, docs bool) []kmsg.DescribeConfigsResponseResourceConfig {
	b.mu.Lock()
	defer b.mu.Unlock()
	idx := map[string]int{}
	for i, c := range base {
		idx[c.Name] = i
	}
	set := func(name, value string, src kmsg.ConfigSource) {
		e := dynamicEntry(name, value, src)
		if i, ok := idx[name]; ok {
			prior := base[i]
			if synonyms {
				s := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
				s.Name, s.Value, s.Source = prior.Name, prior.Value, prior.Source
				e.ConfigSynonyms = append([]kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{s}, prior.ConfigSynonyms...)
			}
			e.ConfigType, e.Documentation = prior.ConfigType, prior.Documentation
			base[i] = e
			return
		}
		idx[name] = len(base)
		base = append(base, e)
	}
	for _, n := range slices.Sorted(maps.Keys(b.defaults)) {
		set(n, b.defaults[n], kmsg.ConfigSourceDynamicDefaultBrokerConfig)
	}
	for _, n := range slices.Sorted(maps.Keys(b.per[node])) {
		set(n, b.per[node][n], kmsg.ConfigSourceDynamicBrokerConfig)
	}
	for i := range base {
		if !synonyms {
			base[i].ConfigSynonyms = nil
		}
		if !docs {
			base[i].Documentation = nil
		}
	}
	for i := range base {
		base[i].ReadOnly = base[i].Source == kmsg.ConfigSourceStaticBrokerConfig
		base[i].IsDefault = base[i].Source == kmsg.ConfigSourceDefaultConfig || base[i].Source == kmsg.ConfigSourceStaticBrokerConfig
	}
	return base
}

func filterNames(rs *kmsg.DescribeConfigsResponseResource, names []string) {
	if names == nil {
		return
	}
	keep := rs.Configs[:0]
	for _, c := range rs.Configs {
		if slices.Contains(names, c.Name) {
			keep = append(keep, c)
		}
	}
	rs.Configs = keep
}
