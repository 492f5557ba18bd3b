package dlt

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
)

// WriteText prints a replay plan or outcome: one row per dead letter
// selected, the skipped ones, the counts, and what was (or would be)
// done; a plan ends with the dry run's closing line.
func (p *ReplayPlan) WriteText(w io.Writer, st view.Styles) error {
	return p.writeText(w, st, true)
}

// WriteTextBeforeQuestion is WriteText without a plan's closing "Dry run"
// line: the question whether to execute it follows.
func (p *ReplayPlan) WriteTextBeforeQuestion(w io.Writer, st view.Styles) error {
	return p.writeText(w, st, false)
}

func (p *ReplayPlan) writeText(w io.Writer, st view.Styles, dryRunNote bool) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "%s  %s\n", st.Bold("Dead letters on "+view.Printable(p.DLT)), st.Dim("(progress in group "+view.Printable(p.Group)+")"))
	if len(p.Records) == 0 {
		fmt.Fprintln(ew, "Nothing to replay.")
	} else {
		t := view.Table{Header: []string{"", "PARTITION", "OFFSET", "DEAD-LETTERED", "ORIGINAL", "EXCEPTION", "TO", "MESSAGE"}}
		for _, e := range p.Records {
			mark := st.Add("+")
			switch e.Status {
			case StatusReplayed:
				mark = st.OK("✓")
			case StatusFailed:
				mark = st.Bad("✗")
			case StatusAlreadyReplayed:
				mark = st.Dim("=")
			}
			orig := fmt.Sprintf("%s/%d/%d", e.Info.OriginalTopic, e.Info.OriginalPartition, e.Info.OriginalOffset)
			msg := e.Info.ExceptionMessage
			if e.Error != "" {
				msg = e.Error
			} else if e.Status == StatusAlreadyReplayed {
				msg = "already replayed by another run"
			}
			t.Rows = append(t.Rows, []string{mark, strconv.Itoa(int(e.Partition)), strconv.FormatInt(e.Offset, 10),
				e.Timestamp.Format(time.RFC3339), view.Printable(orig), view.Printable(shortClass(e.Info.ExceptionFQCN)),
				view.Printable(e.To), view.Printable(msg)})
		}
		if err := t.Write(ew, st); err != nil {
			return err
		}
	}
	for _, s := range p.Skipped {
		fmt.Fprintln(ew, st.Warn(fmt.Sprintf("skipped %s/%d/%d: %s (never sent)", view.Printable(p.DLT), s.Partition, s.Offset, s.Reason)))
	}
	verb := "to replay"
	if p.Execute {
		verb = "selected"
	}
	fmt.Fprintf(ew, "\n%d %s, %d already replayed, %d filtered out (left for a later run), %d skipped.\n",
		len(p.Records), verb, p.AlreadyReplayed, p.FilteredOut, len(p.Skipped))
	if p.Truncated {
		fmt.Fprintln(ew, "Stopped at -n: later dead letters were not read.")
	}
	for _, m := range p.Warnings {
		fmt.Fprintln(ew, st.Warn("warning: "+view.Printable(m)))
	}
	if !p.Execute {
		if len(p.Records) > 0 && dryRunNote {
			fmt.Fprintln(ew, st.Dim("Dry run: nothing sent. Run again with --yes to republish them."))
		}
		return ew.err
	}
	var pos []string
	for _, pp := range p.Progress {
		s := fmt.Sprintf("partition %d: done below %d", pp.Partition, pp.Next)
		if pp.DoneAbove > 0 {
			s += fmt.Sprintf(" and %d above", pp.DoneAbove)
		}
		pos = append(pos, s)
	}
	fmt.Fprintf(ew, "Replayed %d of %d; progress in group %s: %s.\n", p.Replayed, len(p.Records), view.Printable(p.Group), strings.Join(pos, ", "))
	return ew.err
}

// shortClass drops a Go type name's import path: email.PermanentError.
func shortClass(fqcn string) string {
	if i := strings.LastIndexByte(fqcn, '/'); i >= 0 {
		return fqcn[i+1:]
	}
	return fqcn
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
