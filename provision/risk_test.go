package provision

import (
	"reflect"
	"testing"
)

const rf = ", replicationFactor: 1"

// riskCases are risky updates (want: their kinds) and the safe direction of
// each (want nil); gate_test.go checks that the gate stops every risky one.
var riskCases = []struct {
	name    string
	cluster *TopicState
	file    string
	want    []string
}{
	{"partitions on a compacted topic", topic("t", 3, 1, "cleanup.policy=compact@topic"),
		"{name: t, partitions: 5" + rf + ", config: {cleanup.policy: compact}}", []string{RiskPartitionsOnCompacted}},
	{"partitions and compact → delete together", topic("t", 3, 1, "cleanup.policy=compact@topic"),
		"{name: t, partitions: 5" + rf + ", config: {cleanup.policy: delete}}", []string{RiskPartitionsOnCompacted, RiskCompactToDelete}},
	{"compact,delete → delete", topic("t", 3, 1, "cleanup.policy=compact,delete@topic"),
		"{name: t, partitions: 3" + rf + ", config: {cleanup.policy: delete}}", []string{RiskCompactToDelete}},
	{"delete → compact is safe", topic("t", 3, 1, "cleanup.policy=delete@default"),
		"{name: t, partitions: 3" + rf + ", config: {cleanup.policy: compact}}", nil},
	{"partitions on a delete topic are safe", topic("t", 3, 1, "cleanup.policy=delete@default"),
		"{name: t, partitions: 5" + rf + "}", nil},
	{"retention.ms lowered", topic("t", 3, 1, "retention.ms=604800000@default"),
		"{name: t, partitions: 3" + rf + ", config: {retention.ms: 1d}}", []string{RiskRetentionLowered}},
	{"retention.ms raised is safe", topic("t", 3, 1, "retention.ms=86400000@topic"),
		"{name: t, partitions: 3" + rf + ", config: {retention.ms: 7d}}", nil},
	{"retention.bytes from unlimited to a limit", topic("t", 3, 1, "retention.bytes=-1@default"),
		"{name: t, partitions: 3" + rf + ", config: {retention.bytes: 1GiB}}", []string{RiskRetentionLowered}},
	{"retention.ms to forever is safe", topic("t", 3, 1, "retention.ms=86400000@topic"),
		"{name: t, partitions: 3" + rf + ", config: {retention.ms: -1}}", nil},
	{"min ISR 2 → 1", topic("t", 3, 3, "min.insync.replicas=2@topic"),
		"{name: t, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 1}}", []string{RiskMinISRLoweredToOne}},
	{"min ISR 3 → 2 is not flagged", topic("t", 3, 3, "min.insync.replicas=3@topic"),
		"{name: t, partitions: 3, replicationFactor: 3, config: {min.insync.replicas: 2}}", nil},
	{"unclean election on", topic("t", 3, 1, "unclean.leader.election.enable=false@default"),
		"{name: t, partitions: 3" + rf + ", config: {unclean.leader.election.enable: true}}", []string{RiskUncleanElectionEnabled}},
	{"replicationFactor lowered", topic("t", 3, 3, ""),
		"{name: t, partitions: 3, replicationFactor: 2}", []string{RiskRFLowered}},
	{"replicationFactor raised is safe", topic("t", 3, 1, ""),
		"{name: t, partitions: 3, replicationFactor: 3}", nil},
	{"unclean election off is safe", topic("t", 3, 1, "unclean.leader.election.enable=true@topic"),
		"{name: t, partitions: 3" + rf + ", config: {unclean.leader.election.enable: false}}", nil},
}

// Each risky update is found, with its kind; the safe direction of each
// is not.
func TestRisks(t *testing.T) {
	for _, c := range riskCases {
		t.Run(c.name, func(t *testing.T) {
			p := Diff(mustParse(t, "topics:\n  - "+c.file+"\n"), state("c1", 3, c.cluster), Options{})
			var kinds []string
			for _, ch := range p.Changes {
				for _, r := range ch.Risks {
					kinds = append(kinds, r.Kind)
					if r.Message == "" {
						t.Errorf("%s: no message", r.Kind)
					}
				}
			}
			if !reflect.DeepEqual(kinds, c.want) {
				t.Errorf("risks = %v, want %v (changes %+v)", kinds, c.want, p.Changes)
			}
			if p.IsRisky() != (len(c.want) > 0) || (len(c.want) > 0 && p.Summary.Risky != 1) {
				t.Errorf("IsRisky %v, summary %+v", p.IsRisky(), p.Summary)
			}
		})
	}
}
