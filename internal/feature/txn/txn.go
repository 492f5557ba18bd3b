// Package txn is kctl txn: the cluster's transactional ids as their
// coordinators report them (ListTransactions, DescribeTransactions), the
// open transactions holding a partition's last stable offset back
// (DescribeProducers, ListOffsets read_committed), and the plan and
// execution of aborting one of them (WriteTxnMarkers), as
// kafka-transactions.sh does. Views are built here; internal/cli prints
// them and asks before anything is written.
package txn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Partitions are a topic's partitions in a transaction.
type Partitions struct {
	Topic      string  `json:"topic" yaml:"topic"`
	Partitions []int32 `json:"partitions" yaml:"partitions"`
}

// Txn is one transactional id as its coordinator describes it.
type Txn struct {
	ID            string `json:"transactionalId" yaml:"transactionalId"`
	State         string `json:"state" yaml:"state"`
	ProducerID    int64  `json:"producerId" yaml:"producerId"`
	ProducerEpoch int16  `json:"producerEpoch" yaml:"producerEpoch"`
	Coordinator   int32  `json:"coordinator" yaml:"coordinator"`
	TimeoutMs     int32  `json:"timeoutMs" yaml:"timeoutMs"`
	// Started is when the current transaction began (null without one).
	Started *time.Time `json:"started,omitempty" yaml:"started,omitempty"`
	// AgeMs is how long the current transaction has been open.
	AgeMs      *int64       `json:"ageMs,omitempty" yaml:"ageMs,omitempty"`
	Partitions []Partitions `json:"partitions" yaml:"partitions"`
	Error      string       `json:"error,omitempty" yaml:"error,omitempty"`
}

// ListView is `kctl txn list`.
type ListView struct {
	Transactions []Txn `json:"transactions" yaml:"transactions"`
}

// TxnNotFound names a transactional id no coordinator knows, with the
// closest known one.
type TxnNotFound struct {
	ID         string
	Suggestion string
}

func (e *TxnNotFound) Error() string {
	s := fmt.Sprintf("transactional id %q not found", e.ID)
	if e.Suggestion != "" {
		s += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return s + ": 'kctl txn list' lists the transactional ids"
}

// List returns every transactional id, described, sorted by id.
func List(ctx context.Context, adm *kadm.Client, now time.Time) (*ListView, error) {
	listed, err := adm.ListTransactions(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	v := &ListView{Transactions: []Txn{}}
	ids := listed.TransactionalIDs()
	if len(ids) == 0 {
		return v, nil
	}
	described, err := adm.DescribeTransactions(ctx, ids...)
	if err != nil && len(described) == 0 {
		return nil, fmt.Errorf("describe transactions: %w", err)
	}
	for _, l := range listed.Sorted() {
		d, ok := described[l.TxnID]
		t := Txn{ID: l.TxnID, State: l.State, ProducerID: l.ProducerID, ProducerEpoch: -1, Coordinator: l.Coordinator, Partitions: []Partitions{}}
		switch {
		case !ok:
			t.Error = "not described by its coordinator"
		case d.Err != nil:
			t.Error = d.Err.Error()
		default:
			t = fromDescribed(d, now)
		}
		v.Transactions = append(v.Transactions, t)
	}
	return v, nil
}

// Describe returns one transactional id; an id no coordinator lists is a
// *TxnNotFound with the closest listed id.
func Describe(ctx context.Context, adm *kadm.Client, id string, now time.Time) (*Txn, error) {
	listed, err := adm.ListTransactions(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("list transactions: %w", err)
	}
	if _, ok := listed[id]; !ok {
		return nil, &TxnNotFound{ID: id, Suggestion: errs.Closest(id, listed.TransactionalIDs())}
	}
	described, err := adm.DescribeTransactions(ctx, id)
	if err != nil && len(described) == 0 {
		return nil, fmt.Errorf("describe transaction %q: %w", id, err)
	}
	d, ok := described[id]
	if !ok {
		return nil, fmt.Errorf("describe transaction %q: its coordinator did not answer", id)
	}
	if d.Err != nil {
		return nil, fmt.Errorf("describe transaction %q: %w", id, d.Err)
	}
	t := fromDescribed(d, now)
	return &t, nil
}

func fromDescribed(d kadm.DescribedTransaction, now time.Time) Txn {
	t := Txn{ID: d.TxnID, State: d.State, ProducerID: d.ProducerID, ProducerEpoch: d.ProducerEpoch,
		Coordinator: d.Coordinator, TimeoutMs: d.TimeoutMillis, Partitions: []Partitions{}}
	if d.StartTimestamp > 0 {
		s := time.UnixMilli(d.StartTimestamp).UTC()
		t.Started = &s
		age := max(now.Sub(s).Milliseconds(), 0)
		t.AgeMs = &age
	}
	for _, tp := range d.Topics.Sorted() {
		ps := slices.Clone(tp.Partitions)
		slices.Sort(ps)
		t.Partitions = append(t.Partitions, Partitions{Topic: tp.Topic, Partitions: ps})
	}
	return t
}

// Open is an open transaction on a partition: a producer whose first
// record in its current transaction is at StartOffset, at or above the
// partition's last stable offset (so read_committed consumers wait there).
type Open struct {
	Topic            string    `json:"topic" yaml:"topic"`
	Partition        int32     `json:"partition" yaml:"partition"`
	ProducerID       int64     `json:"producerId" yaml:"producerId"`
	ProducerEpoch    int16     `json:"producerEpoch" yaml:"producerEpoch"`
	CoordinatorEpoch int32     `json:"coordinatorEpoch" yaml:"coordinatorEpoch"`
	StartOffset      int64     `json:"startOffset" yaml:"startOffset"`
	LastStableOffset int64     `json:"lastStableOffset" yaml:"lastStableOffset"`
	HighWatermark    int64     `json:"highWatermark" yaml:"highWatermark"`
	LastWrite        time.Time `json:"lastWrite" yaml:"lastWrite"`
	AgeMs            int64     `json:"ageMs" yaml:"ageMs"`
	// TransactionalID and CoordinatorState are the coordinator's view of
	// the producer id; empty when no coordinator lists it (the classic
	// hanging transaction: only an abort marker ends it).
	TransactionalID  string `json:"transactionalId,omitempty" yaml:"transactionalId,omitempty"`
	CoordinatorState string `json:"coordinatorState,omitempty" yaml:"coordinatorState,omitempty"`
}

// HeldBack is how many offsets read_committed consumers cannot read yet.
func (o Open) HeldBack() int64 { return max(o.HighWatermark-o.LastStableOffset, 0) }

// HangingView is `kctl txn find-hanging`.
type HangingView struct {
	OlderThanMs int64  `json:"olderThanMs" yaml:"olderThanMs"`
	Hanging     []Open `json:"hanging" yaml:"hanging"`
	// Errors are partitions that could not be checked.
	Errors []string `json:"errors,omitempty" yaml:"errors,omitempty"`
}

// FindHanging returns the open transactions on topics (every topic when
// empty) whose producer last wrote at least olderThan before now.
func FindHanging(ctx context.Context, adm *kadm.Client, topics []string, olderThan time.Duration, now time.Time) (*HangingView, error) {
	open, errList, err := openTxns(ctx, adm, topics, nil)
	if err != nil {
		return nil, err
	}
	v := &HangingView{OlderThanMs: olderThan.Milliseconds(), Hanging: []Open{}, Errors: errList}
	for _, o := range open {
		o.AgeMs = max(now.Sub(o.LastWrite).Milliseconds(), 0)
		if time.Duration(o.AgeMs)*time.Millisecond >= olderThan {
			v.Hanging = append(v.Hanging, o)
		}
	}
	return v, nil
}

// openTxns describes the producers of topics' partitions (only partitions
// when given) and returns those with an open transaction at or above the
// partition's last stable offset, with the coordinator's view of each.
func openTxns(ctx context.Context, adm *kadm.Client, topics []string, partitions []int32) ([]Open, []string, error) {
	set := kadm.TopicsSet{}
	if len(topics) == 0 {
		md, err := adm.Metadata(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("metadata: %w", err)
		}
		set = md.Topics.TopicsSet()
		topics = md.Topics.Names()
	} else {
		for _, t := range topics {
			set.Add(t, partitions...)
		}
	}
	if len(set) == 0 {
		return nil, nil, nil
	}
	described, err := adm.DescribeProducers(ctx, set)
	if err != nil && len(described) == 0 {
		return nil, nil, fmt.Errorf("describe producers: %w", err)
	}
	lso, err := adm.ListCommittedOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("list last stable offsets: %w", err)
	}
	hwm, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, nil, fmt.Errorf("list end offsets: %w", err)
	}
	var out []Open
	var errList []string
	for _, t := range described.Sorted() {
		for _, p := range t.Partitions.Sorted() {
			if p.Err != nil {
				errList = append(errList, fmt.Sprintf("%s:%d: describe producers: %v", p.Topic, p.Partition, p.Err))
				continue
			}
			l, lok := lso.Lookup(p.Topic, p.Partition)
			h, hok := hwm.Lookup(p.Topic, p.Partition)
			if !lok || l.Err != nil || !hok || h.Err != nil {
				e := "no answer"
				if lok && l.Err != nil {
					e = l.Err.Error()
				} else if hok && h.Err != nil {
					e = h.Err.Error()
				}
				errList = append(errList, fmt.Sprintf("%s:%d: list offsets: %s", p.Topic, p.Partition, e))
				continue
			}
			for _, ap := range p.ActiveProducers.Sorted() {
				// A start offset below the last stable offset is state the
				// broker keeps after the transaction ended (kfake keeps
				// it after an abort marker written by kctl): not open.
				if ap.CurrentTxnStartOffset < 0 || ap.CurrentTxnStartOffset < l.Offset {
					continue
				}
				out = append(out, Open{
					Topic: p.Topic, Partition: p.Partition, ProducerID: ap.ProducerID, ProducerEpoch: ap.ProducerEpoch,
					CoordinatorEpoch: ap.CoordinatorEpoch, StartOffset: ap.CurrentTxnStartOffset,
					LastStableOffset: l.Offset, HighWatermark: h.Offset,
					LastWrite: time.UnixMilli(ap.LastTimestamp).UTC(),
				})
			}
		}
	}
	if len(out) > 0 {
		var pids []int64
		for _, o := range out {
			pids = append(pids, o.ProducerID)
		}
		listed, err := adm.ListTransactions(ctx, slices.Compact(slices.Sorted(slices.Values(pids))), nil)
		if err != nil {
			errList = append(errList, fmt.Sprintf("list transactions: %v", err))
		}
		byPID := map[int64]kadm.ListedTransaction{}
		for _, l := range listed {
			byPID[l.ProducerID] = l
		}
		for i := range out {
			if l, ok := byPID[out[i].ProducerID]; ok {
				out[i].TransactionalID, out[i].CoordinatorState = l.TxnID, l.State
			}
		}
	}
	return out, errList, nil
}

// AbortPlan is `kctl txn abort`: the abort marker kctl would write.
type AbortPlan struct {
	Open
}

// PlanAbort finds the open transaction on topic/partition to abort: the
// one starting at startOffset when it is >= 0, else the only one. A
// partition without one, or with several and no startOffset, is an error
// naming what to do.
func PlanAbort(ctx context.Context, adm *kadm.Client, topic string, partition int32, startOffset int64, now time.Time) (*AbortPlan, error) {
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	td, ok := md.Topics[topic]
	if ok && td.Err != nil && !errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return nil, fmt.Errorf("metadata of topic %q: %w", topic, td.Err)
	}
	if !ok || td.Err != nil {
		all, aerr := adm.ListTopics(ctx)
		if aerr != nil {
			return nil, fmt.Errorf("list topics: %w", aerr)
		}
		return nil, &errs.TopicNotFound{Topics: []string{topic}, Suggestions: errs.Suggest([]string{topic}, all.Names()), Hint: "nothing was aborted"}
	}
	if _, ok := td.Partitions[partition]; !ok {
		return nil, &errs.PartitionOutOfRange{Topic: topic, Partitions: []int32{partition}, Count: len(td.Partitions)}
	}
	open, errList, err := openTxns(ctx, adm, []string{topic}, []int32{partition})
	if err != nil {
		return nil, err
	}
	if len(errList) > 0 {
		return nil, fmt.Errorf("%s:%d: %s", topic, partition, strings.Join(errList, "; "))
	}
	for i := range open {
		open[i].AgeMs = max(now.Sub(open[i].LastWrite).Milliseconds(), 0)
	}
	if startOffset >= 0 {
		for _, o := range open {
			if o.StartOffset == startOffset {
				return &AbortPlan{o}, nil
			}
		}
		return nil, fmt.Errorf("%s:%d has no open transaction starting at offset %d%s", topic, partition, startOffset, starts(open))
	}
	switch len(open) {
	case 0:
		return nil, fmt.Errorf("%s:%d has no open transaction: nothing to abort ('kctl txn find-hanging --older-than 0s' lists the open ones)", topic, partition)
	case 1:
		return &AbortPlan{open[0]}, nil
	}
	return nil, fmt.Errorf("%s:%d has %d open transactions%s: name one with --start-offset", topic, partition, len(open), starts(open))
}

func starts(open []Open) string {
	if len(open) == 0 {
		return " (it has none)"
	}
	var s []string
	for _, o := range open {
		s = append(s, strconv.FormatInt(o.StartOffset, 10))
	}
	return " (open transactions start at " + strings.Join(s, ", ") + ")"
}

// AbortResult is what `kctl txn abort` did.
type AbortResult struct {
	Aborted Open `json:"aborted" yaml:"aborted"`
	// LastStableOffset is the partition's last stable offset afterwards.
	LastStableOffset int64 `json:"lastStableOffsetAfter" yaml:"lastStableOffsetAfter"`
}

// Abort writes the plan's abort marker and reads the last stable offset
// back. It decides nothing: the plan says what to write.
func Abort(ctx context.Context, adm *kadm.Client, p *AbortPlan) (*AbortResult, error) {
	resp, err := adm.WriteTxnMarkers(ctx, kadm.TxnMarkers{
		ProducerID: p.ProducerID, ProducerEpoch: p.ProducerEpoch, Commit: false,
		CoordinatorEpoch: p.CoordinatorEpoch, Topics: kadm.TopicsSet{p.Topic: {p.Partition: {}}},
	})
	if err != nil {
		return nil, fmt.Errorf("write abort marker for producer %d on %s:%d: %w", p.ProducerID, p.Topic, p.Partition, err)
	}
	written := false
	var perr error
	resp.EachPartition(func(r kadm.TxnMarkersPartitionResponse) {
		if r.Topic == p.Topic && r.Partition == p.Partition {
			written = true
			if r.Err != nil {
				perr = r.Err
			}
		}
	})
	if perr != nil {
		return nil, fmt.Errorf("write abort marker for producer %d on %s:%d: %w", p.ProducerID, p.Topic, p.Partition, perr)
	}
	if !written {
		return nil, fmt.Errorf("write abort marker for producer %d on %s:%d: the broker did not answer for the partition", p.ProducerID, p.Topic, p.Partition)
	}
	r := &AbortResult{Aborted: p.Open, LastStableOffset: -1}
	lso, err := adm.ListCommittedOffsets(ctx, p.Topic)
	if err == nil {
		if o, ok := lso.Lookup(p.Topic, p.Partition); ok && o.Err == nil {
			r.LastStableOffset = o.Offset
		}
	}
	return r, nil
}

// ageText is an age in milliseconds for a table cell.
func ageText(ms int64) string { return human.Age(time.Duration(ms) * time.Millisecond) }
