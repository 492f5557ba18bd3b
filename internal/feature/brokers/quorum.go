package brokers

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// QuorumReplica is one voter or observer of the metadata quorum.
type QuorumReplica struct {
	ID           int32 `json:"id" yaml:"id"`
	LogEndOffset int64 `json:"logEndOffset" yaml:"logEndOffset"`
	// Lag is the high watermark minus the log end offset; -1 when the log
	// end offset is unknown.
	Lag int64 `json:"lag" yaml:"lag"`
	// LastFetch and LastCaughtUp are the leader's clock (Unix ms) of the
	// replica's last fetch and of when it was last caught up; -1 for the
	// leader itself or when unknown.
	LastFetch    int64 `json:"lastFetch" yaml:"lastFetch"`
	LastCaughtUp int64 `json:"lastCaughtUp" yaml:"lastCaughtUp"`
	Leader       bool  `json:"leader" yaml:"leader"`
}

// QuorumView is `kctl describe quorum`.
type QuorumView struct {
	Leader        int32           `json:"leader" yaml:"leader"`
	Epoch         int32           `json:"epoch" yaml:"epoch"`
	HighWatermark int64           `json:"highWatermark" yaml:"highWatermark"`
	Voters        []QuorumReplica `json:"voters" yaml:"voters"`
	Observers     []QuorumReplica `json:"observers" yaml:"observers"`
	// Now is the time the view was built (Unix ms), for the ages of the
	// last fetches.
	Now int64 `json:"-" yaml:"-"`
}

// QuorumUnsupportedError says the cluster cannot describe a KRaft quorum.
type QuorumUnsupportedError struct{ Err error }

func (e *QuorumUnsupportedError) Error() string {
	return fmt.Sprintf("the cluster does not answer DescribeQuorum (%v): it runs without KRaft (ZooKeeper mode) or is older than Kafka 3.3, so there is no metadata quorum to describe", e.Err)
}

func (e *QuorumUnsupportedError) Unwrap() error { return e.Err }

// DescribeQuorum asks the cluster for the metadata quorum (partition 0 of
// __cluster_metadata) through r. A cluster that does not know the request
// is a *QuorumUnsupportedError.
func DescribeQuorum(ctx context.Context, r kmsg.Requestor, now time.Time) (QuorumView, error) {
	req := kmsg.NewPtrDescribeQuorumRequest()
	t := kmsg.NewDescribeQuorumRequestTopic()
	t.Topic = "__cluster_metadata"
	p := kmsg.NewDescribeQuorumRequestTopicPartition()
	p.Partition = 0
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, r)
	if err != nil {
		if unsupported(err) {
			return QuorumView{}, &QuorumUnsupportedError{Err: err}
		}
		return QuorumView{}, fmt.Errorf("describe quorum: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		if unsupported(err) {
			return QuorumView{}, &QuorumUnsupportedError{Err: err}
		}
		return QuorumView{}, fmt.Errorf("describe quorum: %w%s", err, msg(resp.ErrorMessage))
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		return QuorumView{}, errors.New("describe quorum: the answer has no __cluster_metadata partition 0")
	}
	qp := resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(qp.ErrorCode); err != nil {
		return QuorumView{}, fmt.Errorf("describe quorum: __cluster_metadata-0: %w%s", err, msg(qp.ErrorMessage))
	}
	v := QuorumView{Leader: qp.LeaderID, Epoch: qp.LeaderEpoch, HighWatermark: qp.HighWatermark, Now: now.UnixMilli()}
	conv := func(rs []kmsg.DescribeQuorumResponseTopicPartitionReplicaState) []QuorumReplica {
		out := []QuorumReplica{}
		for _, s := range rs {
			q := QuorumReplica{ID: s.ReplicaID, LogEndOffset: s.LogEndOffset, Lag: -1, LastFetch: s.LastFetchTimestamp, LastCaughtUp: s.LastCaughtUpTimestamp, Leader: s.ReplicaID == qp.LeaderID}
			if s.LogEndOffset >= 0 {
				q.Lag = max(0, qp.HighWatermark-s.LogEndOffset)
			}
			out = append(out, q)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return out
	}
	v.Voters = conv(qp.CurrentVoters)
	v.Observers = conv(qp.Observers)
	return v, nil
}

func msg(m *string) string {
	if m == nil || *m == "" {
		return ""
	}
	return " (" + *m + ")"
}

// unsupported reports whether err says the broker does not know the
// request: kgo's "broker is too old" / unknown key, or the broker's own
// UNSUPPORTED_VERSION / INVALID_REQUEST.
func unsupported(err error) bool {
	if errors.Is(err, kerr.UnsupportedVersion) || errors.Is(err, kerr.InvalidRequest) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "broker is too old") || strings.Contains(s, "request key is unknown")
}
