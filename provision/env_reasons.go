package provision

import (
	"fmt"

	"github.com/kctl/kctl/topology"
)

// rfAboveBrokers is the reason a replication factor above the cluster's
// brokers is refused, with the fix.
func rfAboveBrokers(rf int32, brokers int) string {
	return fmt.Sprintf("replicationFactor %d is more than the cluster's %d brokers: declare replicationFactor: %d or less, or add brokers", rf, brokers, brokers)
}

// partitionsDown is the reason a partition decrease is refused; when an
// environment set t's partitions it names it (t.Origin) and where to fix it.
func partitionsDown(t topology.Topic, have int32) string {
	if o := t.Origin["partitions"]; o != "" {
		return fmt.Sprintf("partitions %d → %d, set by %s: Kafka cannot remove partitions; keep partitions: %d there (for this topic alone: topics: {%s: {partitions: %d}} in that environment), or recreate the topic by hand (its data is lost)",
			have, t.Partitions, o, have, t.Name, have)
	}
	return fmt.Sprintf("partitions %d → %d: Kafka cannot remove partitions; keep partitions: %d in the file, or recreate the topic by hand (its data is lost)",
		have, t.Partitions, have)
}

// pointAtEnvironment rewrites the replication-factor refusals of topics
// whose factor an environment set so that they name it and where
// (topology.Topic.Origin): the file's base value is not what to change.
func pointAtEnvironment(file *topology.File, st *State, p *Plan) {
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action != Refused || c.ReplicationFactor == nil {
			continue
		}
		t, ok := file.Topic(c.Topic)
		o := t.Origin["replicationFactor"]
		if !ok || o == "" {
			continue
		}
		plain := rfAboveBrokers(c.ReplicationFactor.To, st.Brokers)
		for j, r := range c.Reasons {
			if r == plain {
				c.Reasons[j] = fmt.Sprintf("replicationFactor %d, set by %s, is more than the cluster's %d brokers: declare replicationFactor: %d or less there, or add brokers",
					c.ReplicationFactor.To, o, st.Brokers, st.Brokers)
			}
		}
	}
}
