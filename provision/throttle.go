package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kctl/kctl/provision/reassign"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The throttle configs (KIP-73), as kafka-reassign-partitions.sh sets them.
const (
	LeaderThrottleRate       = "leader.replication.throttled.rate"
	FollowerThrottleRate     = "follower.replication.throttled.rate"
	LeaderThrottledReplicas  = "leader.replication.throttled.replicas"
	FollowerThrottledReplica = "follower.replication.throttled.replicas"
)

// ThrottleConfigs returns the configs a throttle of rate bytes/s sets for
// moves, as kafka-reassign-partitions.sh does: both rates on every broker
// a move involves; on each topic, leader.replication.throttled.replicas
// listing the current replicas of its moving partitions and
// follower.replication.throttled.replicas listing the replicas being
// added ("partition:broker,…"). Brokers first by ID, then topics by name.
func ThrottleConfigs(moves []reassign.Move, rate int64) []SavedConfig {
	brokers := map[int32]bool{}
	leaders, followers := map[string][]string{}, map[string][]string{}
	for _, m := range moves {
		if len(m.Adding()) == 0 {
			continue // a reorder copies nothing
		}
		for _, b := range m.From {
			brokers[b] = true
			leaders[m.Topic] = append(leaders[m.Topic], fmt.Sprintf("%d:%d", m.Partition, b))
		}
		for _, b := range m.Adding() {
			brokers[b] = true
			followers[m.Topic] = append(followers[m.Topic], fmt.Sprintf("%d:%d", m.Partition, b))
		}
	}
	var out []SavedConfig
	ids := make([]int32, 0, len(brokers))
	for b := range brokers {
		ids = append(ids, b)
	}
	slices.Sort(ids)
	r := strconv.FormatInt(rate, 10)
	for _, b := range ids {
		out = append(out, SavedConfig{Broker: b, Name: LeaderThrottleRate, Value: r}, SavedConfig{Broker: b, Name: FollowerThrottleRate, Value: r})
	}
	topics := make([]string, 0, len(leaders))
	for t := range leaders {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		out = append(out,
			SavedConfig{Broker: -1, Topic: t, Name: LeaderThrottledReplicas, Value: strings.Join(leaders[t], ",")},
			SavedConfig{Broker: -1, Topic: t, Name: FollowerThrottledReplica, Value: strings.Join(followers[t], ",")})
	}
	return out
}

// setThrottle reads the old values of the throttle configs, saves them in
// the state (before anything is set, so an interruption can still undo),
// then sets the throttle in one IncrementalAlterConfigs. A topic that
// already lists replicas keeps them (the lists are merged); "*" is left.
func (e *Executor) setThrottle(ctx context.Context) error {
	st := e.State
	var moves []reassign.Move
	for _, m := range st.Moves {
		if m.State != MoveDone && m.State != MoveFailed {
			moves = append(moves, m.Move)
		}
	}
	want := ThrottleConfigs(moves, st.Throttle)
	if len(want) == 0 {
		st.ThrottleSet = true
		return e.Save(st)
	}
	old, err := e.describe(ctx, want)
	if err != nil {
		return fmt.Errorf("read the current throttle configs: %w", err)
	}
	var set []SavedConfig
	for _, c := range want {
		c.Old = old[configKey(c)]
		if c.Broker < 0 && c.Old != nil && *c.Old != "" {
			if *c.Old == "*" {
				continue // every replica already throttled
			}
			c.Value = *c.Old + "," + c.Value
		}
		set = append(set, c)
	}
	st.Throttles = set
	if err := e.Save(st); err != nil {
		return err
	}
	if err := e.alter(ctx, set, false); err != nil {
		return fmt.Errorf("set the throttle: %w", err)
	}
	st.ThrottleSet = true
	return e.Save(st)
}

// RemoveThrottle puts back what setThrottle changed: each config's old
// value, or deletes it when it had none; then clears the list. It returns
// an error naming the configs it could not restore (they stay listed).
func (e *Executor) RemoveThrottle(ctx context.Context) error {
	st := e.State
	if len(st.Throttles) == 0 {
		return nil
	}
	if err := e.alter(ctx, st.Throttles, true); err != nil {
		return fmt.Errorf("remove the throttle kctl set: %w", err)
	}
	st.Throttles = []SavedConfig{}
	st.ThrottleSet = false
	return e.Save(st)
}

func configKey(c SavedConfig) string {
	if c.Broker >= 0 {
		return fmt.Sprintf("broker %d %s", c.Broker, c.Name)
	}
	return fmt.Sprintf("topic %s %s", c.Topic, c.Name)
}

// describe returns the dynamic values (set on that broker, or on that
// topic) of the configs in cs; absent names have none.
func (e *Executor) describe(ctx context.Context, cs []SavedConfig) (map[string]*string, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	seen := map[string]bool{}
	for _, c := range cs {
		r := kmsg.NewDescribeConfigsRequestResource()
		if c.Broker >= 0 {
			r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(c.Broker))
		} else {
			r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, c.Topic
		}
		k := fmt.Sprint(r.ResourceType, r.ResourceName)
		if seen[k] {
			continue
		}
		seen[k] = true
		req.Resources = append(req.Resources, r)
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return nil, err
	}
	out := map[string]*string{}
	for _, r := range resp.Resources {
		if e := kerr.ErrorForCode(r.ErrorCode); e != nil {
			return nil, fmt.Errorf("%s: %s", r.ResourceName, withMessage(e, r.ErrorMessage))
		}
		for _, c := range r.Configs {
			var key string
			switch {
			case r.ResourceType == kmsg.ConfigResourceTypeBroker && c.Source == kmsg.ConfigSourceDynamicBrokerConfig:
				id, _ := strconv.Atoi(r.ResourceName)
				key = configKey(SavedConfig{Broker: int32(id), Name: c.Name})
			case r.ResourceType == kmsg.ConfigResourceTypeTopic && c.Source == kmsg.ConfigSourceDynamicTopicConfig:
				key = configKey(SavedConfig{Broker: -1, Topic: r.ResourceName, Name: c.Name})
			default:
				continue
			}
			out[key] = c.Value
		}
	}
	return out, nil
}

// alter sets cs (undo false) or restores their old values (undo true) in
// one IncrementalAlterConfigs, checking every resource's error.
func (e *Executor) alter(ctx context.Context, cs []SavedConfig, undo bool) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	idx := map[string]int{}
	for _, c := range cs {
		typ, name := kmsg.ConfigResourceTypeTopic, c.Topic
		if c.Broker >= 0 {
			typ, name = kmsg.ConfigResourceTypeBroker, strconv.Itoa(int(c.Broker))
		}
		k := fmt.Sprint(typ, name)
		i, ok := idx[k]
		if !ok {
			i = len(req.Resources)
			idx[k] = i
			r := kmsg.NewIncrementalAlterConfigsRequestResource()
			r.ResourceType, r.ResourceName = typ, name
			req.Resources = append(req.Resources, r)
		}
		rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		rc.Name = c.Name
		switch {
		case !undo:
			rc.Op, rc.Value = kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(c.Value)
		case c.Old != nil:
			rc.Op, rc.Value = kmsg.IncrementalAlterConfigOpSet, c.Old
		default:
			rc.Op = kmsg.IncrementalAlterConfigOpDelete
		}
		req.Resources[i].Configs = append(req.Resources[i].Configs, rc)
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	var fails []string
	answered := map[string]bool{}
	if resp != nil {
		for _, r := range resp.Resources {
			answered[fmt.Sprint(r.ResourceType, r.ResourceName)] = true
			if code := r.ErrorCode; code != 0 {
				fails = append(fails, fmt.Sprintf("%s %s: %s", strings.ToLower(r.ResourceType.String()), r.ResourceName, kerrText(code, r.ErrorMessage)))
			}
		}
	}
	for _, r := range req.Resources {
		if !answered[fmt.Sprint(r.ResourceType, r.ResourceName)] {
			fails = append(fails, fmt.Sprintf("%s %s: %s", strings.ToLower(r.ResourceType.String()), r.ResourceName, noAnswer(err)))
		}
	}
	if len(fails) > 0 {
		return errors.New(strings.Join(fails, "; "))
	}
	return nil
}
