package provision

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/provision/reassign"
)

// WriteText prints the rebalance plan: one line per move
// ("orders/0: [1,2,3] → [1,2,4]" and the bytes it copies), the replica and
// preferred-leader count of each broker before and after, and a summary
// line with the bytes to copy and the time at the throttle.
func (p *RebalancePlan) WriteText(w io.Writer, st Styles) error {
	ew := &errWriter{w: w}
	if len(p.Moves) == 0 {
		ew.printf("%s Cluster %q is balanced for this goal: no partition to move.\n", st.OK("✓"), p.ClusterID)
		return ew.err
	}
	ew.printf("kctl would move these partitions on cluster %q:\n\n", p.ClusterID)
	width := 0
	for _, m := range p.Moves {
		width = max(width, len(moveName(m.Move))+1)
	}
	for _, m := range p.Moves {
		note := st.Dim("reorder only (no data copied)")
		if n := len(m.Adding()); n > 0 {
			size := "size unknown"
			if p.SizesKnown {
				size = HumanBytes(m.Bytes)
			}
			note = st.Dim(fmt.Sprintf("copies %d (%s)", n, size))
		}
		ew.printf("  %-*s %s → %s  %s\n", width, moveName(m.Move)+":", ReplicaList(m.From), st.Change(ReplicaList(m.To)), note)
	}
	ew.printf("\nBrokers (replicas, preferred leaders):\n")
	after := map[int32]reassign.BrokerLoad{}
	for _, l := range p.After {
		after[l.Broker] = l
	}
	seen := map[int32]bool{}
	for _, b := range p.Before {
		seen[b.Broker] = true
		a := after[b.Broker]
		ew.printf("  broker %-4d %5d → %-5d %5d → %d%s\n", b.Broker, b.Replicas, a.Replicas, b.Leaders, a.Leaders, brokerNote(p.Goal, b.Broker))
	}
	for _, a := range p.After {
		if !seen[a.Broker] {
			ew.printf("  broker %-4d %5d → %-5d %5d → %d%s\n", a.Broker, 0, a.Replicas, 0, a.Leaders, brokerNote(p.Goal, a.Broker))
		}
	}
	bytes := "bytes unknown (DescribeLogDirs failed)"
	if p.SizesKnown {
		bytes = HumanBytes(p.Bytes)
	}
	est := "no throttle (--throttle RATE limits the replication traffic)"
	if p.Throttle > 0 {
		est = fmt.Sprintf("about %s at %s/s", roughDuration(p.Estimate), HumanBytes(p.Throttle))
	}
	ew.printf("\n%s %s, %s to copy (%s), %s.\n", st.Bold("Rebalance:"), countWord(len(p.Moves), "partition to move", "partitions to move"),
		countWord(p.ReplicasAdded, "replica", "replicas"), bytes, est)
	return ew.err
}

func moveName(m reassign.Move) string { return fmt.Sprintf("%s/%d", m.Topic, m.Partition) }

func brokerNote(g RebalanceGoal, id int32) string {
	for _, b := range g.Add {
		if b == id {
			return "  (added)"
		}
	}
	for _, b := range g.Remove {
		if b == id {
			return "  (removed)"
		}
	}
	return ""
}

// roughDuration prints an estimate: "< 1s", "42s", "5m", "2h10m".
func roughDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return "< 1s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(math.Ceil(d.Seconds())))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(math.Ceil(d.Minutes())))
	}
	h := int(d.Hours())
	return fmt.Sprintf("%dh%02dm", h, int(d.Minutes())-60*h)
}

// WriteText prints where a rebalance stands: moves done, running, pending
// and failed, and the throttle.
func (st *RebalanceState) WriteText(w io.Writer, s Styles) error {
	ew := &errWriter{w: w}
	ew.printf("%d of %d moves done, %d running, %d pending", st.Count(MoveDone), len(st.Moves), st.Count(MoveStarted), st.Count(MovePending))
	if n := st.Count(MoveFailed); n > 0 {
		ew.printf(", %s", s.Bad(fmt.Sprintf("%d failed", n)))
	}
	if len(st.Throttles) > 0 {
		ew.printf("; throttle %s/s on %s", HumanBytes(st.Throttle), throttleScope(st.Throttles))
	}
	ew.printf(".\n")
	return ew.err
}

// throttleScope says where throttle configs are: "brokers 1, 2 and topic orders".
func throttleScope(cs []SavedConfig) string {
	var brokers, topics []string
	seen := map[string]bool{}
	for _, c := range cs {
		if c.Broker >= 0 {
			k := fmt.Sprint(c.Broker)
			if !seen["b"+k] {
				seen["b"+k] = true
				brokers = append(brokers, k)
			}
		} else if !seen["t"+c.Topic] {
			seen["t"+c.Topic] = true
			topics = append(topics, c.Topic)
		}
	}
	var parts []string
	if len(brokers) > 0 {
		parts = append(parts, "brokers "+strings.Join(brokers, ","))
	}
	if len(topics) > 0 {
		parts = append(parts, "topics "+strings.Join(topics, ","))
	}
	return strings.Join(parts, " and ")
}

// ThrottleSummary says what the throttle configs are, for messages.
func ThrottleSummary(cs []SavedConfig) string {
	return fmt.Sprintf("%s on %s", countWord(len(cs), "config", "configs"), throttleScope(cs))
}

// RebalanceDryRun is a rebalance plan shown without executing it: the
// plan, and how to start it.
type RebalanceDryRun struct {
	Plan     *RebalancePlan
	MaxMoves int
}

// WriteText prints the plan and, when it moves anything, how to start it.
func (v RebalanceDryRun) WriteText(w io.Writer, s Styles) error {
	if err := v.Plan.WriteText(w, s); err != nil {
		return err
	}
	if len(v.Plan.Moves) == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "Run with --yes to start (at most %d partitions moving at once).\n", v.MaxMoves)
	return err
}

// RebalanceInProgress is the rebalance recorded in a marker (Path), shown
// before a resume or a cancel acts on it.
type RebalanceInProgress struct {
	State *RebalanceState
	Path  string
}

// WriteText prints where the recorded rebalance stands and how to resume
// or cancel it.
func (v RebalanceInProgress) WriteText(w io.Writer, s Styles) error {
	ew := &errWriter{w: w}
	ew.printf("A rebalance started at %s is in progress: ", v.State.Started.Format(time.RFC3339))
	_ = v.State.WriteText(ew, s)
	ew.printf("Resume it with kctl rebalance --yes, or cancel it with kctl rebalance --cancel --yes (recorded in %s).\n", v.Path)
	return ew.err
}

// WriteResumingText prints the line a resumed rebalance starts with.
func (st *RebalanceState) WriteResumingText(w io.Writer, s Styles) error {
	ew := &errWriter{w: w}
	ew.printf("Resuming the rebalance started at %s: ", st.Started.Format(time.RFC3339))
	_ = st.WriteText(ew, s)
	return ew.err
}

// WriteMovingText prints a progress line of a running rebalance.
func (st *RebalanceState) WriteMovingText(w io.Writer, s Styles) error {
	ew := &errWriter{w: w}
	ew.printf("Moving: ")
	_ = st.WriteText(ew, s)
	return ew.err
}

// WriteInterruptedText says what an interrupted rebalance leaves behind
// and how to go on.
func (st *RebalanceState) WriteInterruptedText(w io.Writer, _ Styles) error {
	_, err := fmt.Fprintf(w, "\nInterrupted: %d partitions are still moving (Kafka carries on without kctl) and %d are pending; the throttle stays while they move.\nResume with: kctl rebalance --yes    Cancel with: kctl rebalance --cancel --yes\n",
		st.Count(MoveStarted), st.Count(MovePending))
	return err
}

// RebalanceDone is a finished rebalance (Label: "Rebalance", "Apply"…),
// printed as its State in JSON and YAML.
type RebalanceDone struct {
	Label          string
	State          *RebalanceState
	LeadersElected bool
}

// WriteText prints the closing line: moves done, throttle removed,
// leaders elected.
func (v RebalanceDone) WriteText(w io.Writer, s Styles) error {
	ew := &errWriter{w: w}
	ew.printf("\n%s %d of %d partitions moved", s.OK(v.Label+" complete:"), v.State.Count(MoveDone), len(v.State.Moves))
	if v.State.Throttle > 0 {
		ew.printf("; throttle removed")
	}
	if v.LeadersElected {
		ew.printf("; preferred leaders elected")
	}
	ew.printf(".\n")
	return ew.err
}

// CancelResult is what a cancel of reassignments did: how many it
// cancelled, and the throttle it removed ("": none).
type CancelResult struct {
	Cancelled       int    `json:"cancelled" yaml:"cancelled"`
	ThrottleRemoved string `json:"throttleRemoved" yaml:"throttleRemoved"`
}

// WriteText prints the cancel's one line.
func (v CancelResult) WriteText(w io.Writer, st Styles) error {
	msg := fmt.Sprintf("%s Cancelled %s (Kafka restores their replicas as they were)", st.OK("✓"), human.Plural(v.Cancelled, "reassignment"))
	if v.ThrottleRemoved != "" {
		msg += "; removed the throttle kctl set (" + v.ThrottleRemoved + ")"
	}
	_, err := fmt.Fprintln(w, msg+".")
	return err
}
