package brokers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/twmb/franz-go/pkg/kadm"
)

// At is the point `kctl offsets --at` asks for: earliest, latest or a time.
type At struct {
	Earliest, Latest bool
	Time             time.Time // when neither
}

func (a At) String() string {
	switch {
	case a.Earliest:
		return "earliest"
	case a.Latest:
		return "latest"
	}
	return a.Time.UTC().Format(time.RFC3339Nano)
}

// ParseAt reads --at: earliest, latest, or a time or duration ago
// (human.ParseTimeOrAgo). A time after now is refused: no record has it yet.
func ParseAt(s string, now time.Time) (At, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "latest", "end", "newest":
		return At{Latest: true}, nil
	case "earliest", "start", "beginning", "oldest":
		return At{Earliest: true}, nil
	}
	t, err := human.ParseTimeOrAgo(s, now)
	if err != nil {
		return At{}, fmt.Errorf("--at %w", err)
	}
	if t.After(now) {
		return At{}, fmt.Errorf("--at %q is %s in the future: no record has that time yet; give a time before now, earliest or latest", s, t.Sub(now).Round(time.Second))
	}
	return At{Time: t}, nil
}

// ParsePartitionArg reads TOPIC or TOPIC:P[,P…].
func ParsePartitionArg(s string) (Partition, error) {
	// Kafka topic names cannot hold ':', so the last one separates.
	topic, ps, found := s, "", false
	if i := strings.LastIndex(s, ":"); i >= 0 {
		topic, ps, found = s[:i], s[i+1:], true
	}
	if strings.TrimSpace(topic) == "" {
		return Partition{}, fmt.Errorf("%q names no topic: give TOPIC or TOPIC:PARTITION, e.g. orders:0", s)
	}
	out := Partition{Topic: topic}
	if !found {
		return out, nil
	}
	for _, f := range strings.Split(ps, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(f), 10, 32)
		if err != nil || n < 0 {
			return Partition{}, fmt.Errorf("%q: partition %q is not a number ≥ 0: give TOPIC:PARTITION, e.g. %s:0", s, f, topic)
		}
		out.Partitions = append(out.Partitions, int32(n))
	}
	return out, nil
}

// PartitionOffset is one partition's offset at the asked point.
type PartitionOffset struct {
	Partition int32 `json:"partition" yaml:"partition"`
	Offset    int64 `json:"offset" yaml:"offset"`
	// Timestamp is the record's timestamp (Unix ms) for a time query, -1
	// otherwise or when no record is at or after the time (Offset is then
	// the end offset).
	Timestamp int64  `json:"timestamp" yaml:"timestamp"`
	Error     string `json:"error,omitempty" yaml:"error,omitempty"`
}

// OffsetsView is `kctl offsets`.
type OffsetsView struct {
	Topic      string            `json:"topic" yaml:"topic"`
	At         string            `json:"at" yaml:"at"`
	Partitions []PartitionOffset `json:"partitions" yaml:"partitions"`
}

// PartitionErrors says some partitions could not be listed; the view has
// them with their error.
type PartitionErrors struct {
	Topic string
	N     int
}

func (e *PartitionErrors) Error() string {
	return fmt.Sprintf("the offsets of %d partitions of %q could not be listed (see the table)", e.N, e.Topic)
}

// Offsets lists the offsets of sel's partitions at at (ListOffsets), as
// kcat -Q does. Unknown topics are an *errs.TopicNotFound and unknown
// partitions an *errs.PartitionOutOfRange.
func Offsets(ctx context.Context, adm *kadm.Client, sel Partition, at At) (OffsetsView, error) {
	meta, err := adm.Metadata(ctx)
	if err != nil {
		return OffsetsView{}, fmt.Errorf("metadata: %w", err)
	}
	if err := checkSelection(meta, []Partition{sel}); err != nil {
		return OffsetsView{}, err
	}
	var listed kadm.ListedOffsets
	switch {
	case at.Earliest:
		listed, err = adm.ListStartOffsets(ctx, sel.Topic)
	case at.Latest:
		listed, err = adm.ListEndOffsets(ctx, sel.Topic)
	default:
		listed, err = adm.ListOffsetsAfterMilli(ctx, at.Time.UnixMilli(), sel.Topic)
	}
	var se *kadm.ShardErrors
	if err != nil && !errors.As(err, &se) {
		return OffsetsView{}, fmt.Errorf("list offsets: %w", err)
	}
	want := map[int32]bool{}
	for _, p := range sel.Partitions {
		want[p] = true
	}
	v := OffsetsView{Topic: sel.Topic, At: at.String(), Partitions: []PartitionOffset{}}
	failed := 0
	for _, p := range meta.Topics[sel.Topic].Partitions.Sorted() {
		if len(want) > 0 && !want[p.Partition] {
			continue
		}
		po := PartitionOffset{Partition: p.Partition, Offset: -1, Timestamp: -1}
		lo, ok := listed.Lookup(sel.Topic, p.Partition)
		switch {
		case !ok:
			po.Error = "not in the cluster's answer"
			if err != nil {
				po.Error = err.Error()
			}
		case lo.Err != nil:
			po.Error = lo.Err.Error()
		default:
			po.Offset = lo.Offset
			if !at.Earliest && !at.Latest {
				po.Timestamp = lo.Timestamp
			}
		}
		if po.Error != "" {
			failed++
		}
		v.Partitions = append(v.Partitions, po)
	}
	sort.Slice(v.Partitions, func(i, j int) bool { return v.Partitions[i].Partition < v.Partitions[j].Partition })
	if failed > 0 {
		return v, &PartitionErrors{Topic: sel.Topic, N: failed}
	}
	return v, nil
}
