package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Defaults of ApplyOptions.
const (
	DefaultBrokerTimeout = 30 * time.Second
	DefaultLeaderWait    = 30 * time.Second
	// DefaultMaxRequestBytes keeps each request well under Kafka's
	// socket.request.max.bytes (100 MiB).
	DefaultMaxRequestBytes = 4 << 20
	// DefaultMaxRecordsPerRequest is the KRaft controller's limit on the
	// metadata records one request may create (a topic, each partition
	// and each config is one); larger requests fail with "Excessively
	// large number of partitions per request" (KAFKA-17870, KAFKA-14996).
	DefaultMaxRecordsPerRequest = 10000
)

// ApplyOptions tune Apply. Zero values take the defaults above.
type ApplyOptions struct {
	// DryRun sends every request with ValidateOnly: the brokers check
	// each change and nothing changes. DeleteTopics has no validate-only
	// mode, so deletes are not sent.
	DryRun bool
	// BrokerTimeout is the broker-side timeout of CreateTopics,
	// CreatePartitions and DeleteTopics.
	BrokerTimeout time.Duration
	// LeaderWait bounds the wait for created topics to have leaders.
	LeaderWait time.Duration
	// MaxRequestBytes and MaxRecordsPerRequest split a batch; there is
	// one request per kind of change unless a batch exceeds them.
	MaxRequestBytes      int
	MaxRecordsPerRequest int
	// SkipReassignments leaves the replica lists of replication-factor
	// changes to the caller (kctl apply --throttle carries them out with
	// the rebalance Executor: batched, throttled, resumable).
	SkipReassignments bool
	// Getenv reads the environment variables SCRAM passwords come from
	// (nil: os.Getenv).
	Getenv func(string) string
}

func (o ApplyOptions) withDefaults() ApplyOptions {
	if o.BrokerTimeout <= 0 {
		o.BrokerTimeout = DefaultBrokerTimeout
	}
	if o.LeaderWait <= 0 {
		o.LeaderWait = DefaultLeaderWait
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if o.MaxRecordsPerRequest <= 0 {
		o.MaxRecordsPerRequest = DefaultMaxRecordsPerRequest
	}
	return o
}

// ItemResult is the outcome of one change of the plan.
type ItemResult struct {
	Action Action `json:"action" yaml:"action"`
	Topic  string `json:"topic" yaml:"topic"`
	// Kind and Name are set for an access change (acl, user, quota; Topic
	// is then "").
	Kind string `json:"kind,omitempty" yaml:"kind,omitempty"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`
	OK   bool   `json:"ok" yaml:"ok"`
	// Error says what failed ("" when OK), prefixed by the step:
	// create, partitions, configs, delete or leaders.
	Error string `json:"error,omitempty" yaml:"error,omitempty"`
	// Skipped says why a change was not sent (deletes in a dry run).
	Skipped string `json:"skipped,omitempty" yaml:"skipped,omitempty"`
	// Unchecked says which part of a change a dry run could not check
	// (the reassignment of an update that also changes configs).
	Unchecked string `json:"unchecked,omitempty" yaml:"unchecked,omitempty"`
}

// Result is what Apply did: one item per change, in plan order.
type Result struct {
	DryRun bool         `json:"dryRun" yaml:"dryRun"`
	Items  []ItemResult `json:"items" yaml:"items"`
	// Requests counts the requests Apply sent, by Kafka API name.
	Requests map[string]int `json:"requests" yaml:"requests"`
	// Reassigning counts the partitions whose reassignment Kafka accepted
	// (replication-factor changes): the brokers copy the data in the
	// background, and `kctl reassignments` shows the progress.
	Reassigning int `json:"reassigning" yaml:"reassigning"`
}

// Failed returns the items that failed.
func (r Result) Failed() []ItemResult {
	var out []ItemResult
	for _, it := range r.Items {
		if !it.OK && it.Skipped == "" {
			out = append(out, it)
		}
	}
	return out
}

// Count returns how many items of action succeeded.
func (r Result) Count(a Action) int {
	n := 0
	for _, it := range r.Items {
		if it.Action == a && it.OK {
			n++
		}
	}
	return n
}

// ApplyError names every change that failed.
type ApplyError struct{ Failed []ItemResult }

func (e *ApplyError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = fmt.Sprintf("%s %s: %s", f.Action, f.Label(), f.Error)
	}
	return fmt.Sprintf("%s failed: %s", countWord(len(e.Failed), "change", "changes"), strings.Join(parts, "; "))
}

// Label names the item: the topic in quotes, or the access change's kind
// and name ("acl User:x allow read on topic t").
func (it ItemResult) Label() string {
	if it.Kind != "" {
		return it.Kind + " " + it.Name
	}
	return fmt.Sprintf("%q", it.Topic)
}

// ErrRefused is returned by Apply for a plan with a refused change: such a
// plan is never applied, not even in part.
var ErrRefused = errors.New("the plan has refused changes: nothing was applied")

// Apply carries out plan: one CreateTopics for every create, one
// CreatePartitions for every partition increase, one
// IncrementalAlterConfigs for every config change and one DeleteTopics for
// every delete, each split only when it would exceed the size limits. One
// failing topic does not stop the others. It then waits until every created
// topic has a leader for each partition.
//
// Access changes follow (see applyAccess); the passwords of the SCRAM
// credentials it sets are read first, and a *PasswordError (nothing sent)
// names each one that cannot be read.
//
// It carries out only the plan of a Decision of Gate that allows it:
// it returns ErrRefused (sending nothing) for a refused plan, the
// decision's *GateError when the gate refused it, ErrNotGated for a plan
// changed since the decision (or one allowed for a dry run only, applied
// for real), and an *ApplyError naming each failed change when any fails;
// the Result holds every item either way.
func Apply(ctx context.Context, cl kmsg.Requestor, d Decision, opts ApplyOptions) (Result, error) {
	opts = opts.withDefaults()
	res := Result{DryRun: opts.DryRun, Items: []ItemResult{}, Requests: map[string]int{}}
	plan := d.Plan()
	if plan == nil {
		return res, ErrNotGated
	}
	if plan.IsRefused() {
		return res, ErrRefused
	}
	if err := d.check(plan, opts.DryRun); err != nil {
		return res, err
	}
	var passwords map[string]string
	if !opts.DryRun {
		var err error
		if passwords, err = readPasswords(plan, opts.Getenv); err != nil {
			return res, err
		}
	}
	a := &applier{cl: cl, opts: opts, res: &res, item: map[string]int{}}
	var creates, partitions, configs, deletes, reassigns []Change
	for _, c := range plan.Changes {
		a.item[c.Topic] = len(res.Items)
		res.Items = append(res.Items, ItemResult{Action: c.Action, Topic: c.Topic, OK: true})
		switch c.Action {
		case Create:
			creates = append(creates, c)
		case Update:
			if c.Partitions != nil {
				partitions = append(partitions, c)
			}
			if len(c.Configs) > 0 {
				configs = append(configs, c)
			}
			if len(c.Reassignments) > 0 && !opts.SkipReassignments {
				reassigns = append(reassigns, c)
			}
		case Delete:
			deletes = append(deletes, c)
		}
	}
	a.createTopics(ctx, creates)
	a.createPartitions(ctx, partitions)
	a.alterConfigs(ctx, configs)
	a.reassign(ctx, reassigns)
	a.deleteTopics(ctx, deletes)
	a.applyBrokers(ctx, plan)
	aa := &accessApplier{applier: a, index: map[int]int{}}
	for i, c := range plan.Access {
		if c.Action == Refused {
			continue
		}
		aa.index[i] = len(res.Items)
		res.Items = append(res.Items, ItemResult{Action: c.Action, Kind: c.Kind, Name: c.Name, OK: true})
	}
	aa.applyAccess(ctx, plan.Access, passwords)
	if !opts.DryRun {
		a.waitLeaders(ctx, creates)
	}
	if failed := res.Failed(); len(failed) > 0 {
		return res, &ApplyError{Failed: failed}
	}
	return res, nil
}

type applier struct {
	cl   kmsg.Requestor
	opts ApplyOptions
	res  *Result
	item map[string]int
}

func (a *applier) fail(topic, step string, err string) {
	it := &a.res.Items[a.item[topic]]
	if !it.OK { // keep the first failure of a topic
		return
	}
	it.OK = false
	it.Error = step + ": " + err
}

func (a *applier) timeoutMillis() int32 { return int32(a.opts.BrokerTimeout / time.Millisecond) }

// chunk splits changes so that each part stays within the byte and record
// limits; a single change larger than a limit is a part of its own.
func chunk(cs []Change, bytesOf, recordsOf func(Change) int, maxBytes, maxRecords int) [][]Change {
	var out [][]Change
	var cur []Change
	b, r := 0, 0
	for _, c := range cs {
		cb, cr := bytesOf(c), recordsOf(c)
		if len(cur) > 0 && (b+cb > maxBytes || r+cr > maxRecords) {
			out = append(out, cur)
			cur, b, r = nil, 0, 0
		}
		cur = append(cur, c)
		b, r = b+cb, r+cr
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func configBytes(c Change) int {
	n := 0
	for _, cc := range c.Configs {
		n += 6 + len(cc.Name)
		if cc.New != nil {
			n += len(*cc.New)
		}
	}
	return n
}

func kerrText(code int16, msg *string) string {
	return withMessage(kerr.ErrorForCode(code), msg)
}

func (a *applier) createTopics(ctx context.Context, cs []Change) {
	parts := chunk(cs,
		func(c Change) int { return 24 + len(c.Topic) + configBytes(c) },
		func(c Change) int { return 1 + int(c.Partitions.To) + len(c.Configs) },
		a.opts.MaxRequestBytes, a.opts.MaxRecordsPerRequest)
	for _, part := range parts {
		req := kmsg.NewPtrCreateTopicsRequest()
		req.TimeoutMillis = a.timeoutMillis()
		req.ValidateOnly = a.opts.DryRun
		for _, c := range part {
			t := kmsg.NewCreateTopicsRequestTopic()
			t.Topic = c.Topic
			t.NumPartitions = c.Partitions.To
			t.ReplicationFactor = int16(c.ReplicationFactor.To)
			for _, cc := range c.Configs {
				rc := kmsg.NewCreateTopicsRequestTopicConfig()
				rc.Name, rc.Value = cc.Name, cc.New
				t.Configs = append(t.Configs, rc)
			}
			req.Topics = append(req.Topics, t)
		}
		a.res.Requests["CreateTopics"]++
		resp, err := req.RequestWith(ctx, a.cl)
		var answers []topicAnswer
		if err == nil {
			for _, t := range resp.Topics {
				answers = append(answers, topicAnswer{t.Topic, t.ErrorCode, t.ErrorMessage})
			}
		}
		a.record("create", part, answers, err)
	}
}

// topicAnswer is one topic's outcome in a broker's response.
type topicAnswer struct {
	topic string
	code  int16
	msg   *string
}

// record fails each answered topic whose answer carries an error code, and
// each topic of part the response did not answer at all (naming err when
// the request itself failed).
func (a *applier) record(what string, part []Change, answers []topicAnswer, err error) {
	answered := make(map[string]bool, len(answers))
	for _, t := range answers {
		answered[t.topic] = true
		if t.code != 0 {
			a.fail(t.topic, what, kerrText(t.code, t.msg))
		}
	}
	for _, c := range part {
		if !answered[c.Topic] {
			a.fail(c.Topic, what, noAnswer(err))
		}
	}
}

func noAnswer(err error) string {
	if err != nil {
		return err.Error()
	}
	return "the broker did not answer for this topic"
}

func (a *applier) createPartitions(ctx context.Context, cs []Change) {
	parts := chunk(cs,
		func(c Change) int { return 16 + len(c.Topic) },
		func(c Change) int { return 1 + int(c.Partitions.To-c.Partitions.From) },
		a.opts.MaxRequestBytes, a.opts.MaxRecordsPerRequest)
	for _, part := range parts {
		req := kmsg.NewPtrCreatePartitionsRequest()
		req.TimeoutMillis = a.timeoutMillis()
		req.ValidateOnly = a.opts.DryRun
		for _, c := range part {
			t := kmsg.NewCreatePartitionsRequestTopic()
			t.Topic = c.Topic
			t.Count = c.Partitions.To
			req.Topics = append(req.Topics, t)
		}
		a.res.Requests["CreatePartitions"]++
		resp, err := req.RequestWith(ctx, a.cl)
		var answers []topicAnswer
		if err == nil {
			for _, t := range resp.Topics {
				answers = append(answers, topicAnswer{t.Topic, t.ErrorCode, t.ErrorMessage})
			}
		}
		a.record("partitions", part, answers, err)
	}
}

func (a *applier) alterConfigs(ctx context.Context, cs []Change) {
	parts := chunk(cs,
		func(c Change) int { return 16 + len(c.Topic) + configBytes(c) },
		func(c Change) int { return len(c.Configs) },
		a.opts.MaxRequestBytes, a.opts.MaxRecordsPerRequest)
	for _, part := range parts {
		req := kmsg.NewPtrIncrementalAlterConfigsRequest()
		req.ValidateOnly = a.opts.DryRun
		for _, c := range part {
			r := kmsg.NewIncrementalAlterConfigsRequestResource()
			r.ResourceType = kmsg.ConfigResourceTypeTopic
			r.ResourceName = c.Topic
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
		a.res.Requests["IncrementalAlterConfigs"]++
		resp, err := req.RequestWith(ctx, a.cl)
		var answers []topicAnswer
		if resp != nil { // sharded: a partial response survives a shard's error
			for _, r := range resp.Resources {
				answers = append(answers, topicAnswer{r.ResourceName, r.ErrorCode, r.ErrorMessage})
			}
		}
		a.record("configs", part, answers, err)
	}
}

func (a *applier) deleteTopics(ctx context.Context, cs []Change) {
	if a.opts.DryRun {
		for _, c := range cs {
			it := &a.res.Items[a.item[c.Topic]]
			it.OK = false
			it.Skipped = "not checked: Kafka has no validate-only delete"
		}
		return
	}
	parts := chunk(cs,
		func(c Change) int { return 8 + len(c.Topic) },
		func(Change) int { return 1 },
		a.opts.MaxRequestBytes, a.opts.MaxRecordsPerRequest)
	for _, part := range parts {
		req := kmsg.NewPtrDeleteTopicsRequest()
		req.TimeoutMillis = a.timeoutMillis()
		for _, c := range part {
			req.TopicNames = append(req.TopicNames, c.Topic)
			t := kmsg.NewDeleteTopicsRequestTopic()
			t.Topic = kmsg.StringPtr(c.Topic)
			req.Topics = append(req.Topics, t)
		}
		a.res.Requests["DeleteTopics"]++
		resp, err := req.RequestWith(ctx, a.cl)
		var answers []topicAnswer
		if err == nil {
			for _, t := range resp.Topics {
				if t.Topic != nil {
					answers = append(answers, topicAnswer{*t.Topic, t.ErrorCode, t.ErrorMessage})
				}
			}
		}
		a.record("delete", part, answers, err)
	}
}

// waitLeaders polls metadata for the created topics until each has all its
// partitions with a leader, or LeaderWait passes.
func (a *applier) waitLeaders(ctx context.Context, creates []Change) {
	want := map[string]int32{}
	for _, c := range creates {
		if a.res.Items[a.item[c.Topic]].OK {
			want[c.Topic] = c.Partitions.To
		}
	}
	if len(want) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.LeaderWait)
	defer cancel()
	retry := backoff.New(backoff.Policy{Initial: 20 * time.Millisecond, Max: 500 * time.Millisecond})
	last := map[string]string{}
	for len(want) > 0 {
		req := kmsg.NewPtrMetadataRequest()
		for t := range want {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(t)
			req.Topics = append(req.Topics, rt)
		}
		a.res.Requests["Metadata"]++
		resp, err := req.RequestWith(ctx, a.cl)
		if err == nil {
			for _, t := range resp.Topics {
				if t.Topic == nil {
					continue
				}
				name := *t.Topic
				n, ok := want[name]
				if !ok {
					continue
				}
				if t.ErrorCode != 0 {
					last[name] = kerr.ErrorForCode(t.ErrorCode).Error()
					continue
				}
				ready := int32(0)
				for _, p := range t.Partitions {
					if p.Leader >= 0 && p.ErrorCode == 0 {
						ready++
					}
				}
				if ready >= n {
					delete(want, name)
				} else {
					last[name] = fmt.Sprintf("%d of %d partitions have a leader", ready, n)
				}
			}
		}
		if len(want) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			for t := range want {
				why := last[t]
				if why == "" && err != nil {
					why = err.Error()
				}
				a.fail(t, "leaders", fmt.Sprintf("created, but not every partition had a leader within %s (%s)", a.opts.LeaderWait, why))
			}
			return
		case <-time.After(retry.Next()):
		}
	}
}

// reassign sends the new replica lists of replication-factor changes in
// one AlterPartitionAssignments (split only when too large). A partition's
// error fails its topic. Kafka has no validate-only reassignment, so a dry
// run sends nothing and marks a change that is only a reassignment as not
// checked.
func (a *applier) reassign(ctx context.Context, cs []Change) {
	if a.opts.DryRun {
		for _, c := range cs {
			it := &a.res.Items[a.item[c.Topic]]
			if c.Partitions == nil && len(c.Configs) == 0 {
				it.OK = false
				it.Skipped = "not checked: Kafka has no validate-only partition reassignment"
				continue
			}
			what := "reassignment"
			if rf := c.ReplicationFactor; rf != nil {
				what = fmt.Sprintf("replicationFactor %d → %d", rf.From, rf.To)
			}
			it.Unchecked = "the " + what + " was not checked: Kafka has no validate-only partition reassignment"
		}
		return
	}
	parts := chunk(cs,
		func(c Change) int { return 16 + len(c.Topic) + 8*len(c.Reassignments)*4 },
		func(c Change) int { return len(c.Reassignments) },
		a.opts.MaxRequestBytes, a.opts.MaxRecordsPerRequest)
	for _, part := range parts {
		as := newAssignments(a.timeoutMillis())
		for _, c := range part {
			for _, m := range c.Reassignments {
				as.add(c.Topic, m.Partition, m.To)
			}
		}
		req := as.req
		a.res.Requests["AlterPartitionAssignments"]++
		resp, err := req.RequestWith(ctx, a.cl)
		if err == nil && resp.ErrorCode != 0 {
			err = errors.New(kerrText(resp.ErrorCode, resp.ErrorMessage))
		}
		answered := map[string]int{}
		if err == nil {
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if p.ErrorCode != 0 {
						a.fail(t.Topic, "reassign", fmt.Sprintf("partition %d: %s", p.Partition, kerrText(p.ErrorCode, p.ErrorMessage)))
						continue
					}
					answered[t.Topic]++
					a.res.Reassigning++
				}
			}
		}
		for _, c := range part {
			if answered[c.Topic] < len(c.Reassignments) {
				a.fail(c.Topic, "reassign", noAnswer(err))
			}
		}
	}
}
