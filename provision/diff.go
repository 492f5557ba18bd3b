package provision

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/provision/reassign"
	"github.com/kctl/kctl/topology"
)

// Action is what a change does.
type Action string

// The actions of a plan.
const (
	Create  Action = "create"
	Update  Action = "update"
	Delete  Action = "delete"
	Refused Action = "refused"
)

// Options are the choices of plan and apply that change the plan.
type Options struct {
	// Prune deletes topics under the file's managedPrefixes that the file
	// does not declare (never internal topics, never more than MaxDeletes).
	Prune bool `json:"prune" yaml:"prune"`
	// PruneConfigs removes dynamic topic configs the file does not name.
	PruneConfigs bool `json:"pruneConfigs" yaml:"pruneConfigs"`
	// MaxDeletes is how many topics prune may delete; more is refused.
	MaxDeletes int `json:"maxDeletes" yaml:"maxDeletes"`
	// RotatePasswords re-sets every declared SCRAM credential from its
	// password source; otherwise only new ones are set.
	RotatePasswords bool `json:"rotatePasswords,omitempty" yaml:"rotatePasswords,omitempty"`
	// Self is the principal kctl connects as ("User:admin"; "" without
	// SASL): it is never stripped of the rights it needs to apply.
	Self string `json:"self,omitempty" yaml:"self,omitempty"`
}

// Plan is what would make the cluster match the file: a value, computed by
// Diff without I/O, printed by plan and carried out by Apply.
type Plan struct {
	File string `json:"file" yaml:"file"`
	// Environment is the file's environment in effect ("" for a file
	// without environments).
	Environment string `json:"environment,omitempty" yaml:"environment,omitempty"`
	ClusterID   string `json:"clusterId" yaml:"clusterId"`
	// Topics is how many topics the file declares.
	Topics  int     `json:"topics" yaml:"topics"`
	Options Options `json:"options" yaml:"options"`
	// Changes are in file order; deletes follow, sorted by name. A change
	// without a topic is about the whole cluster (a cluster-ID mismatch).
	Changes []Change `json:"changes" yaml:"changes"`
	// Unmanaged are dynamic configs on declared topics that the file does
	// not name; they are left alone unless Options.PruneConfigs.
	Unmanaged []UnmanagedConfig `json:"unmanagedConfigs" yaml:"unmanagedConfigs"`
	// Undeclared are the topics on the cluster the file does not declare,
	// sorted by name: what --prune would delete (managed, not internal)
	// and what it never touches.
	Undeclared []UndeclaredTopic `json:"undeclaredTopics" yaml:"undeclaredTopics"`
	// Notes are things worth knowing that change nothing.
	Notes   []string `json:"notes" yaml:"notes"`
	Summary Summary  `json:"summary" yaml:"summary"`
	// Access are the ACL, SCRAM user and quota changes (acl changes first,
	// then users, then quotas; deletes after each kind's creates and
	// updates). Empty when the file has no access sections.
	Access []AccessChange `json:"access,omitempty" yaml:"access,omitempty"`
	// AccessManaged is true when the file has access sections; ACLs, Users
	// and Quotas count what it declares.
	AccessManaged bool `json:"accessManaged,omitempty" yaml:"accessManaged,omitempty"`
	ACLs          int  `json:"acls,omitempty" yaml:"acls,omitempty"`
	Users         int  `json:"users,omitempty" yaml:"users,omitempty"`
	Quotas        int  `json:"quotas,omitempty" yaml:"quotas,omitempty"`
	// BrokerConfigs are the changes of dynamic broker configs (the
	// cluster-wide default first, then by broker id); BrokersManaged is
	// true when the file has a brokers: section, and UnmanagedBrokers are
	// the dynamic broker configs it does not name (see brokers.go).
	BrokerConfigs    []BrokerChange          `json:"brokerConfigs,omitempty" yaml:"brokerConfigs,omitempty"`
	BrokersManaged   bool                    `json:"brokersManaged,omitempty" yaml:"brokersManaged,omitempty"`
	UnmanagedBrokers []UnmanagedBrokerConfig `json:"unmanagedBrokerConfigs,omitempty" yaml:"unmanagedBrokerConfigs,omitempty"`
	// sections are the access sections the file declares (users, acls,
	// quotas): the "No changes" line counts only those.
	sections []string
}

// Change is one topic's change.
type Change struct {
	Action Action `json:"action" yaml:"action"`
	Topic  string `json:"topic,omitempty" yaml:"topic,omitempty"`
	// Partitions is set for a create (From 0) and a partition change.
	Partitions *Count `json:"partitions,omitempty" yaml:"partitions,omitempty"`
	// ReplicationFactor is set for a create (From 0) and a change.
	ReplicationFactor *Count `json:"replicationFactor,omitempty" yaml:"replicationFactor,omitempty"`
	// Reassignments are the new replica lists of a replication-factor
	// change, one per partition, computed by the reassignment planner;
	// apply sends them with AlterPartitionAssignments.
	Reassignments []reassign.Move `json:"reassignments,omitempty" yaml:"reassignments,omitempty"`
	// Configs are the config operations, sorted by name.
	Configs []ConfigChange `json:"configs,omitempty" yaml:"configs,omitempty"`
	// Reasons say why a change is refused.
	Reasons []string `json:"reasons,omitempty" yaml:"reasons,omitempty"`
	// Risks are the consequences of an update that loses or reorders data
	// or weakens durability; apply needs --allow-risky (or a "yes" to a
	// prompt naming them) to carry them out.
	Risks []Risk `json:"risks,omitempty" yaml:"risks,omitempty"`
}

// Count is a number before and after.
type Count struct {
	From int32 `json:"from" yaml:"from"`
	To   int32 `json:"to" yaml:"to"`
}

// Config operations.
const (
	OpSet    = "set"
	OpDelete = "delete"
)

// ConfigChange is one config operation on a topic.
type ConfigChange struct {
	Name string `json:"name" yaml:"name"`
	Op   string `json:"op" yaml:"op"`
	// Old is the value in effect now (nil when the broker reports none);
	// OldSource says where it comes from (topic, default, broker, ...).
	Old       *string `json:"old" yaml:"old"`
	OldSource string  `json:"oldSource,omitempty" yaml:"oldSource,omitempty"`
	// New is the value set; for a delete, the default the topic falls
	// back to when known.
	New *string `json:"new" yaml:"new"`
}

// UnmanagedConfig is a dynamic config on a declared topic that the file
// does not name.
type UnmanagedConfig struct {
	Topic string  `json:"topic" yaml:"topic"`
	Name  string  `json:"name" yaml:"name"`
	Value *string `json:"value" yaml:"value"`
}

// UndeclaredTopic is a topic on the cluster that the file does not declare.
type UndeclaredTopic struct {
	Name string `json:"name" yaml:"name"`
	// Managed: under the file's managedPrefixes, so --prune deletes it
	// unless it is internal.
	Managed bool `json:"managed" yaml:"managed"`
	// Internal: Kafka's own or a platform topic (__*, _schemas, connect-*,
	// …), which kctl never deletes.
	Internal bool `json:"internal" yaml:"internal"`
}

// Summary counts the changes by action.
type Summary struct {
	Create  int `json:"create" yaml:"create"`
	Update  int `json:"update" yaml:"update"`
	Delete  int `json:"delete" yaml:"delete"`
	Refused int `json:"refused" yaml:"refused"`
	// Risky counts the changes with risks (⚠).
	Risky int `json:"risky" yaml:"risky"`
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool { return p.Summary.Create+p.Summary.Update+p.Summary.Delete > 0 }

// IsRisky reports whether any change has risks; such a plan is applied
// only when the operator allows them.
func (p *Plan) IsRisky() bool { return p.Summary.Risky > 0 }

// RiskyChanges returns the changes with risks, in plan order.
func (p *Plan) RiskyChanges() []Change {
	var out []Change
	for _, c := range append(slices.Clone(p.Changes), brokerChangesAsTopics(p.BrokerConfigs)...) {
		if len(c.Risks) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// IsRefused reports whether any change is refused; such a plan is never
// applied, not even in part.
func (p *Plan) IsRefused() bool { return p.Summary.Refused > 0 }

// Diff compares the file with the observed cluster and returns the plan.
// It does no I/O and never fails: what cannot be done is a refused change
// with its reasons.
func Diff(file *topology.File, st *State, opts Options) *Plan {
	p := &Plan{File: file.Path, Environment: file.Env, ClusterID: st.ClusterID, Topics: len(file.Topics), Options: opts, Changes: []Change{}, Unmanaged: []UnmanagedConfig{}, Undeclared: []UndeclaredTopic{}, Notes: []string{}}
	if opts.MaxDeletes < 0 {
		p.Options.MaxDeletes, opts.MaxDeletes = 0, 0
	}
	if want := file.Cluster.ID; want != "" && want != st.ClusterID {
		p.Changes = append(p.Changes, Change{Action: Refused, Reasons: []string{fmt.Sprintf(
			"cluster ID mismatch: %s expects cluster.id %q but the cluster's ID is %q; check --brokers/--context, or cluster.id in the file",
			file.Path, want, st.ClusterID)}})
		p.count()
		return p
	}

	folded := map[string]string{}
	for name := range st.Topics {
		folded[topology.FoldName(name)] = name
	}
	declared := map[string]bool{}
	for _, t := range file.Topics {
		declared[t.Name] = true
		ts, exists := st.Topics[t.Name]
		var c Change
		if !exists {
			c = diffCreate(t, st, folded)
		} else {
			var unmanaged []UnmanagedConfig
			c, unmanaged = diffExisting(t, ts, opts)
			c.Risks = risks(c, ts)
			p.Unmanaged = append(p.Unmanaged, unmanaged...)
		}
		if c.Action != "" {
			p.Changes = append(p.Changes, c)
		}
	}
	planReplicationFactors(st, p)
	pointAtEnvironment(file, st, p)
	diffPrune(file, st, opts, declared, p)
	diffAccess(file, st.Access, opts, p)
	limitDeletes(p, opts)
	checkBrokerLoad(file, st, p)
	diffBrokers(file, st, opts, p)
	p.count()
	return p
}

// checkBrokerLoad refuses the plan when it would leave the brokers holding
// more partition replicas each than the file's limits.partitionsPerBroker
// (default 4,000): a cluster-wide check on top of the per-topic ceiling,
// from the metadata already observed. A plan that adds no replicas is never
// refused by it, even on a cluster already over the limit.
func checkBrokerLoad(file *topology.File, st *State, p *Plan) {
	if st.Brokers <= 0 {
		return
	}
	var before int64
	for _, ts := range st.Topics {
		before += int64(ts.Partitions) * int64(ts.ReplicationFactor)
	}
	after := before
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			if c.Partitions != nil && c.ReplicationFactor != nil {
				after += int64(c.Partitions.To) * int64(c.ReplicationFactor.To)
			}
		case Update:
			if ts := st.Topics[c.Topic]; ts != nil && c.Partitions != nil {
				after += int64(c.Partitions.To-c.Partitions.From) * int64(ts.ReplicationFactor)
			}
			if ts := st.Topics[c.Topic]; ts != nil && c.ReplicationFactor != nil {
				after += int64(ts.Partitions) * int64(c.ReplicationFactor.To-c.ReplicationFactor.From)
			}
		case Delete:
			if ts := st.Topics[c.Topic]; ts != nil {
				after -= int64(ts.Partitions) * int64(ts.ReplicationFactor)
			}
		}
	}
	limit := int64(file.Limits.PerBroker())
	perBroker := (after + int64(st.Brokers) - 1) / int64(st.Brokers)
	if after <= before || perBroker <= limit {
		return
	}
	p.Changes = append(p.Changes, Change{Action: Refused, Reasons: []string{fmt.Sprintf(
		"after this plan the %s would hold %d partition replicas, %d per broker, above limits.partitionsPerBroker %d (now %d per broker): declare fewer partitions or a lower replication factor, add brokers, or raise limits.partitionsPerBroker in %s",
		human.Plural(st.Brokers, "broker"), after, perBroker, limit, (before+int64(st.Brokers)-1)/int64(st.Brokers), file.Path)}})
}

func (p *Plan) count() {
	p.Summary = Summary{}
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			p.Summary.Create++
		case Update:
			p.Summary.Update++
		case Delete:
			p.Summary.Delete++
		case Refused:
			p.Summary.Refused++
		}
		if len(c.Risks) > 0 {
			p.Summary.Risky++
		}
	}
	for _, c := range p.BrokerConfigs {
		switch c.Action {
		case Update:
			p.Summary.Update++
		case Refused:
			p.Summary.Refused++
		}
		if len(c.Risks) > 0 {
			p.Summary.Risky++
		}
	}
	for _, c := range p.Access {
		switch c.Action {
		case Create:
			p.Summary.Create++
		case Update:
			p.Summary.Update++
		case Delete:
			p.Summary.Delete++
		case Refused:
			p.Summary.Refused++
		}
	}
}

func diffCreate(t topology.Topic, st *State, folded map[string]string) Change {
	c := Change{
		Action:            Create,
		Topic:             t.Name,
		Partitions:        &Count{0, t.Partitions},
		ReplicationFactor: &Count{0, int32(t.ReplicationFactor)},
	}
	for _, k := range t.SortedConfigNames() {
		c.Configs = append(c.Configs, ConfigChange{Name: k, Op: OpSet, New: new(t.Config[k])})
	}
	if other, ok := folded[topology.FoldName(t.Name)]; ok && other != t.Name {
		c.Reasons = append(c.Reasons, fmt.Sprintf("the cluster has topic %q, which collides with %q once '.' and '_' are folded: Kafka refuses to create it; rename one of them", other, t.Name))
	}
	if st.Brokers > 0 && int(t.ReplicationFactor) > st.Brokers {
		c.Reasons = append(c.Reasons, rfAboveBrokers(int32(t.ReplicationFactor), st.Brokers))
	}
	if len(c.Reasons) > 0 {
		c.Action = Refused
	}
	return c
}

func diffExisting(t topology.Topic, ts *TopicState, opts Options) (Change, []UnmanagedConfig) {
	c := Change{Action: Update, Topic: t.Name}
	if ts.Err != "" {
		c.Action = Refused
		c.Reasons = append(c.Reasons, "cannot read the topic's metadata: "+ts.Err)
		return c, nil
	}
	switch {
	case t.Partitions > ts.Partitions:
		c.Partitions = &Count{ts.Partitions, t.Partitions}
	case t.Partitions < ts.Partitions:
		c.Partitions = &Count{ts.Partitions, t.Partitions}
		c.Reasons = append(c.Reasons, partitionsDown(t, ts.Partitions))
	}
	if int16(t.ReplicationFactor) != ts.ReplicationFactor {
		c.ReplicationFactor = &Count{int32(ts.ReplicationFactor), int32(t.ReplicationFactor)}
		if t.Partitions > ts.Partitions {
			c.Reasons = append(c.Reasons, fmt.Sprintf(
				"partitions %d → %d and replicationFactor %d → %d in one apply: the new partitions would get the old factor while the others are reassigned; change one, apply, then the other",
				ts.Partitions, t.Partitions, ts.ReplicationFactor, t.ReplicationFactor))
		}
	}
	var unmanaged []UnmanagedConfig
	if ts.ConfigErr != "" {
		c.Reasons = append(c.Reasons, "cannot read the topic's configs, so config drift is unknown: "+ts.ConfigErr)
	} else {
		for _, k := range t.SortedConfigNames() {
			want := t.Config[k]
			cur, described := ts.Configs[k]
			if described && cur.Value != nil && topology.EqualConfigValues(k, *cur.Value, want) {
				continue // set to the same value, or inherited and equal to the broker default
			}
			cc := ConfigChange{Name: k, Op: OpSet, New: new(want)}
			if described {
				cc.Old, cc.OldSource = cur.Value, cur.Source
			}
			c.Configs = append(c.Configs, cc)
		}
		var extra []string
		for k, cur := range ts.Configs {
			if cur.Source != SourceTopic {
				continue
			}
			if _, named := t.Config[k]; named {
				continue
			}
			if cur.Default != nil && cur.Value != nil && topology.EqualConfigValues(k, *cur.Value, *cur.Default) {
				continue // same as the default: no drift
			}
			extra = append(extra, k)
		}
		sort.Strings(extra)
		for _, k := range extra {
			cur := ts.Configs[k]
			// A reassignment's throttled replicas are its state, not the
			// topic's: removing them mid-move would unthrottle it, and the
			// tool that set them (kctl rebalance) removes them when it ends.
			if opts.PruneConfigs && k != LeaderThrottledReplicas && k != FollowerThrottledReplica {
				c.Configs = append(c.Configs, ConfigChange{Name: k, Op: OpDelete, Old: cur.Value, OldSource: cur.Source, New: cur.Default})
				continue
			}
			unmanaged = append(unmanaged, UnmanagedConfig{Topic: t.Name, Name: k, Value: cur.Value})
		}
		sort.SliceStable(c.Configs, func(i, j int) bool { return c.Configs[i].Name < c.Configs[j].Name })
	}
	switch {
	case len(c.Reasons) > 0:
		c.Action = Refused
	case c.Partitions == nil && c.ReplicationFactor == nil && len(c.Configs) == 0:
		return Change{}, unmanaged
	}
	return c, unmanaged
}

func diffPrune(file *topology.File, st *State, opts Options, declared map[string]bool, p *Plan) {
	var candidates, protected []string
	for name, ts := range st.Topics {
		if declared[name] {
			continue
		}
		internal := ts.Internal || topology.IsInternalName(name)
		p.Undeclared = append(p.Undeclared, UndeclaredTopic{Name: name, Managed: file.Managed(name), Internal: internal})
		if !file.Managed(name) {
			continue
		}
		if internal {
			protected = append(protected, name)
			continue
		}
		candidates = append(candidates, name)
	}
	sort.Strings(candidates)
	sort.Strings(protected)
	slices.SortFunc(p.Undeclared, func(a, b UndeclaredTopic) int { return strings.Compare(a.Name, b.Name) })
	if !opts.Prune {
		if n := len(candidates); n > 0 {
			p.Notes = append(p.Notes, fmt.Sprintf("%s under managedPrefixes %s not declared in the file (%s); --prune would delete %s",
				countWord(n, "topic is", "topics are"), strings.Join(file.ManagedPrefixes, ", "), abbreviate(candidates, 5), pronoun(n)))
		}
		return
	}
	if len(file.ManagedPrefixes) == 0 {
		p.Notes = append(p.Notes, "--prune deletes nothing: the file sets no managedPrefixes, so no topic is managed")
		return
	}
	for _, name := range protected {
		p.Changes = append(p.Changes, Change{Action: Refused, Topic: name, Reasons: []string{
			"internal topic under managedPrefixes: kctl never deletes internal topics (__*, _schemas, _confluent*, connect-*); remove it from the cluster by hand if you must"}})
	}
	for _, name := range candidates { // limitDeletes refuses them past --max-deletes
		p.Changes = append(p.Changes, Change{Action: Delete, Topic: name})
	}
}

func countWord(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

func abbreviate(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(", … %d more", len(names)-max)
}

// planReplicationFactors computes the new replica lists of every update
// that changes a topic's replication factor, in one call of the
// reassignment planner (so the new replicas spread over the whole
// cluster), and refuses those it cannot plan: a factor above the brokers,
// or a planner error.
func planReplicationFactors(st *State, p *Plan) {
	goal := reassign.Goal{RF: map[string]int{}, NoBalance: true}
	var idx []int
	for i, c := range p.Changes {
		if c.Action != Update || c.ReplicationFactor == nil {
			continue
		}
		if ts := st.Topics[c.Topic]; ts != nil && len(ts.Reassigning) > 0 {
			p.Changes[i].Action = Refused
			p.Changes[i].Reasons = append(p.Changes[i].Reasons, fmt.Sprintf(
				"replicationFactor %d → %d: a reassignment is in progress for %s of this topic (%s): a new target would replace the move in flight; wait until it is done or cancel it (see kctl reassignments), then plan again",
				c.ReplicationFactor.From, c.ReplicationFactor.To, countWord(len(ts.Reassigning), "partition", "partitions"), partitionList(c.Topic, ts.Reassigning)))
			continue
		}
		if st.Brokers > 0 && int(c.ReplicationFactor.To) > st.Brokers {
			p.Changes[i].Action = Refused
			p.Changes[i].Reasons = append(p.Changes[i].Reasons, rfAboveBrokers(c.ReplicationFactor.To, st.Brokers))
			continue
		}
		goal.RF[c.Topic] = int(c.ReplicationFactor.To)
		goal.Topics = append(goal.Topics, c.Topic)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return
	}
	if st.ReassignmentsErr != "" {
		p.Notes = append(p.Notes, "the reassignments in progress could not be listed ("+st.ReassignmentsErr+"): a replicationFactor change over a partition being moved would replace its move; check kctl reassignments before applying")
	}
	in := reassign.Input{Brokers: st.BrokerRacks, Goal: goal}
	for _, ts := range st.Topics {
		in.Partitions = append(in.Partitions, ts.Assignment...)
	}
	res, err := reassign.Plan(in)
	for _, i := range idx {
		c := &p.Changes[i]
		if err != nil {
			c.Action = Refused
			c.Reasons = append(c.Reasons, fmt.Sprintf("replicationFactor %d → %d cannot be planned: %v", c.ReplicationFactor.From, c.ReplicationFactor.To, err))
			continue
		}
		c.Reassignments = []reassign.Move{}
		for _, m := range res.Moves {
			if m.Topic == c.Topic {
				c.Reassignments = append(c.Reassignments, m)
			}
		}
	}
}

// partitionList names a topic's partitions, the first five of them:
// "orders/0, orders/3, … 2 more".
func partitionList(topic string, ps []int32) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = fmt.Sprintf("%s/%d", topic, p)
	}
	return abbreviate(names, 5)
}
