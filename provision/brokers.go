package provision

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/observe"
	"github.com/kctl/kctl/topology"
)

// BrokerChange is a change of the dynamic configs of the cluster-wide
// default (Broker nil) or of one broker: the file's brokers: section
// (docs/broker-configs.md).
type BrokerChange struct {
	Action Action `json:"action" yaml:"action"` // update or refused
	// Broker is the broker id; nil for the cluster-wide default.
	Broker *int32 `json:"broker" yaml:"broker"`
	// Name is "broker default" or "broker 1".
	Name    string         `json:"name" yaml:"name"`
	Configs []ConfigChange `json:"configs,omitempty" yaml:"configs,omitempty"`
	Reasons []string       `json:"reasons,omitempty" yaml:"reasons,omitempty"`
	Risks   []Risk         `json:"risks,omitempty" yaml:"risks,omitempty"`
}

// UnmanagedBrokerConfig is a dynamic broker config the file's brokers:
// section does not name; --prune-configs removes it.
type UnmanagedBrokerConfig struct {
	Broker string  `json:"broker" yaml:"broker"` // "broker default", "broker 1"
	Name   string  `json:"name" yaml:"name"`
	Value  *string `json:"value" yaml:"value"`
}

// The risk kinds of broker config changes (besides retention-lowered,
// min-isr… and unclean-election-enabled, which they share with topics).
const (
	RiskMinISRLowered       = "min-isr-lowered"
	RiskListenerSecurityOff = "listener-security-removed"
	RiskClientAuthWeakened  = "client-auth-weakened"
)

// brokerStateKeys are broker configs kctl rebalance sets for the length of
// a move: --prune-configs never removes them (nor secrets, see diffBroker).
var brokerStateKeys = []string{"leader.replication.throttled.rate", "follower.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second"}

// diffBrokers adds to p the changes the file's brokers: section needs: the
// cluster-wide defaults, then each broker by id. Only when the file has a
// brokers: section (then st.BrokerConfigs was read).
func diffBrokers(file *topology.File, st *State, opts Options, p *Plan) {
	if file.Brokers == nil || st.BrokerConfigs == nil {
		return
	}
	p.BrokersManaged = true
	known := map[int32]bool{}
	var ids []string
	for _, b := range st.BrokerRacks {
		known[b.ID] = true
		ids = append(ids, strconv.Itoa(int(b.ID)))
	}
	sort.Slice(ids, func(i, j int) bool { a, _ := strconv.Atoi(ids[i]); b, _ := strconv.Atoi(ids[j]); return a < b })
	for _, o := range file.Brokers.Overrides {
		if !known[o.ID] {
			p.BrokerConfigs = append(p.BrokerConfigs, BrokerChange{Action: Refused, Broker: new(o.ID), Name: observe.BrokerLabel(o.ID), Reasons: []string{fmt.Sprintf(
				"brokers.overrides names broker %d (%s), which is not in the cluster: its brokers are %s; fix the id, or remove the override", o.ID, o.Pos, strings.Join(ids, ", "))}})
		}
	}
	for _, cur := range st.BrokerConfigs {
		want := file.Brokers.Config
		if cur.ID != observe.DefaultBroker {
			o, _ := file.Brokers.Override(cur.ID)
			want = o.Config
		}
		c := diffBroker(cur, want, opts, p)
		if c.Action != "" {
			p.BrokerConfigs = append(p.BrokerConfigs, c)
		}
	}
}

func diffBroker(cur observe.BrokerDynamicConfigs, want map[string]string, opts Options, p *Plan) BrokerChange {
	c := BrokerChange{Action: Update, Name: cur.Label()}
	if cur.ID != observe.DefaultBroker {
		c.Broker = new(cur.ID)
	}
	if cur.Err != nil {
		c.Action = Refused
		c.Reasons = []string{"cannot read its dynamic configs, so drift is unknown: " + cur.Err.Error()}
		return c
	}
	names := make([]string, 0, len(want))
	for k := range want {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		old, set := cur.Configs[k]
		if set && old != nil && topology.EqualBrokerConfigValues(k, *old, want[k]) {
			continue
		}
		cc := ConfigChange{Name: k, Op: OpSet, New: new(want[k])}
		if set {
			cc.Old, cc.OldSource = old, sourceOf(cur.ID)
		}
		c.Configs = append(c.Configs, cc)
	}
	var extra []string
	for k := range cur.Configs {
		if _, named := want[k]; !named {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		// Secrets are never removed: the file cannot declare them (a
		// broker hides their value), so their absence says nothing.
		spec, _ := topology.LookupBrokerConfig(k)
		if opts.PruneConfigs && !slices.Contains(brokerStateKeys, k) && !cur.Sensitive[k] && !spec.Sensitive {
			c.Configs = append(c.Configs, ConfigChange{Name: k, Op: OpDelete, Old: cur.Configs[k], OldSource: sourceOf(cur.ID)})
			continue
		}
		p.UnmanagedBrokers = append(p.UnmanagedBrokers, UnmanagedBrokerConfig{Broker: c.Name, Name: k, Value: cur.Configs[k]})
	}
	sort.SliceStable(c.Configs, func(i, j int) bool { return c.Configs[i].Name < c.Configs[j].Name })
	if len(c.Configs) == 0 {
		return BrokerChange{}
	}
	c.Risks = brokerRisks(c)
	return c
}

func sourceOf(id int32) string {
	if id == observe.DefaultBroker {
		return observe.SourceClusterDefault
	}
	return observe.SourceBroker
}

// brokerRisks returns the risks of a broker config change: lowering
// min.insync.replicas or a retention default, enabling unclean leader
// election, a listener losing its security, TLS client authentication
// weakened. It does no I/O.
func brokerRisks(c BrokerChange) []Risk {
	var out []Risk
	for _, cc := range c.Configs {
		old := valueOr(cc.Old, "")
		now := valueOr(cc.New, "")
		if cc.Op == OpDelete {
			now = ""
		}
		switch cc.Name {
		case "min.insync.replicas":
			o, err1 := strconv.Atoi(old)
			n, err2 := strconv.Atoi(now)
			// A removed value falls back to the static one, unknown here:
			// risky unless nothing is lower than the old value.
			if err1 == nil && ((cc.Op == OpDelete && o > 1) || (err2 == nil && n < o)) {
				to := now
				if cc.Op == OpDelete {
					to = "the static broker value"
				}
				out = append(out, Risk{Kind: RiskMinISRLowered, Message: fmt.Sprintf(
					"%s: min.insync.replicas %s → %s: acks=all writes to topics without their own setting survive fewer broker losses", c.Name, old, to)})
			}
		case "unclean.leader.election.enable":
			if strings.EqualFold(now, "true") && !strings.EqualFold(old, "true") {
				out = append(out, Risk{Kind: RiskUncleanElectionEnabled, Message: fmt.Sprintf(
					"%s: unclean.leader.election.enable → true: an out-of-sync replica may become leader and acknowledged records can be lost", c.Name)})
			}
		case "log.retention.ms", "log.retention.bytes":
			if cc.Old != nil && cc.Op == OpSet && lowerLimit(old, now) {
				out = append(out, Risk{Kind: RiskRetentionLowered, Message: fmt.Sprintf(
					"%s: %s %s → %s: topics without their own retention delete older data at once", c.Name, cc.Name, value(cc.Name, cc.Old), value(cc.Name, cc.New))})
			}
		case "listener.security.protocol.map":
			if lost := insecureListeners(old, now, cc.Op == OpDelete); len(lost) > 0 {
				out = append(out, Risk{Kind: RiskListenerSecurityOff, Message: fmt.Sprintf(
					"%s: listener.security.protocol.map: %s lose TLS or SASL: clients there are no longer encrypted or authenticated", c.Name, strings.Join(lost, ", "))})
			}
		case "ssl.client.auth":
			if old == "required" && now != "required" {
				out = append(out, Risk{Kind: RiskClientAuthWeakened, Message: fmt.Sprintf(
					"%s: ssl.client.auth required → %s: TLS clients no longer need a certificate", c.Name, valueOr(&now, "(removed)"))})
			}
		}
	}
	return out
}

// insecureListeners returns the listeners of a listener.security.protocol
// map whose protocol goes from TLS or SASL to one without it (or that the
// map no longer names, or all secured ones when it is removed).
func insecureListeners(old, now string, removed bool) []string {
	parse := func(s string) map[string]string {
		m := map[string]string{}
		for _, it := range strings.Split(s, ",") {
			if name, proto, ok := strings.Cut(strings.TrimSpace(it), ":"); ok {
				m[strings.ToUpper(name)] = strings.ToUpper(proto)
			}
		}
		return m
	}
	o, n := parse(old), parse(now)
	var out []string
	for name, p := range o {
		if p == "PLAINTEXT" {
			continue
		}
		q, still := n[name]
		if removed || !still || q == "PLAINTEXT" || (strings.HasPrefix(p, "SASL") && !strings.HasPrefix(q, "SASL")) || (strings.HasSuffix(p, "SSL") && !strings.HasSuffix(q, "SSL")) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// alterBrokerConfigs sends the broker config changes in one
// IncrementalAlterConfigs request (the client routes each broker's
// resource to that broker) and records each resource's answer.
func (a *applier) alterBrokerConfigs(ctx context.Context, cs []BrokerChange, items map[int]int) {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = a.opts.DryRun
	index := map[string]int{}
	for i, c := range cs {
		if c.Action != Update {
			continue
		}
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeBroker
		if c.Broker != nil {
			r.ResourceName = strconv.Itoa(int(*c.Broker))
		}
		index[r.ResourceName] = i
		for _, cc := range c.Configs {
			rc := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
			rc.Name = cc.Name
			if cc.Op == OpDelete {
				rc.Op = kmsg.IncrementalAlterConfigOpDelete
			} else {
				rc.Op = kmsg.IncrementalAlterConfigOpSet
				rc.Value = cc.New
			}
			r.Configs = append(r.Configs, rc)
		}
		req.Resources = append(req.Resources, r)
	}
	if len(req.Resources) == 0 {
		return
	}
	a.res.Requests["IncrementalAlterConfigs"]++
	resp, err := req.RequestWith(ctx, a.cl)
	answered := map[int]bool{}
	if resp != nil {
		for _, r := range resp.Resources {
			i, ok := index[r.ResourceName]
			if !ok || r.ResourceType != kmsg.ConfigResourceTypeBroker {
				continue
			}
			answered[i] = true
			if r.ErrorCode != 0 {
				a.failItem(items[i], "broker configs", kerrText(r.ErrorCode, r.ErrorMessage))
			}
		}
	}
	for _, i := range index {
		if answered[i] {
			continue
		}
		why := "the broker did not answer for it"
		if err != nil {
			why = err.Error()
		}
		a.failItem(items[i], "broker configs", why)
	}
}

func (a *applier) failItem(i int, step, err string) {
	it := &a.res.Items[i]
	it.OK = false
	it.Error = step + ": " + err
}

// applyBrokers adds an item per broker change to the result and sends
// them.
func (a *applier) applyBrokers(ctx context.Context, plan *Plan) {
	items := map[int]int{}
	for i, c := range plan.BrokerConfigs {
		if c.Action != Update {
			continue
		}
		items[i] = len(a.res.Items)
		a.res.Items = append(a.res.Items, ItemResult{Action: Update, Kind: KindBroker, Name: strings.TrimPrefix(c.Name, "broker "), OK: true})
	}
	a.alterBrokerConfigs(ctx, plan.BrokerConfigs, items)
}

// KindBroker is the ItemResult kind of a broker config change (its Name is
// "default" or the broker id).
const KindBroker = "broker"

// brokerChangesAsTopics returns the broker changes as the plan printer's
// changes ("~ update broker default").
func brokerChangesAsTopics(cs []BrokerChange) []Change {
	out := make([]Change, len(cs))
	for i, c := range cs {
		out[i] = Change{Action: c.Action, Topic: c.Name, Configs: c.Configs, Reasons: c.Reasons, Risks: c.Risks}
	}
	return out
}

// digestBrokers adds the observed dynamic broker configs to a saved plan's
// items.
func digestBrokers(st *State, items map[string]string) {
	for _, b := range st.BrokerConfigs {
		key := b.Label()
		if b.Err != nil {
			items[key+": error"] = b.Err.Error()
			continue
		}
		for n, v := range b.Configs {
			items[key+": "+n] = valueOr(v, "(hidden)")
		}
	}
}

// ExportBrokers returns the brokers: section of the cluster's dynamic
// broker configs (nil when it has none), and the configs it leaves out,
// as comments, with why: secrets, read-only keys, values kctl refuses.
func ExportBrokers(cfgs []observe.BrokerDynamicConfigs) (*topology.Brokers, []string, error) {
	var out topology.Brokers
	var skipped []string
	any := false
	for _, b := range cfgs {
		if b.Err != nil {
			return nil, nil, b.Err
		}
		per := b.ID != observe.DefaultBroker
		keep := map[string]string{}
		for n, v := range b.Configs {
			if v == nil || b.Sensitive[n] {
				skipped = append(skipped, fmt.Sprintf("%s: %s is a secret the broker does not report: not exported", b.Label(), n))
				continue
			}
			if why := topology.CheckBrokerConfig(n, *v, per); why != "" {
				skipped = append(skipped, fmt.Sprintf("%s: %s = %s: %s", b.Label(), n, *v, why))
				continue
			}
			keep[n] = *v
		}
		if len(keep) == 0 {
			continue
		}
		any = true
		if per {
			out.Overrides = append(out.Overrides, topology.BrokerOverride{ID: b.ID, Config: keep})
		} else {
			out.Config = keep
		}
	}
	sort.Strings(skipped)
	if !any {
		return nil, skipped, nil
	}
	return &out, skipped, nil
}

// writeUnmanagedBrokers prints the dynamic broker configs the file does
// not name.
func writeUnmanagedBrokers(ew *errWriter, p *Plan) {
	if len(p.UnmanagedBrokers) == 0 {
		return
	}
	ew.printf("\nUnmanaged broker configs (set on the cluster, not in %s's brokers:; left alone, --prune-configs removes them):\n", p.File)
	width := 0
	for _, u := range p.UnmanagedBrokers {
		width = max(width, len(u.Broker))
	}
	for _, u := range p.UnmanagedBrokers {
		ew.printf("  %-*s  %s = %s\n", width, u.Broker, u.Name, value(u.Name, u.Value))
	}
}
