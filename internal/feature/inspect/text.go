package inspect

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/kctl/kctl/internal/platform/view"
)

func ids(s []int32) string {
	if len(s) == 0 {
		return "-"
	}
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(int(v))
	}
	return strings.Join(parts, ",")
}

func warnings(w io.Writer, st view.Styles, ws []string) {
	for _, m := range ws {
		fmt.Fprintln(w, st.Warn("warning: "+view.Printable(m)))
	}
}

// HealthLine is the one-line health summary.
func (h Health) HealthLine(st view.Styles) string {
	counts := fmt.Sprintf("%d under-replicated, %d offline, %d under-min-ISR", h.UnderReplicated, h.Offline, h.UnderMinISR)
	if h.MinISRUnknown > 0 {
		counts += fmt.Sprintf("; min ISR unknown for %d partitions", h.MinISRUnknown)
	}
	switch {
	case h.OK():
		return st.OK("OK") + " (" + counts + ")"
	case h.UnderReplicated == 0 && h.Offline == 0 && h.UnderMinISR == 0:
		return st.Warn("UNKNOWN") + " (" + counts + ")"
	}
	return st.Bad("DEGRADED") + " (" + counts + ")"
}

// WriteText prints the cluster view.
func (v ClusterView) WriteText(w io.Writer, st view.Styles) error {
	fmt.Fprintf(w, "Cluster ID:  %s\n", orDash(view.Printable(v.ClusterID)))
	fmt.Fprintf(w, "Controller:  %d\n", v.Controller)
	fmt.Fprintf(w, "Topics:      %d (%d partitions; %d internal topics)\n", v.Topics, v.Partitions, v.InternalTopics)
	fmt.Fprintf(w, "Health:      %s\n", v.Health.HealthLine(st))
	fmt.Fprintf(w, "Leaders:     %s\n", v.LeadersLine(st))
	fmt.Fprintf(w, "Brokers:     %d\n\n", len(v.Brokers))
	t := view.Table{Header: []string{"ID", "ADDRESS", "RACK", "ROLE"}}
	for _, b := range v.Brokers {
		role := ""
		if b.Controller {
			role = "controller"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(int(b.ID)), view.Printable(fmt.Sprintf("%s:%d", b.Host, b.Port)), orDash(view.Printable(b.Rack)), role})
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	warnings(w, st, v.Warnings)
	return nil
}

// LeadersLine is the one-line leader skew summary: balanced, or how many
// partitions are led elsewhere with each broker's leaders/preferred.
func (v ClusterView) LeadersLine(st view.Styles) string {
	if v.NotPreferred == 0 {
		return st.OK("balanced") + " (every partition led by its preferred replica)"
	}
	var per []string
	for _, l := range v.Leaders {
		if l.Leaders != l.Preferred {
			per = append(per, fmt.Sprintf("broker %d leads %d, preferred %d", l.Broker, l.Leaders, l.Preferred))
		}
	}
	word := "partitions"
	if v.NotPreferred == 1 {
		word = "partition"
	}
	line := st.Warn("SKEWED") + fmt.Sprintf(" (%d %s not led by the preferred replica", v.NotPreferred, word)
	if len(per) > 0 {
		line += "; " + strings.Join(per, ", ")
	}
	return line + "): kctl elect-leaders"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Status is a partition's one-word state for tables.
func (p Partition) Status() string {
	var s []string
	if p.Leaderless {
		s = append(s, "leaderless")
	}
	if len(p.OfflineReplicas) > 0 {
		s = append(s, "offline-replicas")
	}
	if p.UnderReplicated {
		s = append(s, "under-replicated")
	}
	if p.UnderMinISR {
		s = append(s, "under-min-isr")
	}
	if p.Error != "" {
		s = append(s, "error: "+view.Printable(p.Error))
	}
	if len(s) == 0 {
		return "ok"
	}
	return strings.Join(s, ",")
}

// WriteText prints the topics view.
func (v TopicsView) WriteText(w io.Writer, st view.Styles) error {
	if len(v.Topics) == 0 {
		fmt.Fprintln(w, "No topics match.")
	}
	for i, t := range v.Topics {
		if i > 0 {
			fmt.Fprintln(w)
		}
		extra := ""
		if t.Internal {
			extra = ", internal"
		}
		parts := "partitions"
		if t.Partitions == 1 {
			parts = "partition"
		}
		minISR := strconv.Itoa(t.MinISR)
		if t.ConfigsError != "" {
			minISR = "unknown"
		}
		fmt.Fprintf(w, "%s  %s\n", st.Bold("Topic "+view.Printable(t.Name)), st.Dim(fmt.Sprintf("(%d %s, RF %d, min ISR %s%s)", t.Partitions, parts, t.ReplicationFactor, minISR, extra)))
		switch {
		case t.ConfigsError != "":
			fmt.Fprintln(w, st.Warn("Configs: unknown ("+view.Printable(t.ConfigsError)+")"))
		case len(t.Configs) == 0:
			fmt.Fprintln(w, "Configs: (all broker defaults)")
		default:
			fmt.Fprintln(w, "Configs:")
			for _, c := range t.Configs {
				fmt.Fprintf(w, "  %s=%s  %s\n", view.Printable(c.Name), view.Printable(c.Value), st.Dim("("+c.Source+")"))
			}
		}
		switch {
		case t.SizeError != "":
			fmt.Fprintln(w, st.Warn("Size: unknown ("+view.Printable(t.SizeError)+")"))
		case t.Size != nil:
			fmt.Fprintf(w, "Size: %s (%s in leaders)\n", humanize.IBytes(uint64(max(0, t.Size.Bytes))), humanize.IBytes(uint64(max(0, t.Size.LeaderBytes))))
		}
		tb := view.Table{Header: []string{"PARTITION", "LEADER", "REPLICAS", "ISR", "OFFLINE", "STATUS"}}
		for _, p := range t.PartitionDetails {
			leader := strconv.Itoa(int(p.Leader))
			if p.Leaderless {
				leader = "none"
			}
			status := p.Status()
			if status == "ok" {
				status = st.OK(status)
			} else {
				status = st.Bad(status)
			}
			tb.Rows = append(tb.Rows, []string{strconv.Itoa(int(p.Partition)), leader, ids(p.Replicas), ids(p.ISR), ids(p.OfflineReplicas), status})
		}
		if err := tb.Write(w, st); err != nil {
			return err
		}
	}
	warnings(w, st, v.Warnings)
	return nil
}
