package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Executor carries out a RebalanceState: Apply decides nothing, and
// neither does it; the moves and the throttle are in the state.
type Executor struct {
	Client kmsg.Requestor
	State  *RebalanceState
	// Save stores the state after each change (the marker); an error
	// stops the execution.
	Save func(*RebalanceState) error
	// Interval between ListPartitionReassignments polls.
	Interval time.Duration
	// Progress is told after each poll.
	Progress func(*RebalanceState)
	// ElectLeaders runs a preferred-leader election for the moved
	// partitions once every move is done.
	ElectLeaders bool
	// Timeout bounds each request.
	Timeout time.Duration
}

// ErrMovesFailed is returned by Run when a move was refused by Kafka.
var ErrMovesFailed = errors.New("some moves failed")

// Run sets the throttle (once), then keeps at most MaxMoves partitions
// moving, starting the next as one completes (a started move that
// ListPartitionReassignments no longer lists is done), until every move is
// done; then it removes the throttle and, if asked, elects preferred
// leaders. On ctx's end it returns ctx's error with the moves left running
// and the state saved, so Run can resume them. It returns ErrMovesFailed
// (wrapped, naming them) when Kafka refused moves; the others carry on.
//
// It runs only a state from a Decision of Gate (Decision.RebalanceState,
// Decision.ReassignmentState) or from the marker store (Markers.Load): any
// other returns ErrNotGated, changing nothing.
func (e *Executor) Run(ctx context.Context) error {
	st := e.State
	if st == nil || !st.gated {
		return ErrNotGated
	}
	if e.Timeout <= 0 {
		e.Timeout = 30 * time.Second
	}
	if st.Throttle > 0 && !st.ThrottleSet {
		if err := e.setThrottle(ctx); err != nil {
			return err
		}
	}
	for {
		listed, err := e.list(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		changed := false
		running := 0
		for i := range st.Moves {
			m := &st.Moves[i]
			if m.State != MoveStarted {
				continue
			}
			if listed[TopicPartition{m.Topic, m.Partition}] {
				running++
			} else {
				m.State = MoveDone
				changed = true
			}
		}
		var batch []int
		for i := range st.Moves {
			if running+len(batch) >= max(st.MaxMoves, 1) {
				break
			}
			if st.Moves[i].State == MovePending {
				batch = append(batch, i)
			}
		}
		if len(batch) > 0 {
			if err := e.start(ctx, batch); err != nil {
				return err
			}
			changed = true
		}
		if changed {
			if err := e.Save(st); err != nil {
				return err
			}
		}
		if e.Progress != nil {
			e.Progress(st)
		}
		if st.Done() {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.Interval):
		}
	}
	if err := e.RemoveThrottle(ctx); err != nil {
		return err
	}
	if e.ElectLeaders {
		if err := e.elect(ctx); err != nil {
			return err
		}
	}
	if n := st.Count(MoveFailed); n > 0 {
		var names []string
		for _, m := range st.Moves {
			if m.State == MoveFailed {
				names = append(names, fmt.Sprintf("%s/%d (%s)", m.Topic, m.Partition, m.Error))
			}
		}
		return fmt.Errorf("%w: %d of %d moves: %s", ErrMovesFailed, n, len(st.Moves), strings.Join(names, "; "))
	}
	return nil
}

func (e *Executor) list(ctx context.Context) (map[TopicPartition]bool, error) {
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	rs, err := ListReassignments(rctx, e.Client)
	if err != nil {
		return nil, err
	}
	out := map[TopicPartition]bool{}
	for _, r := range rs {
		out[TopicPartition{r.Topic, r.Partition}] = true
	}
	return out, nil
}

// start sends one AlterPartitionAssignments for the moves at idx and marks
// each started, or failed with Kafka's error.
func (e *Executor) start(ctx context.Context, idx []int) error {
	st := e.State
	as := newAssignments(int32(e.Timeout / time.Millisecond))
	for _, i := range idx {
		m := st.Moves[i]
		as.add(m.Topic, m.Partition, m.To)
	}
	req := as.req
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return fmt.Errorf("start %s: %w", pluralMoves(len(idx)), err)
	}
	if code := resp.ErrorCode; code != 0 {
		return fmt.Errorf("start %s: %s", pluralMoves(len(idx)), kerrText(code, resp.ErrorMessage))
	}
	answer := map[TopicPartition]string{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			answer[TopicPartition{t.Topic, p.Partition}] = ""
			if p.ErrorCode != 0 {
				answer[TopicPartition{t.Topic, p.Partition}] = kerrText(p.ErrorCode, p.ErrorMessage)
			}
		}
	}
	for _, i := range idx {
		m := &st.Moves[i]
		msg, ok := answer[TopicPartition{m.Topic, m.Partition}]
		switch {
		case !ok:
			m.State, m.Error = MoveFailed, "the broker did not answer for this partition"
		case msg != "":
			m.State, m.Error = MoveFailed, msg
		default:
			m.State = MoveStarted
		}
	}
	return nil
}

func pluralMoves(n int) string {
	if n == 1 {
		return "1 move"
	}
	return fmt.Sprintf("%d moves", n)
}

// elect runs a preferred-leader election for the partitions moved.
func (e *Executor) elect(ctx context.Context) error {
	req := kmsg.NewPtrElectLeadersRequest()
	req.ElectionType = 0 // preferred
	req.TimeoutMillis = int32(e.Timeout / time.Millisecond)
	byTopic := map[string]int{}
	for _, m := range e.State.Moves {
		if m.State != MoveDone {
			continue
		}
		i, ok := byTopic[m.Topic]
		if !ok {
			i = len(req.Topics)
			byTopic[m.Topic] = i
			t := kmsg.NewElectLeadersRequestTopic()
			t.Topic = m.Topic
			req.Topics = append(req.Topics, t)
		}
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, m.Partition)
	}
	if len(req.Topics) == 0 {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, e.Timeout)
	defer cancel()
	resp, err := req.RequestWith(rctx, e.Client)
	if err != nil {
		return fmt.Errorf("elect preferred leaders: %w", err)
	}
	var fails []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			// Already the preferred leader is not a failure.
			if p.ErrorCode != 0 && p.ErrorCode != kerr.ElectionNotNeeded.Code {
				fails = append(fails, fmt.Sprintf("%s/%d: %s", t.Topic, p.Partition, kerrText(p.ErrorCode, p.ErrorMessage)))
			}
		}
	}
	if len(fails) > 0 {
		return fmt.Errorf("elect preferred leaders: %s", strings.Join(fails, "; "))
	}
	return nil
}

// CancelReassignments cancels the reassignments in progress that keep
// returns true for (all when keep is nil), in one AlterPartitionAssignments
// with null replica lists: Kafka puts back each partition's replicas as they
// were. It returns the partitions cancelled and an error naming those
// Kafka refused (NO_REASSIGNMENT_IN_PROGRESS, finished meanwhile, is not
// an error).
func CancelReassignments(ctx context.Context, cl kmsg.Requestor, keep func(TopicPartition) bool) ([]TopicPartition, error) {
	rs, err := ListReassignments(ctx, cl)
	if err != nil {
		return nil, err
	}
	as := newAssignments(30000)
	for _, r := range rs {
		if keep != nil && !keep(TopicPartition{r.Topic, r.Partition}) {
			continue
		}
		as.add(r.Topic, r.Partition, nil) // null replicas: cancel
	}
	req := as.req
	if len(req.Topics) == 0 {
		return []TopicPartition{}, nil
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, fmt.Errorf("cancel reassignments: %w", err)
	}
	if resp.ErrorCode != 0 {
		return nil, fmt.Errorf("cancel reassignments: %s", kerrText(resp.ErrorCode, resp.ErrorMessage))
	}
	done := []TopicPartition{}
	var fails []string
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			switch p.ErrorCode {
			case 0:
				done = append(done, TopicPartition{t.Topic, p.Partition})
			case kerr.NoReassignmentInProgress.Code:
			default:
				fails = append(fails, fmt.Sprintf("%s/%d: %s", t.Topic, p.Partition, kerrText(p.ErrorCode, p.ErrorMessage)))
			}
		}
	}
	if len(fails) > 0 {
		return done, fmt.Errorf("cancel reassignments: %s", strings.Join(fails, "; "))
	}
	return done, nil
}

// assignments builds one AlterPartitionAssignments request, each partition
// under its topic, topics in the order first added. Replicas nil cancel the
// partition's reassignment in progress.
type assignments struct {
	req     *kmsg.AlterPartitionAssignmentsRequest
	byTopic map[string]int
}

func newAssignments(timeoutMillis int32) *assignments {
	req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
	req.TimeoutMillis = timeoutMillis
	return &assignments{req: req, byTopic: map[string]int{}}
}

func (a *assignments) add(topic string, partition int32, replicas []int32) {
	ti, ok := a.byTopic[topic]
	if !ok {
		ti = len(a.req.Topics)
		a.byTopic[topic] = ti
		t := kmsg.NewAlterPartitionAssignmentsRequestTopic()
		t.Topic = topic
		a.req.Topics = append(a.req.Topics, t)
	}
	p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
	p.Partition = partition
	p.Replicas = replicas
	a.req.Topics[ti].Partitions = append(a.req.Topics[ti].Partitions, p)
}
