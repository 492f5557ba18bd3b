package copy

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/kctl/kctl/internal/platform/view"
)

// WriteText prints the plan: source range, partitions, destination and
// mapping.
func (p *Plan) WriteText(w io.Writer, st view.Styles) error {
	where := "on the same cluster"
	if !p.SameCluster {
		where = "on the destination cluster"
	}
	fmt.Fprintf(w, "Copy %s → %s (%s)\n", p.Src, p.Dst, where)
	fmt.Fprintf(w, "  range:   from %s to %s (end offsets seen now; records after them are not copied)\n", p.From, p.To)
	switch p.Mapping {
	case SamePartition:
		fmt.Fprintf(w, "  mapping: same partition (%d partitions each)\n", p.SrcPartitions)
	default:
		fmt.Fprintf(w, "  mapping: by key, as Java's partitioner (murmur2): %d source partitions, %d destination partitions\n", p.SrcPartitions, p.DstPartitions)
	}
	if p.ExactlyOnce {
		fmt.Fprintf(w, "  exactly once: each batch and its progress in one transaction (progress group and transactional id %s)\n", p.Group)
	} else {
		fmt.Fprintf(w, "  at least once: a run stopped part way and started again copies some records twice (--exactly-once does not)\n")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PARTITION\tSTART\tEND\tOFFSETS\t")
	for _, pp := range p.Partitions {
		note := ""
		if pp.Resumed {
			note = "resumed (progress of an earlier run)"
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%s\n", pp.Partition, pp.Start, pp.End, pp.Records(), note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%s offsets to copy (at most that many records).\n", st.Bold(fmt.Sprint(p.Total)))
	return err
}

// WriteText prints the outcome.
func (r *Result) WriteText(w io.Writer, st view.Styles) error {
	msg := fmt.Sprintf("copied %d records from %s to %s in %d batch(es)", r.Copied, r.Plan.Src, r.Plan.Dst, r.Batches)
	if r.Plan.ExactlyOnce {
		msg += " (transactions)"
	}
	if r.AlreadyCopied > 0 {
		msg += fmt.Sprintf("; %d were already copied by another run", r.AlreadyCopied)
	}
	_, err := fmt.Fprintln(w, st.OK(msg))
	return err
}
