package provision

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/kctl/kctl/topology"
)

// WriteText prints the plan terraform-style: "+ create", "~ update",
// "- delete", "! refused" with details, then the summary line
// "Plan: N to create, N to update, N to delete, N refused." or
// "No changes. …" when there is nothing to do. A plan for an environment
// of the file starts with "Environment: NAME".
func (p *Plan) WriteText(w io.Writer, st Styles) error {
	ew := &errWriter{w: w}
	if p.Environment != "" {
		ew.printf("%s %s\n", st.Bold("Environment:"), p.Environment)
	}
	if len(p.Changes)+len(p.Access)+len(p.BrokerConfigs) == 0 {
		ew.printf("No changes. Cluster %q matches %s (%s).\n", p.ClusterID, p.File, p.declared())
	} else {
		ew.printf("kctl will make these changes to cluster %q (%s):\n", p.ClusterID, p.File)
		for _, c := range append(slices.Clone(p.Changes), brokerChangesAsTopics(p.BrokerConfigs)...) {
			ew.printf("\n")
			writeChange(ew, st, c)
		}
		writeAccess(ew, st, p.Access)
	}
	if len(p.Unmanaged) > 0 {
		ew.printf("\nUnmanaged configs (set on the cluster, not in %s; left alone, --prune-configs removes them):\n", p.File)
		width := 0
		for _, u := range p.Unmanaged {
			width = max(width, len(u.Topic))
		}
		for _, u := range p.Unmanaged {
			ew.printf("  %-*s  %s = %s\n", width, u.Topic, u.Name, value(u.Name, u.Value))
		}
	}
	writeUnmanagedBrokers(ew, p)
	for _, n := range p.Notes {
		ew.printf("\n%s\n", st.Dim("Note: "+n))
	}
	if len(p.Changes)+len(p.Access)+len(p.BrokerConfigs) > 0 {
		s := p.Summary
		risky := ""
		if s.Risky > 0 {
			risky = ", " + st.Warn(fmt.Sprintf("%d risky (⚠)", s.Risky))
		}
		ew.printf("\n%s %s to create, %s to update, %s to delete, %s refused%s.\n", st.Bold("Plan:"),
			st.Add(fmt.Sprint(s.Create)), st.Change(fmt.Sprint(s.Update)), st.Remove(fmt.Sprint(s.Delete)), st.Bad(fmt.Sprint(s.Refused)), risky)
	}
	return ew.err
}

func writeChange(ew *errWriter, st Styles, c Change) {
	name := c.Topic
	if name == "" {
		name = "cluster"
	}
	switch c.Action {
	case Create:
		ew.printf("  %s %s\n", st.Add("+ create"), st.Bold(name))
	case Update:
		ew.printf("  %s %s\n", st.Change("~ update"), st.Bold(name))
	case Delete:
		ew.printf("  %s %s\n", st.Remove("- delete"), st.Bold(name))
	default:
		ew.printf("  %s %s\n", st.Bad("! refused"), st.Bold(name))
	}
	type row struct{ k, v string }
	var rows []row
	create := c.Action == Create || (c.Action == Refused && c.Partitions != nil && c.Partitions.From == 0)
	if c.Partitions != nil {
		if create {
			rows = append(rows, row{"partitions", fmt.Sprintf("= %d", c.Partitions.To)})
		} else {
			rows = append(rows, row{"partitions", fmt.Sprintf("%d → %d", c.Partitions.From, c.Partitions.To)})
		}
	}
	if c.ReplicationFactor != nil {
		if create {
			rows = append(rows, row{"replicationFactor", fmt.Sprintf("= %d", c.ReplicationFactor.To)})
		} else {
			rows = append(rows, row{"replicationFactor", fmt.Sprintf("%d → %d", c.ReplicationFactor.From, c.ReplicationFactor.To)})
		}
	}
	for _, m := range c.Reassignments {
		rows = append(rows, row{fmt.Sprintf("partition %d", m.Partition), fmt.Sprintf("%s → %s", ReplicaList(m.From), ReplicaList(m.To))})
	}
	for _, cc := range c.Configs {
		switch {
		case create:
			rows = append(rows, row{cc.Name, "= " + value(cc.Name, cc.New)})
		case cc.Op == OpDelete:
			fallback := "the broker default"
			if cc.New != nil {
				fallback = value(cc.Name, cc.New)
			}
			rows = append(rows, row{cc.Name, fmt.Sprintf("%s → (removed; falls back to %s)", oldValue(cc), fallback)})
		default:
			rows = append(rows, row{cc.Name, fmt.Sprintf("%s → %s", oldValue(cc), value(cc.Name, cc.New))})
		}
	}
	width := 0
	for _, r := range rows {
		width = max(width, len(r.k))
	}
	for _, r := range rows {
		ew.printf("      %-*s %s\n", width, r.k, r.v)
	}
	for _, r := range c.Reasons {
		ew.printf("      %s\n", st.Bad("! "+r))
	}
	for _, r := range c.Risks {
		ew.printf("      %s\n", st.Warn("⚠ "+r.Message))
	}
}

// ReplicaList prints broker IDs as Kafka tools do: [1,2,3].
func ReplicaList(ids []int32) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.Itoa(int(id))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// value prints a config value with its readable unit: "604800000 (7d)".
func value(name string, v *string) string { return valueNote(name, v, "") }

// valueNote is value with an extra note in the same parentheses:
// "604800000 (7d, default)".
func valueNote(name string, v *string, note string) string {
	if v == nil {
		return "(none)"
	}
	var notes []string
	if h := topology.Humanize(name, *v); h != "" {
		notes = append(notes, h)
	}
	if note != "" {
		notes = append(notes, note)
	}
	if len(notes) == 0 {
		return *v
	}
	return fmt.Sprintf("%s (%s)", *v, strings.Join(notes, ", "))
}

func oldValue(cc ConfigChange) string {
	if cc.Old == nil {
		return "(not set)"
	}
	note := ""
	if cc.OldSource != "" && cc.OldSource != SourceTopic {
		note = cc.OldSource
	}
	return valueNote(cc.Name, cc.Old, note)
}

// ApplySummary is the closing line of an apply, as counts.
type ApplySummary struct {
	// Status is complete, failed, or dry-run.
	Status  string `json:"status" yaml:"status"`
	Created int    `json:"created" yaml:"created"`
	Updated int    `json:"updated" yaml:"updated"`
	Deleted int    `json:"deleted" yaml:"deleted"`
	Failed  int    `json:"failed" yaml:"failed"`
	// Checked and Accepted count a dry run's changes the brokers checked
	// and accepted (validate-only).
	Checked  int `json:"checked,omitempty" yaml:"checked,omitempty"`
	Accepted int `json:"accepted,omitempty" yaml:"accepted,omitempty"`
	// Reassigning counts the partitions whose reassignment started.
	Reassigning int `json:"reassigning,omitempty" yaml:"reassigning,omitempty"`
}

// Summary counts what the apply did.
func (r Result) Summary() ApplySummary {
	s := ApplySummary{Status: "complete", Created: r.Count(Create), Updated: r.Count(Update), Deleted: r.Count(Delete),
		Failed: len(r.Failed()), Reassigning: r.Reassigning}
	switch {
	case r.DryRun:
		s.Status = "dry-run"
		for _, it := range r.Items {
			if it.Skipped == "" {
				s.Checked++
			}
		}
		s.Accepted = s.Checked - s.Failed
	case s.Failed > 0:
		s.Status = "failed"
	}
	return s
}

// ApplyView is what kctl apply prints: the plan, and once carried out
// the result and its summary. The text and the JSON/YAML are printed from
// these fields.
type ApplyView struct {
	Plan    *Plan         `json:"plan" yaml:"plan"`
	Result  *Result       `json:"result" yaml:"result"`
	Summary *ApplySummary `json:"summary,omitempty" yaml:"summary,omitempty"`
}

// NewApplyView is the view of plan p and its result r (nil: not carried
// out).
func NewApplyView(p *Plan, r *Result) ApplyView {
	v := ApplyView{Plan: p, Result: r}
	if r != nil {
		s := r.Summary()
		v.Summary = &s
	}
	return v
}

// WriteText prints the plan, then the result.
func (v ApplyView) WriteText(w io.Writer, st Styles) error {
	if err := v.WritePlanText(w, st); err != nil {
		return err
	}
	return v.WriteResultText(w, st)
}

// WritePlanText prints the plan (shown before the question).
func (v ApplyView) WritePlanText(w io.Writer, st Styles) error {
	if v.Plan == nil {
		return nil
	}
	return v.Plan.WriteText(w, st)
}

// WriteResultText prints the result after a blank line: one line per
// change and the summary; nothing before the apply.
func (v ApplyView) WriteResultText(w io.Writer, st Styles) error {
	if v.Result == nil {
		return nil
	}
	ew := &errWriter{w: w}
	ew.printf("\n")
	_ = v.Result.WriteText(ew, st)
	return ew.err
}

// WriteText prints one line per change and a closing summary.
func (r Result) WriteText(w io.Writer, st Styles) error {
	ew := &errWriter{w: w}
	for _, it := range r.Items {
		switch {
		case it.Skipped != "":
			ew.printf("  %s %s %s: %s\n", st.Dim("-"), it.Action, it.text(), it.Skipped)
		case !it.OK:
			ew.printf("  %s %s %s: %s\n", st.Bad("✗"), it.Action, it.text(), st.Bad(it.Error))
		case r.DryRun && it.Unchecked != "":
			ew.printf("  %s %s %s: accepted (validate-only); %s\n", st.OK("✓"), it.Action, it.text(), it.Unchecked)
		case r.DryRun:
			ew.printf("  %s %s %s: accepted (validate-only)\n", st.OK("✓"), it.Action, it.text())
		default:
			ew.printf("  %s %s %s\n", st.OK("✓"), pastTense(it.Action), it.text())
		}
	}
	s := r.Summary()
	switch s.Status {
	case "dry-run":
		ew.printf("Dry run: the brokers accepted %d of %d checked changes; nothing was changed.\n", s.Accepted, s.Checked)
	case "failed":
		ew.printf("%s %d created, %d updated, %d deleted, %s.\n", st.Bad("Apply failed:"),
			s.Created, s.Updated, s.Deleted, st.Bad(fmt.Sprintf("%d failed", s.Failed)))
	default:
		ew.printf("%s %d created, %d updated, %d deleted.\n", st.OK("Apply complete:"), s.Created, s.Updated, s.Deleted)
	}
	if s.Reassigning > 0 {
		ew.printf("Reassignment started for %s: the brokers copy the data in the background; kctl reassignments shows the progress.\n", countWord(s.Reassigning, "partition", "partitions"))
	}
	return ew.err
}

func pastTense(a Action) string {
	switch a {
	case Create:
		return "created"
	case Update:
		return "updated"
	case Delete:
		return "deleted"
	}
	return string(a)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err != nil {
		return
	}
	_, e.err = fmt.Fprintf(e.w, format, a...)
}

// Write makes an errWriter an io.Writer, for printers nested in others.
func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	var n int
	n, e.err = e.w.Write(b)
	return n, e.err
}
