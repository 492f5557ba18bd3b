package txn

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/view"
)

func partitionsText(ps []Partitions) string {
	if len(ps) == 0 {
		return "-"
	}
	var s []string
	for _, p := range ps {
		n := make([]string, len(p.Partitions))
		for i, x := range p.Partitions {
			n[i] = strconv.Itoa(int(x))
		}
		s = append(s, view.Printable(p.Topic)+":"+strings.Join(n, ","))
	}
	return strings.Join(s, " ")
}

func optAge(ms *int64) string {
	if ms == nil {
		return "-"
	}
	return ageText(*ms)
}

// WriteText prints the transactional ids as a table.
func (v *ListView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Transactions) == 0 {
		_, err := fmt.Fprintln(w, "No transactional ids.")
		return err
	}
	t := view.Table{Header: []string{"TRANSACTIONAL ID", "STATE", "PRODUCER ID", "EPOCH", "COORDINATOR", "AGE", "PARTITIONS"}}
	for _, x := range v.Transactions {
		t.Rows = append(t.Rows, []string{view.Printable(x.ID), x.State, strconv.FormatInt(x.ProducerID, 10),
			strconv.Itoa(int(x.ProducerEpoch)), strconv.Itoa(int(x.Coordinator)), optAge(x.AgeMs), partitionsText(x.Partitions)})
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	for _, x := range v.Transactions {
		if x.Error != "" {
			fmt.Fprintln(w, st.Bad("error: "+view.Printable(x.ID)+": "+view.Printable(x.Error)))
		}
	}
	return nil
}

// WriteText prints one transactional id.
func (x *Txn) WriteText(w io.Writer, st view.Styles) error {
	started := "-"
	if x.Started != nil {
		started = x.Started.Format(time.RFC3339) + " (" + optAge(x.AgeMs) + " ago)"
	}
	fmt.Fprintf(w, "Transactional id: %s\n", st.Bold(view.Printable(x.ID)))
	fmt.Fprintf(w, "State:            %s\n", x.State)
	fmt.Fprintf(w, "Producer:         id %d, epoch %d\n", x.ProducerID, x.ProducerEpoch)
	fmt.Fprintf(w, "Coordinator:      broker %d\n", x.Coordinator)
	fmt.Fprintf(w, "Timeout:          %s\n", human.Age(time.Duration(x.TimeoutMs)*time.Millisecond))
	fmt.Fprintf(w, "Started:          %s\n", started)
	_, err := fmt.Fprintf(w, "Partitions:       %s\n", partitionsText(x.Partitions))
	return err
}

func coordText(o Open) string {
	if o.TransactionalID == "" {
		return "unknown to any coordinator"
	}
	return view.Printable(o.TransactionalID) + " (" + o.CoordinatorState + ")"
}

// WriteText prints the hanging transactions as a table, then what to do.
func (v *HangingView) WriteText(w io.Writer, st view.Styles) error {
	older := human.Age(time.Duration(v.OlderThanMs) * time.Millisecond)
	if len(v.Hanging) == 0 {
		fmt.Fprintf(w, "No open transaction older than %s holds a partition's last stable offset back.\n", older)
	} else {
		t := view.Table{Header: []string{"TOPIC", "PARTITION", "PRODUCER ID", "EPOCH", "START OFFSET", "LSO", "HIGH WATERMARK", "HELD BACK", "AGE", "TRANSACTIONAL ID"}}
		for _, o := range v.Hanging {
			t.Rows = append(t.Rows, []string{view.Printable(o.Topic), strconv.Itoa(int(o.Partition)), strconv.FormatInt(o.ProducerID, 10),
				strconv.Itoa(int(o.ProducerEpoch)), strconv.FormatInt(o.StartOffset, 10), strconv.FormatInt(o.LastStableOffset, 10),
				strconv.FormatInt(o.HighWatermark, 10), strconv.FormatInt(o.HeldBack(), 10), ageText(o.AgeMs), coordText(o)})
		}
		if err := t.Write(w, st); err != nil {
			return err
		}
		fmt.Fprintln(w, st.Dim(fmt.Sprintf("read_committed consumers of these partitions wait at the LSO. If the producer is gone, abort: kctl txn abort %s:%d --start-offset %d",
			view.Printable(v.Hanging[0].Topic), v.Hanging[0].Partition, v.Hanging[0].StartOffset)))
	}
	for _, e := range v.Errors {
		fmt.Fprintln(w, st.Bad("error: "+view.Printable(e)))
	}
	return nil
}

// WriteText prints the abort plan.
func (p *AbortPlan) WriteText(w io.Writer, st view.Styles) error {
	fmt.Fprintf(w, "kctl would write an abort marker on %s:\n", st.Bold(fmt.Sprintf("%s:%d", view.Printable(p.Topic), p.Partition)))
	fmt.Fprintf(w, "  %s producer id %d, epoch %d: transaction open since offset %d, last write %s ago\n",
		st.Remove("-"), p.ProducerID, p.ProducerEpoch, p.StartOffset, ageText(p.AgeMs))
	fmt.Fprintf(w, "  coordinator: %s\n", coordText(p.Open))
	fmt.Fprintf(w, "  last stable offset %d, high watermark %d: %s held back from read_committed consumers\n",
		p.LastStableOffset, p.HighWatermark, human.Plural(int(p.HeldBack()), "offset"))
	msg := "The transaction's records become aborted (never read by read_committed consumers); the LSO moves past them."
	if p.CoordinatorState == "Ongoing" {
		msg += " Its coordinator still counts it Ongoing: abort only when the producer is gone."
	}
	_, err := fmt.Fprintln(w, st.Dim(msg))
	return err
}

// WriteText prints the abort's outcome.
func (r *AbortResult) WriteText(w io.Writer, st view.Styles) error {
	lso := "unknown"
	if r.LastStableOffset >= 0 {
		lso = strconv.FormatInt(r.LastStableOffset, 10)
	}
	_, err := fmt.Fprintf(w, "%s aborted the transaction of producer %d (epoch %d) on %s:%d; last stable offset %d -> %s\n",
		st.OK("✓"), r.Aborted.ProducerID, r.Aborted.ProducerEpoch, view.Printable(r.Aborted.Topic), r.Aborted.Partition, r.Aborted.LastStableOffset, lso)
	return err
}
