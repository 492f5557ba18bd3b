package provision

import (
	"fmt"
	"strconv"
	"strings"
)

// Risk is an update Kafka accepts but an operator should look at twice:
// it loses or reorders data, or weakens durability. A plan with risks is
// applied only when the operator says so (--allow-risky, or a "yes" to a
// prompt that names them).
type Risk struct {
	// Kind is a stable name: partitions-on-compacted, compact-to-delete,
	// retention-lowered, min-isr-lowered-to-1, unclean-election-enabled,
	// rf-lowered.
	Kind string `json:"kind" yaml:"kind"`
	// Message is the consequence, in one line.
	Message string `json:"message" yaml:"message"`
}

// The risk kinds.
const (
	RiskPartitionsOnCompacted  = "partitions-on-compacted"
	RiskCompactToDelete        = "compact-to-delete"
	RiskRetentionLowered       = "retention-lowered"
	RiskMinISRLoweredToOne     = "min-isr-lowered-to-1"
	RiskUncleanElectionEnabled = "unclean-election-enabled"
	RiskRFLowered              = "rf-lowered"
)

// risks returns the risks of an update of an existing topic, in a fixed
// order; nil when there are none. It does no I/O.
func risks(c Change, ts *TopicState) []Risk {
	if c.Action != Update || ts == nil {
		return nil
	}
	set := map[string]ConfigChange{}
	for _, cc := range c.Configs {
		set[cc.Name] = cc
	}
	current := func(name string) (string, bool) {
		if cfg, ok := ts.Configs[name]; ok && cfg.Value != nil {
			return *cfg.Value, true
		}
		return "", false
	}
	// after is the value in effect once the change is applied: the new
	// value, the fallback of a removed one, or the current one.
	after := func(name string) (string, bool) {
		if cc, ok := set[name]; ok {
			if cc.New == nil {
				return "", false
			}
			return *cc.New, true
		}
		return current(name)
	}
	var out []Risk
	compacted := func(v string, ok bool) bool { return ok && strings.Contains(v, "compact") }
	// Compacted before or after: either way the keys already written now
	// hash to other partitions.
	if c.Partitions != nil && c.Partitions.To > c.Partitions.From && (compacted(current("cleanup.policy")) || compacted(after("cleanup.policy"))) {
		out = append(out, Risk{RiskPartitionsOnCompacted, fmt.Sprintf(
			"partitions %d → %d on a compacted topic: keys hash to new partitions, so a key's latest value may sit behind an older one and compaction no longer keeps one value per key",
			c.Partitions.From, c.Partitions.To)})
	}
	if cc, ok := set["cleanup.policy"]; ok {
		old, had := current("cleanup.policy")
		now, has := after("cleanup.policy")
		if compacted(old, had) && !compacted(now, has) {
			out = append(out, Risk{RiskCompactToDelete, fmt.Sprintf(
				"cleanup.policy %s → %s: records start expiring by retention, and the latest value of each key goes with them", old, valueOr(cc.New, "the broker default"))})
		}
	}
	for _, name := range []string{"retention.bytes", "retention.ms"} { // in the plan's (sorted) order
		if _, ok := set[name]; !ok {
			continue
		}
		old, had := current(name)
		now, has := after(name)
		if had && has && lowerLimit(old, now) {
			out = append(out, Risk{RiskRetentionLowered, fmt.Sprintf(
				"%s %s → %s: records beyond the new limit are deleted at the next cleanup", name, value(name, &old), value(name, &now))})
		}
	}
	if _, ok := set["min.insync.replicas"]; ok {
		old, had := current("min.insync.replicas")
		now, has := after("min.insync.replicas")
		if had && has && now == "1" && old != "1" {
			out = append(out, Risk{RiskMinISRLoweredToOne, fmt.Sprintf(
				"min.insync.replicas %s → 1: acks=all writes are acknowledged by one replica, so losing that broker loses them", old)})
		}
	}
	if _, ok := set["unclean.leader.election.enable"]; ok {
		old, _ := current("unclean.leader.election.enable")
		now, has := after("unclean.leader.election.enable")
		if has && strings.EqualFold(now, "true") && !strings.EqualFold(old, "true") {
			out = append(out, Risk{RiskUncleanElectionEnabled,
				"unclean.leader.election.enable → true: an out-of-sync replica may become leader, and acknowledged records are lost"})
		}
	}
	if rf := c.ReplicationFactor; rf != nil && rf.To < rf.From {
		out = append(out, Risk{RiskRFLowered, fmt.Sprintf(
			"replicationFactor %d → %d: fewer copies, so one broker fewer can be lost before data is", rf.From, rf.To)})
	}
	return out
}

// lowerLimit reports whether a retention limit goes down: -1 (or any
// negative value) is no limit.
func lowerLimit(old, now string) bool {
	o, err1 := strconv.ParseInt(old, 10, 64)
	n, err2 := strconv.ParseInt(now, 10, 64)
	if err1 != nil || err2 != nil || n < 0 {
		return false
	}
	return o < 0 || n < o
}

func valueOr(v *string, def string) string {
	if v == nil {
		return def
	}
	return *v
}
