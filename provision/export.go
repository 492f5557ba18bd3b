package provision

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ExportOptions choose what Export writes.
type ExportOptions struct {
	// Patterns are topic names, or prefixes ending in '*' ("user.*");
	// none means every topic.
	Patterns []string
	// All includes internal topics (__*, _schemas, _confluent*,
	// connect-*), which are otherwise left out even when a pattern
	// matches them.
	All bool
	// ManagedPrefixes become the file's managedPrefixes.
	ManagedPrefixes []string
	// Access also reads the cluster's ACLs, SCRAM users and client quotas
	// (one request each, while the topics are read) and writes them as the
	// file's users:, acls:, quotas: and managedPrincipals (Export.Access).
	Access bool
	// Brokers also reads the dynamic broker configs (the cluster-wide
	// default and each broker's) and writes them as the file's brokers:
	// section (see ExportBrokers).
	Brokers bool
}

// Export is what `kctl export` read from a cluster: the topics file to
// write (Spec), and what the operator must know about it.
type Export struct {
	ClusterID string        `json:"clusterId" yaml:"clusterId"`
	Spec      topology.Spec `json:"-" yaml:"-"`
	// Topics is how many topics the file declares.
	Topics int `json:"topics" yaml:"topics"`
	// Internal is how many internal topics were left out (no --all).
	Internal int `json:"internalLeftOut" yaml:"internalLeftOut"`
	// Unchecked are configs written to the file that kctl cannot
	// validate (vendor configs passed through), or could not take and
	// wrote as comments (unknown names, values it refuses).
	Unchecked []ExportedConfig `json:"unchecked" yaml:"unchecked"`
	// MixedReplicas are topics whose partitions have different replica
	// counts (written with the most common one and a comment).
	MixedReplicas []string `json:"mixedReplicas" yaml:"mixedReplicas"`
	// Failed are topics that could not be read whole: left out
	// (metadata error) or written without configs (DescribeConfigs
	// error); each with why.
	Failed []ExportFailure `json:"failed" yaml:"failed"`
	// BrokerNotes are the dynamic broker configs left out of brokers:,
	// each with why.
	BrokerNotes []string `json:"brokerNotes,omitempty" yaml:"brokerNotes,omitempty"`
	// Access is what was made of the cluster's access (nil: not read).
	Access *AccessExport `json:"access,omitempty" yaml:"access,omitempty"`
}

// ExportedConfig is a config kctl cannot validate.
type ExportedConfig struct {
	Topic string `json:"topic" yaml:"topic"`
	Name  string `json:"name" yaml:"name"`
	Value string `json:"value" yaml:"value"`
	// Commented: written as a comment (the file would not validate
	// with it), rather than as a config.
	Commented bool   `json:"commented" yaml:"commented"`
	Why       string `json:"why" yaml:"why"`
}

// ExportFailure is a topic that could not be read whole.
type ExportFailure struct {
	Topic string `json:"topic" yaml:"topic"`
	Error string `json:"error" yaml:"error"`
	// LeftOut: not in the file at all (else written without configs).
	LeftOut bool `json:"leftOut" yaml:"leftOut"`
}

// ErrNoMatch is wrapped by Export's error when a pattern matches no topic.
var ErrNoMatch = errors.New("no topic matches")

// ExportObserved is what an export is built from: the cluster's
// Metadata answer, the DescribeConfigs answer for the topics chosen, and
// with ExportOptions.Access the cluster's access.
type ExportObserved struct {
	Metadata *observe.Cluster
	// Configs are the chosen topics' configs, or why they could not be
	// read (observe.Configs); a topic absent was not described.
	Configs map[string]observe.TopicConfigs
	access  *accessRead // nil: not read
	// Brokers are the dynamic broker configs (ExportOptions.Brokers).
	Brokers []observe.BrokerDynamicConfigs
}

// ExportTopics reads the cluster in two requests whatever the number of
// topics (one Metadata for every topic, one DescribeConfigs for the chosen
// ones: ObserveExport) and returns the topics file that declares them
// (BuildExport): partitions, the replication factor, and only the configs
// set on the topic itself (DYNAMIC_TOPIC_CONFIG), never broker defaults.
// What every topic shares (replication factor, identical configs) goes to
// defaults:; topics are sorted by name. It returns an error when metadata
// cannot be read, or wrapping ErrNoMatch naming the patterns that match no
// topic; a topic whose configs cannot be read is kept, in Failed. With
// opts.Access the cluster's access is read too, by three more requests
// sent at once with the topics' (DescribeAcls,
// DescribeUserScramCredentials, DescribeClientQuotas); a part that cannot
// be read is in Export.Access, never an error of ExportTopics.
func ExportTopics(ctx context.Context, cl kmsg.Requestor, opts ExportOptions) (*Export, error) {
	obs, err := ObserveExport(ctx, cl, opts)
	if err != nil {
		return nil, err
	}
	return BuildExport(obs, opts)
}

func checkPatterns(patterns []string) error {
	for _, p := range patterns {
		if p == "" {
			return errors.New("export: an empty topic pattern: give topic names or prefixes such as user.*")
		}
	}
	return nil
}

// ObserveExport reads what BuildExport needs: the Metadata of every
// topic, the DescribeConfigs of the topics opts chooses (not sent when the
// choice is refused: BuildExport says why), and with opts.Access the
// cluster's access (concurrently). It returns an error only when the
// options are bad or the metadata cannot be read.
func ObserveExport(ctx context.Context, cl kmsg.Requestor, opts ExportOptions) (*ExportObserved, error) {
	if err := checkPatterns(opts.Patterns); err != nil {
		return nil, err
	}
	var access chan *accessRead
	if opts.Access {
		access = make(chan *accessRead, 1)
		go func() { access <- readAccess(ctx, cl) }()
	}
	meta, err := observe.Metadata(ctx, cl, nil)
	if err != nil {
		return nil, err
	}
	obs := &ExportObserved{Metadata: meta}
	if sel, err := selectExport(meta, opts); err == nil {
		obs.Configs, _ = observe.Configs(ctx, cl, sel.names, false)
	}
	if opts.Brokers {
		ids := make([]int32, 0, len(meta.Brokers))
		for _, b := range meta.Brokers {
			ids = append(ids, b.ID)
		}
		slices.Sort(ids)
		obs.Brokers, _ = observe.BrokerConfigs(ctx, cl, ids) // each one's error is kept
	}
	if access != nil {
		obs.access = <-access
	}
	return obs, nil
}

// exportSelection is the topics an export declares, from the metadata.
type exportSelection struct {
	ex     *Export
	byName map[string]*topology.SpecTopic
	names  []string // sorted
}

// selectExport chooses the topics from the metadata: those the patterns
// match, internal ones only with All, each with its partitions and
// replication factor. It refuses patterns matching nothing and managed
// prefixes covering live topics left out.
func selectExport(meta *observe.Cluster, opts ExportOptions) (*exportSelection, error) {
	ex := &Export{ClusterID: meta.ClusterID, Unchecked: []ExportedConfig{}, MixedReplicas: []string{}, Failed: []ExportFailure{}}
	matched := make([]bool, len(opts.Patterns))
	byName := map[string]*topology.SpecTopic{}
	var names, live []string
	for _, t := range meta.Topics {
		name := t.Name
		internal := t.Internal || topology.IsInternalName(name)
		if !internal {
			live = append(live, name)
		}
		if !matchAny(name, opts.Patterns, matched) {
			continue
		}
		if internal && !opts.All {
			ex.Internal++
			continue
		}
		if t.Err != nil {
			ex.Failed = append(ex.Failed, ExportFailure{Topic: name, Error: "metadata: " + t.Err.Error(), LeftOut: true})
			continue
		}
		st := &topology.SpecTopic{Name: name, Partitions: int32(len(t.Partitions)), Config: map[string]string{}}
		counts := map[int]int{}
		for _, p := range t.Partitions {
			counts[len(p.Replicas)]++
		}
		rf, comment := commonReplicas(counts)
		st.ReplicationFactor, st.Comment = int16(rf), comment
		if comment != "" {
			ex.MixedReplicas = append(ex.MixedReplicas, name)
		}
		byName[name] = st
		names = append(names, name)
	}
	var unmatched []string
	for i, ok := range matched {
		if !ok {
			unmatched = append(unmatched, opts.Patterns[i])
		}
	}
	if len(unmatched) > 0 {
		return nil, fmt.Errorf("%w %s on cluster %q: check the names (kctl describe topics lists them)", ErrNoMatch, strings.Join(quoteAll(unmatched), ", "), ex.ClusterID)
	}
	sort.Strings(names)
	sort.Strings(ex.MixedReplicas)
	if err := checkManagedPrefixes(opts.ManagedPrefixes, live, names, ex.ClusterID); err != nil {
		return nil, err
	}
	return &exportSelection{ex: ex, byName: byName, names: names}, nil
}

// BuildExport is the export of what was observed: the topics file (Spec)
// declaring the topics opts chooses, and what the operator must know
// about it. It does no I/O; its errors are ExportTopics'.
func BuildExport(obs *ExportObserved, opts ExportOptions) (*Export, error) {
	if err := checkPatterns(opts.Patterns); err != nil {
		return nil, err
	}
	if obs == nil || obs.Metadata == nil {
		return nil, errors.New("export: no cluster metadata observed")
	}
	sel, err := selectExport(obs.Metadata, opts)
	if err != nil {
		return nil, err
	}
	ex, byName, names := sel.ex, sel.byName, sel.names
	for _, n := range names {
		st := byName[n]
		tc, ok := obs.Configs[n]
		if !ok {
			tc.Err = observe.ErrNotAnswered // not observed
		}
		if tc.Err != nil {
			why := tc.Reason()
			ex.Failed = append(ex.Failed, ExportFailure{Topic: n, Error: "describe configs: " + why})
			st.Comment = joinComment(st.Comment, "configs could not be read ("+why+"): none are exported")
			continue
		}
		for _, c := range tc.Configs {
			if c.Source == observe.SourceTopic {
				exportConfig(ex, st, c)
			}
		}
	}

	spec := topology.Spec{ManagedPrefixes: opts.ManagedPrefixes, Topics: make([]topology.SpecTopic, 0, len(names))}
	for _, n := range names {
		spec.Topics = append(spec.Topics, *byName[n])
	}
	factorDefaults(&spec)
	spec.Comment = exportComment(ex, len(names), opts.All)
	if opts.Access {
		ar := obs.access
		if ar == nil {
			ar = &accessRead{aclErr: errNotObserved, userErr: errNotObserved, quotErr: errNotObserved}
		}
		spec.Access, ex.Access = exportAccess(ar)
		if ex.Access.Users+ex.Access.ACLs+ex.Access.Quotas > 0 || len(ex.Access.Skipped)+len(ex.Access.Failed)+len(ex.Access.LeftOut) > 0 {
			spec.Comment += "\n" + accessComment(ex.Access)
		}
	}
	if opts.Brokers {
		b, notes, err := ExportBrokers(obs.Brokers)
		if err != nil {
			notes = []string{"brokers: not exported: " + err.Error()}
		}
		spec.Brokers, ex.BrokerNotes = b, notes
	}
	ex.Spec, ex.Topics = spec, len(names)
	sort.SliceStable(ex.Failed, func(i, j int) bool { return ex.Failed[i].Topic < ex.Failed[j].Topic })
	return ex, nil
}

// errNotObserved is a part of the access BuildExport was asked for but
// the observation did not read.
var errNotObserved = errors.New("not read (the observation was made without access)")

// exportConfig adds one dynamic topic config c to st: as a config when
// topics.yaml can take it (vendor configs too, noted in Unchecked), as a
// comment when it cannot (unknown to kctl, a value kctl refuses, or a
// sensitive value the broker does not show).
func exportConfig(ex *Export, st *topology.SpecTopic, c observe.Config) {
	if c.Value == nil || c.Sensitive {
		why := "sensitive: the broker does not show its value; set it by hand"
		st.Disabled = append(st.Disabled, topology.DisabledConfig{Name: c.Name, Value: "…", Why: why})
		ex.Unchecked = append(ex.Unchecked, ExportedConfig{Topic: st.Name, Name: c.Name, Commented: true, Why: why})
		return
	}
	v := *c.Value
	switch check, msg := topology.CheckConfig(c.Name, v); check {
	case topology.ConfigValid:
		st.Config[c.Name] = v
	case topology.ConfigPassThrough:
		st.Config[c.Name] = v
		ex.Unchecked = append(ex.Unchecked, ExportedConfig{Topic: st.Name, Name: c.Name, Value: v,
			Why: "not an Apache Kafka topic config: exported and passed through unchecked (validate warns)"})
	default:
		why := msg + ": kctl validate would refuse it, so it is a comment; uncomment it once it is valid"
		st.Disabled = append(st.Disabled, topology.DisabledConfig{Name: c.Name, Value: v, Why: msg})
		ex.Unchecked = append(ex.Unchecked, ExportedConfig{Topic: st.Name, Name: c.Name, Value: v, Commented: true, Why: why})
	}
}

// matchAny reports whether name matches one of patterns (an exact name,
// or a prefix ending in '*'), marking each pattern that matches. No
// patterns match everything.
func matchAny(name string, patterns []string, matched []bool) bool {
	if len(patterns) == 0 {
		return true
	}
	hit := false
	for i, p := range patterns {
		ok := name == p
		if pre, isPrefix := strings.CutSuffix(p, "*"); isPrefix {
			ok = strings.HasPrefix(name, pre)
		}
		if ok {
			matched[i], hit = true, true
		}
	}
	return hit
}

// commonReplicas returns the most common replica count of a topic's
// partitions (the larger on a tie), and a comment when the counts differ.
func commonReplicas(counts map[int]int) (int, string) {
	best := 0
	for n, c := range counts {
		if c > counts[best] || (c == counts[best] && n > best) {
			best = n
		}
	}
	if len(counts) <= 1 {
		return best, ""
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s with %d", human.Plural(counts[n], "partition"), n))
	}
	return best, fmt.Sprintf("its partitions have different replica counts (%s): exported with the most common, %d", strings.Join(parts, ", "), best)
}

// factorDefaults moves what every topic shares into defaults: the
// replication factor and each config with the same value on all of them.
// With fewer than two topics there is nothing to factor.
func factorDefaults(s *topology.Spec) {
	if len(s.Topics) < 2 {
		return
	}
	rf := s.Topics[0].ReplicationFactor
	shared := maps.Clone(s.Topics[0].Config)
	for _, t := range s.Topics[1:] {
		if t.ReplicationFactor != rf {
			rf = 0
		}
		for k, v := range shared {
			if w, ok := t.Config[k]; !ok || w != v {
				delete(shared, k)
			}
		}
	}
	if rf > 0 {
		s.Defaults.ReplicationFactor = rf
	}
	if len(shared) > 0 {
		s.Defaults.Config = shared
	}
	for i := range s.Topics {
		t := &s.Topics[i]
		if rf > 0 {
			t.ReplicationFactor = 0
		}
		for k := range shared {
			delete(t.Config, k)
		}
	}
}

func exportComment(ex *Export, n int, all bool) string {
	c := fmt.Sprintf("kctl export of cluster %q: %s", ex.ClusterID, human.Plural(n, "topic"))
	switch {
	case all:
		c += ", internal topics included (--all)"
	case ex.Internal > 0:
		c += fmt.Sprintf("; %s left out (--all includes them)", human.Plural(ex.Internal, "internal topic"))
	}
	c += ".\nOnly configs set on the topics themselves are written, never broker defaults."
	return c
}

func joinComment(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
