package brokers

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/kctl/kctl/internal/platform/view"
)

// Bytes prints n in binary units (1.2 MiB), "-" for a negative n (unknown).
func Bytes(n int64) string {
	if n < 0 {
		return "-"
	}
	return humanize.IBytes(uint64(n))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func warnings(w io.Writer, st view.Styles, ws []string) {
	for _, m := range ws {
		fmt.Fprintln(w, st.Warn("warning: "+view.Printable(m)))
	}
}

// WriteText prints the brokers, then each one's configs with --configs.
func (v BrokersView) WriteText(w io.Writer, st view.Styles) error {
	t := view.Table{Header: []string{"ID", "ADDRESS", "RACK", "ROLE", "VERSION", "FEATURES"}}
	for _, b := range v.Brokers {
		role := "broker"
		if b.Controller {
			role = "controller"
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(int(b.ID)), view.Printable(fmt.Sprintf("%s:%d", b.Host, b.Port)), orDash(view.Printable(b.Rack)), role, view.Printable(b.Version), orDash(view.Printable(strings.Join(b.Features, ",")))})
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	for _, b := range v.Brokers {
		if b.Configs == nil && b.Error == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", st.Bold(fmt.Sprintf("Broker %d configs", b.ID)))
		if b.Error != "" {
			fmt.Fprintln(w, st.Warn(view.Printable(b.Error)))
			continue
		}
		ct := view.Table{Header: []string{"NAME", "VALUE", "SOURCE"}}
		for _, c := range b.Configs {
			val := view.Printable(c.Value)
			if c.Sensitive {
				val = "(sensitive, not shown)"
			}
			ct.Rows = append(ct.Rows, []string{view.Printable(c.Name), val, c.Source})
		}
		if err := ct.Write(w, st); err != nil {
			return err
		}
	}
	warnings(w, st, v.Warnings)
	return nil
}

// WriteText prints the log dirs table of the view's grouping.
func (v LogDirsView) WriteText(w io.Writer, st view.Styles) error {
	var t view.Table
	switch v.By {
	case ByTopic:
		t.Header = []string{"TOPIC", "SIZE", "LEADERS", "REPLICAS", "PARTITIONS"}
		for _, u := range v.Topics {
			t.Rows = append(t.Rows, []string{view.Printable(u.Topic), Bytes(u.Bytes), Bytes(u.LeaderBytes), Bytes(u.ReplicaBytes), strconv.Itoa(u.Partitions)})
		}
	case ByPartition:
		t.Header = []string{"TOPIC", "PARTITION", "BROKER", "DIR", "SIZE", "ROLE", "OFFSET LAG"}
		for _, r := range v.Partitions {
			t.Rows = append(t.Rows, []string{view.Printable(r.Topic), strconv.Itoa(int(r.Partition)), strconv.Itoa(int(r.Broker)), view.Printable(r.Dir), Bytes(r.Bytes), r.Role, strconv.FormatInt(r.OffsetLag, 10)})
		}
	default:
		t.Header = []string{"BROKER", "DIR", "SIZE", "LEADERS", "REPLICAS", "PARTITIONS", "VOLUME", "USABLE"}
		for _, d := range v.Dirs {
			size := Bytes(d.Bytes)
			if d.Error != "" {
				size = st.Bad("error: " + view.Printable(d.Error))
			}
			t.Rows = append(t.Rows, []string{strconv.Itoa(int(d.Broker)), view.Printable(d.Dir), size, Bytes(d.LeaderBytes), Bytes(d.ReplicaBytes), strconv.Itoa(d.Replicas), Bytes(d.TotalBytes), Bytes(d.UsableBytes)})
		}
	}
	if err := t.Write(w, st); err != nil {
		return err
	}
	line := "Total: " + Bytes(v.TotalBytes)
	if v.Shown < v.Total {
		line += fmt.Sprintf(" (largest %d of %d shown)", v.Shown, v.Total)
	}
	fmt.Fprintln(w, st.Dim(line))
	warnings(w, st, v.Warnings)
	return nil
}

func leaderName(id int32) string {
	if id < 0 {
		return "none"
	}
	return strconv.Itoa(int(id))
}

// WriteText prints the plan: one line per partition, current → new leader.
func (p ElectPlan) WriteText(w io.Writer, st view.Styles) error {
	kind := "Preferred"
	if p.Unclean {
		kind = "Unclean"
	}
	if len(p.Elections) == 0 {
		if p.Unclean {
			fmt.Fprintf(w, "No election needed: all %d partitions checked have a leader.\n", p.Checked)
		} else {
			fmt.Fprintf(w, "No election needed: all %d partitions checked are led by their preferred replica.\n", p.Checked-len(p.Skipped))
		}
	} else {
		fmt.Fprintf(w, "%s leader election for %d of %d partitions:\n", kind, len(p.Elections), p.Checked)
		for _, e := range p.Elections {
			to := strconv.Itoa(int(e.Preferred))
			if p.Unclean {
				to = "a live replica of " + ids(e.Replicas) + " (may be out of sync: records can be lost)"
			}
			fmt.Fprintf(w, "  %s %s:%d  leader %s → %s\n", st.Change("~"), view.Printable(e.Topic), e.Partition, leaderName(e.Current), to)
		}
	}
	for _, s := range p.Skipped {
		fmt.Fprintln(w, st.Warn(fmt.Sprintf("  skipped %s:%d: %s", view.Printable(s.Topic), s.Partition, s.Why)))
	}
	return nil
}

func ids(s []int32) string {
	parts := make([]string, len(s))
	for i, v := range s {
		parts[i] = strconv.Itoa(int(v))
	}
	return strings.Join(parts, ",")
}

// WriteText prints the offsets table.
func (v OffsetsView) WriteText(w io.Writer, st view.Styles) error {
	t := view.Table{Header: []string{"PARTITION", "OFFSET", "TIMESTAMP"}}
	for _, p := range v.Partitions {
		off, ts := strconv.FormatInt(p.Offset, 10), "-"
		if p.Timestamp >= 0 {
			ts = time.UnixMilli(p.Timestamp).UTC().Format(time.RFC3339Nano)
		}
		if p.Error != "" {
			off, ts = st.Bad("error"), view.Printable(p.Error)
		}
		t.Rows = append(t.Rows, []string{strconv.Itoa(int(p.Partition)), off, ts})
	}
	fmt.Fprintf(w, "%s  %s\n", st.Bold("Topic "+view.Printable(v.Topic)), st.Dim("(at "+v.At+")"))
	return t.Write(w, st)
}

// WriteText prints the quorum.
func (v QuorumView) WriteText(w io.Writer, st view.Styles) error {
	fmt.Fprintf(w, "Leader:          %d\n", v.Leader)
	fmt.Fprintf(w, "Epoch:           %d\n", v.Epoch)
	fmt.Fprintf(w, "High watermark:  %d\n\n", v.HighWatermark)
	t := view.Table{Header: []string{"ID", "ROLE", "LOG END", "LAG", "LAST FETCH", "LAST CAUGHT UP"}}
	ago := func(ms int64) string {
		if ms < 0 {
			return "-"
		}
		d := time.Duration(v.Now-ms) * time.Millisecond
		if d < 0 {
			d = 0
		}
		return d.Round(time.Millisecond).String() + " ago"
	}
	add := func(rs []QuorumReplica, role string) {
		for _, r := range rs {
			ro := role
			if r.Leader {
				ro = "leader"
			}
			lag := strconv.FormatInt(r.Lag, 10)
			if r.Lag < 0 {
				lag = "unknown"
			}
			t.Rows = append(t.Rows, []string{strconv.Itoa(int(r.ID)), ro, strconv.FormatInt(r.LogEndOffset, 10), lag, ago(r.LastFetch), ago(r.LastCaughtUp)})
		}
	}
	add(v.Voters, "voter")
	add(v.Observers, "observer")
	return t.Write(w, st)
}
