package smoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kctl/kctl/internal/feature/groups/lag"
	"github.com/kctl/kctl/internal/feature/inspect"
	"github.com/kctl/kctl/internal/platform/backoff"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/errs"
)

func (r *run) connect(ctx context.Context) (string, error) {
	if err := r.o.Client.Ping(ctx); err != nil {
		return "", fmt.Errorf("no broker of %s answered: %w", strings.Join(r.o.Brokers, ","), err)
	}
	m, err := r.o.Admin.BrokerMetadata(ctx)
	if err != nil {
		return "", fmt.Errorf("metadata: %w", err)
	}
	return fmt.Sprintf("%d brokers, cluster %s", len(m.Brokers), m.Cluster), nil
}

func (r *run) topics(ctx context.Context) (string, error) {
	detail := "not checked (no topics file)"
	if r.o.Topics != nil {
		d, err := r.o.Topics(ctx)
		if err != nil {
			return "", err
		}
		detail = d
	}
	// Whatever the file says, the flow needs both topics to exist.
	var md kadm.Metadata
	err := retry(ctx, func() (err error) {
		md, err = r.o.Admin.Metadata(ctx, r.o.Topic, r.o.DLT)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("metadata of %s, %s: %w", r.o.Topic, r.o.DLT, err)
	}
	for _, t := range []string{r.o.Topic, r.o.DLT} {
		if td, ok := md.Topics[t]; !ok || td.Err != nil {
			return "", fmt.Errorf("expected topic %q to exist, saw: %v", t, td.Err)
		}
	}
	r.topicStart, err = r.endOffsets(ctx, r.o.Topic)
	if err != nil {
		return "", err
	}
	r.dltStart, err = r.endOffsets(ctx, r.o.DLT)
	if err != nil {
		return "", err
	}
	return detail, nil
}

// retry calls fn until it succeeds, fails for good or ctx ends, and returns
// fn's last error. Smoke's own reads ride out a broker that just went away:
// the client refreshes its metadata and the next try reaches a live broker.
func retry(ctx context.Context, fn func() error) error {
	return backoff.Retry(ctx, readRetry, missing, fn)
}

// missing reports an error no retry cures: the topic or partition does not
// exist.
func missing(err error) bool {
	var nf *errs.TopicNotFound
	return errors.Is(err, kerr.UnknownTopicOrPartition) || errors.As(err, &nf)
}

func (r *run) endOffsets(ctx context.Context, topic string) (out map[int32]int64, err error) {
	err = retry(ctx, func() error {
		out, err = r.listEnds(ctx, topic)
		return err
	})
	return out, err
}

func (r *run) listEnds(ctx context.Context, topic string) (map[int32]int64, error) {
	ends, err := r.o.Admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", topic, err)
	}
	out := map[int32]int64{}
	var firstErr error
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil && firstErr == nil {
			firstErr = fmt.Errorf("end offset of %s[%d]: %w", topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out, firstErr
}

func (r *run) events(ctx context.Context) (string, error) {
	// Matched by email, unique to this run: on a shared cluster other
	// services' users may have the same ids.
	want := map[string]*signup{}
	for _, s := range r.signups {
		want[s.email] = s
	}
	seen := map[int64]int{}
	var bad []string
	err := r.read(ctx, r.o.Topic, r.topicStart, func(rec *kgo.Record) bool {
		var ev map[string]any
		if json.Unmarshal(rec.Value, &ev) != nil {
			return false
		}
		em, _ := ev["email"].(string)
		s, ok := want[em]
		if !ok {
			return false
		}
		if idf, _ := ev["userId"].(float64); int64(idf) != s.id {
			bad = append(bad, fmt.Sprintf("event for %s: expected userId %d, saw %v", s.email, s.id, ev["userId"]))
		}
		seen[s.id]++
		s.published = rec.Timestamp
		if p := passwordData(rec.Value, s.password); p != "" {
			bad = append(bad, fmt.Sprintf("event of user %d carries %s", s.id, p))
		}
		if ev["type"] != "UserSignedUp" || ev["email"] != s.email || ev["name"] != s.name || ev["eventId"] == nil || ev["occurredAt"] == nil {
			bad = append(bad, fmt.Sprintf("event of user %d: expected type UserSignedUp with eventId, userId, email, name, occurredAt; saw %s", s.id, rec.Value))
		}
		if string(rec.Key) != fmt.Sprint(s.id) {
			bad = append(bad, fmt.Sprintf("event of user %d: expected key %d, saw %q", s.id, s.id, rec.Key))
		}
		return len(seen) == len(want)
	})
	if len(bad) > 0 {
		return "", errors.New(strings.Join(bad, "; "))
	}
	if err != nil {
		return "", fmt.Errorf("expected %d UserSignedUp events on %s, saw %d: %w", len(want), r.o.Topic, len(seen), err)
	}
	return fmt.Sprintf("%d events on %s, none with password data", len(seen), r.o.Topic), nil
}

// passwordData names the password data found in an event, or "".
func passwordData(v []byte, password string) string {
	low := bytes.ToLower(v)
	switch {
	case bytes.Contains(v, []byte(password)):
		return "the plaintext password"
	case bytes.Contains(low, []byte("password")) || bytes.Contains(low, []byte(`"hash"`)):
		return "a password field"
	case bytes.Contains(v, []byte("$2a$")) || bytes.Contains(v, []byte("$2b$")) || bytes.Contains(v, []byte("$argon2")):
		return "a password hash"
	}
	return ""
}

// read consumes topic from start (direct partition consumption, no group)
// and calls fn per record until fn returns true or ctx ends.
func (r *run) read(ctx context.Context, topic string, start map[int32]int64, fn func(*kgo.Record) bool) error {
	offs := map[int32]kgo.Offset{}
	for p, o := range start {
		offs[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{}, r.o.ClientOpts...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offs}))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr error
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				ferr = fmt.Errorf("fetch %s[%d]: %w", t, p, err)
			}
		})
		if ferr != nil {
			return ferr
		}
		stop := false
		fs.EachRecord(func(rec *kgo.Record) {
			if !stop && fn(rec) {
				stop = true
			}
		})
		if stop {
			return nil
		}
	}
}

func (r *run) poison(ctx context.Context) (string, error) {
	key := []byte("smoke-poison-" + r.runID)
	rec := &kgo.Record{Topic: r.o.Topic, Key: key, Value: []byte("not json {" + r.runID)}
	if err := r.o.Client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return "", fmt.Errorf("produce the poison record to %s: %w", r.o.Topic, err)
	}
	var found *kgo.Record
	err := r.read(ctx, r.o.DLT, r.dltStart, func(d *kgo.Record) bool {
		if bytes.Equal(d.Key, key) {
			found = d
			return true
		}
		return false
	})
	if err != nil {
		return "", fmt.Errorf("expected the poison record (key %s, %s[%d]@%d) on %s, not seen: %w", key, rec.Topic, rec.Partition, rec.Offset, r.o.DLT, err)
	}
	info, err := checkDLT(rec, found, r.o.Group)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s[%d]@%d with %s", r.o.DLT, found.Partition, found.Offset, info.ExceptionFQCN), nil
}

// checkDLT checks that got is the dead letter of sent, failed by group: the
// same value and Spring's kafka_dlt-* headers naming where sent was.
func checkDLT(sent, got *kgo.Record, group string) (dlt.Info, error) {
	info, err := dlt.Parse(got.Headers)
	if err != nil {
		// dlt.Parse joins one line per bad header; a step's detail is one line.
		return info, fmt.Errorf("DLT record headers: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	if !bytes.Equal(got.Value, sent.Value) {
		return info, fmt.Errorf("DLT record value changed: expected %q, saw %q", sent.Value, got.Value)
	}
	if info.OriginalTopic != sent.Topic {
		return info, fmt.Errorf("%s: expected %q, saw %q", dlt.HeaderOriginalTopic, sent.Topic, info.OriginalTopic)
	}
	if info.OriginalPartition != sent.Partition {
		return info, fmt.Errorf("%s: expected %d, saw %d", dlt.HeaderOriginalPartition, sent.Partition, info.OriginalPartition)
	}
	if info.OriginalOffset != sent.Offset {
		return info, fmt.Errorf("%s: expected %d, saw %d", dlt.HeaderOriginalOffset, sent.Offset, info.OriginalOffset)
	}
	if info.ConsumerGroup != group {
		return info, fmt.Errorf("%s: expected %q, saw %q", dlt.HeaderOriginalConsumerGroup, group, info.ConsumerGroup)
	}
	return info, nil
}

func (r *run) lag(ctx context.Context) (string, error) {
	var detail string
	err := backoff.Retry(ctx, poll, nil, func() (err error) {
		detail, err = r.caughtUp(ctx)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("expected group %s to reach lag 0 on %s, last saw %v", r.o.Group, r.o.Topic, err)
	}
	return detail, nil
}

// caughtUp checks once that the group has committed on the topic and that
// its lag there, as internal/feature/groups/lag defines it, is 0.
func (r *run) caughtUp(ctx context.Context) (string, error) {
	n, err := lag.Total(ctx, r.o.Client, r.o.Group, r.o.Topic)
	var nf *errs.GroupNotFound
	switch {
	case errors.As(err, &nf):
		return "", errors.New("group not found")
	case err != nil:
		return "", err
	case n > 0:
		return "", fmt.Errorf("total lag %d", n)
	}
	// lag.Total is 0 also for a group that has not consumed the topic.
	commits, err := r.o.Admin.FetchOffsets(ctx, r.o.Group)
	if err != nil {
		return "", fmt.Errorf("committed offsets of group %s: %w", r.o.Group, err)
	}
	groups, err := r.o.Admin.DescribeGroups(ctx, r.o.Group)
	if err != nil {
		return "", fmt.Errorf("describe group %s: %w", r.o.Group, err)
	}
	state := groups[r.o.Group].State
	committed := false
	for _, c := range commits[r.o.Topic] {
		committed = committed || (c.Err == nil && c.At >= 0)
	}
	if !committed {
		return "", fmt.Errorf("no commits on %s (state %s)", r.o.Topic, state)
	}
	return fmt.Sprintf("group %s: lag 0 on %s (%s)", r.o.Group, r.o.Topic, state), nil
}

func (r *run) health(ctx context.Context) (string, error) {
	var v inspect.TopicsView
	err := retry(ctx, func() (err error) {
		v, err = inspect.DescribeTopics(ctx, r.o.Client, []string{r.o.Topic, r.o.DLT}, inspect.Filter{})
		return err
	})
	if err != nil {
		return "", err
	}
	var bad []string
	n := 0
	for _, t := range v.Topics {
		for _, p := range t.PartitionDetails {
			n++
			if p.UnderReplicated || p.Leaderless || len(p.OfflineReplicas) > 0 {
				bad = append(bad, fmt.Sprintf("%s[%d] %s", t.Name, p.Partition, p.Status()))
			}
		}
	}
	if len(bad) > 0 {
		return "", fmt.Errorf("expected every partition fully replicated with a leader, saw %s", strings.Join(bad, ", "))
	}
	return fmt.Sprintf("%d partitions, ISR = replicas", n), nil
}
