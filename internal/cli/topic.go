package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/kctl/kctl/internal/platform/errs"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/provision"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// The kinds of `kctl topic` change.
const (
	topicCreate        = "create"
	topicDelete        = "delete"
	topicSetConfig     = "set-config"
	topicAddPartitions = "add-partitions"
)

// NewCmdTopic is `kctl topic`: one topic's change at 3 a.m., planned,
// gated and applied as apply does it.
func NewCmdTopic(f *Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, delete, reconfigure or grow one topic now: the plan apply would show, the same gate, confirmed",
		Long: `One topic's change without a topics file edit, for the 3 a.m. incident (as kafka-topics.sh
and kafka-configs.sh): each is the plan kctl apply would show for that topic, with the same
safety rules (risky changes need --allow-risky, a delete needs the topic's name typed at the
prompt or --yes) and the same validation of config keys and values. When a topics file (-f,
default ./topics.yaml) manages the topic, kctl says that the next apply reverts the change and
prints the edit to make to the file.`,
		Args: noArgs,
	}
	cmd.AddCommand(NewCmdTopicChange(f, topicCreate, nil), NewCmdTopicChange(f, topicDelete, nil),
		NewCmdTopicChange(f, topicSetConfig, nil), NewCmdTopicChange(f, topicAddPartitions, nil))
	return cmd
}

// TopicOptions is `kctl topic create|delete|set-config|add-partitions`.
type TopicOptions struct {
	f    *Factory
	Kind string
	Name string
	// Partitions (create, add-partitions: the new total) and
	// ReplicationFactor (create).
	Partitions        int32
	ReplicationFactor int16
	// Configs are KEY=VALUE (create --config, set-config's arguments).
	Configs    []string
	File       string
	AllowRisky bool
	// WriteFile makes the topics file's edit after the change.
	WriteFile bool
	ChangeFlags
}

// NewCmdTopicChange builds one `kctl topic KIND` command.
func NewCmdTopicChange(f *Factory, kind string, runF func(context.Context, *TopicOptions) error) *cobra.Command {
	opts := &TopicOptions{f: f, Kind: kind, ReplicationFactor: 3}
	cmd := &cobra.Command{ValidArgsFunction: completeTopics(f)}
	switch kind {
	case topicCreate:
		cmd.Use = "create NAME --partitions N [--replication-factor R] [--config KEY=VALUE]..."
		cmd.Short = "Create a topic (the plan apply would show), confirmed"
		cmd.Example = "  kctl topic create orders.retry --partitions 6 --config retention.ms=1d --yes"
		cmd.Args = exactArgs(1)
	case topicDelete:
		cmd.Use = "delete NAME"
		cmd.Short = "Delete a topic and its records: confirmed by typing its name (or --yes)"
		cmd.Example = "  kctl topic delete orders.tmp\n  kctl topic delete orders.tmp --yes"
		cmd.Args = exactArgs(1)
	case topicSetConfig:
		cmd.Use = "set-config NAME KEY=VALUE..."
		cmd.Short = "Set topic configs (other configs are left alone), confirmed"
		cmd.Example = "  kctl topic set-config orders.v1 retention.ms=3d max.message.bytes=2MiB"
		cmd.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return &FlagError{Err: fmt.Errorf("give NAME KEY=VALUE..., as in: kctl topic set-config orders.v1 retention.ms=3d")}
			}
			return nil
		}
	case topicAddPartitions:
		cmd.Use = "add-partitions NAME --partitions N"
		cmd.Short = "Grow a topic to N partitions (risky on a compacted topic: keys move), confirmed"
		cmd.Example = "  kctl topic add-partitions orders.v1 --partitions 12 --allow-risky"
		cmd.Args = exactArgs(1)
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if strings.TrimSpace(args[0]) == "" {
			return &FlagError{Err: errors.New("the topic name is empty")}
		}
		opts.Name = args[0]
		if kind == topicSetConfig {
			opts.Configs = args[1:]
		}
		if (kind == topicCreate || kind == topicAddPartitions) && !cmd.Flags().Changed("partitions") {
			return &FlagError{Err: fmt.Errorf("kctl topic %s needs --partitions N", kind)}
		}
		if err := checkChangeFlags(opts.ChangeFlags); err != nil {
			return err
		}
		if runF != nil {
			return runF(cmd.Context(), opts)
		}
		return runTopicChange(cmd.Context(), opts)
	}
	fl := cmd.Flags()
	switch kind {
	case topicCreate:
		fl.Int32VarP(&opts.Partitions, "partitions", "p", 0, "number of partitions")
		fl.Int16VarP(&opts.ReplicationFactor, "replication-factor", "r", 3, "replication factor")
		fl.StringArrayVarP(&opts.Configs, "config", "c", nil, "a topic config KEY=VALUE (repeatable; units as in topics.yaml: 7d, 1MiB)")
	case topicAddPartitions:
		fl.Int32VarP(&opts.Partitions, "partitions", "p", 0, "the new number of partitions (more than now)")
	}
	if kind != topicDelete {
		fl.BoolVar(&opts.AllowRisky, "allow-risky", false, "carry out changes marked ⚠ (risky) without asking")
	}
	fl.StringVarP(&opts.File, "file", "f", "", "topics file that may manage the topic (default ./topics.yaml, if it exists)")
	fl.BoolVar(&opts.WriteFile, "write-file", false, "after the change, edit the topics file that manages the topic to match (its comments are kept)")
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan and change nothing (the brokers validate it)", false)
	return cmd
}

// topicEntry is one topic as topics.yaml writes it.
type topicEntry struct {
	Name              string            `yaml:"name"`
	Partitions        int32             `yaml:"partitions"`
	ReplicationFactor int16             `yaml:"replicationFactor"`
	Config            map[string]string `yaml:"config,omitempty"`
}

// parseConfigs parses KEY=VALUE arguments.
func parseConfigs(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, &FlagError{Err: fmt.Errorf("config %q: write KEY=VALUE, e.g. retention.ms=3d", kv)}
		}
		if _, dup := out[k]; dup {
			return nil, &FlagError{Err: fmt.Errorf("config %q is given twice: give each key once", k)}
		}
		out[k] = v
	}
	return out, nil
}

// oneTopicFile returns the topics file of entry, parsed and checked as
// topics.yaml is (config keys and values, partition limits).
func oneTopicFile(e topicEntry, label string) (*topology.File, error) {
	data, err := yaml.Marshal(map[string]any{"topics": []topicEntry{e}})
	if err != nil {
		return nil, err
	}
	file, diags := topology.Parse(label, data)
	if errs := diags.Errors(); len(errs) > 0 || file == nil {
		var msgs []string
		for _, d := range errs {
			msgs = append(msgs, d.Message)
		}
		return nil, &FlagError{Err: fmt.Errorf("topic %s: %s; nothing was changed", e.Name, strings.Join(msgs, "; "))}
	}
	file.Path = label
	return file, nil
}

func runTopicChange(ctx context.Context, o *TopicOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	configs, err := parseConfigs(o.Configs)
	if err != nil {
		return err
	}
	managed, err := loadManagingFile(o.File)
	if err != nil {
		return err
	}
	if o.WriteFile && managed == nil {
		return &FlagError{Err: errors.New("--write-file: there is no topics file to write (./topics.yaml, or -f FILE)")}
	}
	c, err := f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	octx, cancel := context.WithTimeout(ctx, f.Global.Timeout)
	defer cancel()
	st, err := provision.ObserveScope(octx, c.Client, provision.Scope{Topics: []string{o.Name}})
	if err != nil {
		return connectionError(err)
	}
	ts, exists := st.Topics[o.Name]
	if ts != nil && ts.Err != "" {
		return fmt.Errorf("topic %q: %s", o.Name, ts.Err)
	}
	label := "kctl topic " + o.Kind
	var file *topology.File
	popts := provision.Options{}
	allow := provision.Allowances{Risky: o.AllowRisky, DryRun: o.DryRun}
	entry := topicEntry{Name: o.Name, Partitions: o.Partitions, ReplicationFactor: o.ReplicationFactor, Config: configs}
	if o.Kind == topicCreate {
		if exists {
			return fmt.Errorf("topic %q already exists: kctl topic set-config or add-partitions change it; nothing was changed", o.Name)
		}
	} else if !exists {
		var names []string
		for n := range st.Topics {
			names = append(names, n)
		}
		return &errs.TopicNotFound{Topics: []string{o.Name}, Suggestions: errs.Suggest([]string{o.Name}, names), Hint: "nothing was changed"}
	}
	switch o.Kind {
	case topicCreate:
		file, err = oneTopicFile(entry, label)
	case topicSetConfig:
		entry.Partitions, entry.ReplicationFactor = ts.Partitions, ts.ReplicationFactor
		file, err = oneTopicFile(withCurrentConfigs(entry, ts), label)
	case topicAddPartitions:
		if o.Partitions <= ts.Partitions {
			return &FlagError{Err: fmt.Errorf("topic %q has %d partitions: --partitions %d does not add any (Kafka cannot remove partitions); give more than %d", o.Name, ts.Partitions, o.Partitions, ts.Partitions)}
		}
		entry.ReplicationFactor, entry.Config = ts.ReplicationFactor, nil
		file, err = oneTopicFile(withCurrentConfigs(entry, ts), label)
	case topicDelete:
		// The topic alone, under a managed prefix that is its own name,
		// undeclared: apply --prune's delete of exactly this topic.
		for n := range st.Topics {
			if n != o.Name {
				delete(st.Topics, n)
			}
		}
		file = &topology.File{Path: label, ManagedPrefixes: []string{o.Name}, Topics: []topology.Topic{}}
		popts = provision.Options{Prune: true, MaxDeletes: 1}
		allow.Prune, allow.MaxDeletes = true, 1
	}
	if err != nil {
		return err
	}
	p := provision.Diff(file, st, popts)
	text := format == view.Text
	av := provision.NewApplyView(p, nil)
	if text {
		if err := f.Print(planView(p)); err != nil {
			return err
		}
	}
	// The edit the topics file needs, so that the next apply does not
	// revert this change.
	note, edit := managedNote(managed, o, entry, ts)
	if note != "" {
		w := f.IO.Out
		if !text {
			w = f.IO.ErrOut
		}
		fmt.Fprintf(w, "\n%s\n", note)
	}
	finish := func() error {
		if text {
			return nil
		}
		return f.Print(av)
	}
	markers := markerStore(f)
	d := provision.Gate(p, allow, markers)
	var ge *provision.GateError
	ask := errors.As(d.Err(), &ge) && ge.Only(provision.RefusalRisky) && !o.Yes && f.IsTerminal(f.IO.In)
	if err := d.Err(); err != nil && !ask {
		if ferr := finish(); ferr != nil {
			return ferr
		}
		return gateError(err, p, format)
	}
	if !p.HasChanges() {
		if err := finish(); err != nil {
			return err
		}
		if o.WriteFile && !o.DryRun && edit {
			return writeTopicsFile(f, managed.Path, o, entry)
		}
		return nil
	}
	if ask {
		writeRisks(f.IO.ErrOut, f.stderrStyles(), p)
	}
	if !o.DryRun {
		if o.Kind == topicDelete {
			if err := confirmTyped(ctx, f, o.ChangeFlags, o.Name); err != nil {
				return err
			}
		} else if err := confirmChange(ctx, f, o.ChangeFlags, "topic "+o.Kind+" "+o.Name, "Apply this change?"); err != nil {
			return err
		}
	}
	if ask {
		allow.Risky = true
		if d = provision.Gate(p, allow, markers); d.Err() != nil {
			return gateError(d.Err(), p, format)
		}
	}
	if text {
		fmt.Fprintln(f.IO.Out)
	}
	res, applyErr := provision.Apply(ctx, c.Client, d, provision.ApplyOptions{
		DryRun:        o.DryRun,
		BrokerTimeout: f.Global.Timeout,
		LeaderWait:    max(f.Global.Timeout, provision.DefaultLeaderWait),
		Getenv:        f.Getenv,
	})
	av = provision.NewApplyView(p, &res)
	if text {
		if err := res.WriteText(f.IO.Out, f.Styles()); err != nil {
			return err
		}
	} else if err := finish(); err != nil {
		return err
	}
	if applyErr == nil && o.WriteFile && !o.DryRun && edit {
		return writeTopicsFile(f, managed.Path, o, entry)
	}
	return applyErr
}

// withCurrentConfigs returns e declaring, besides its own configs, the
// topic's dynamic configs as they are (so the plan changes only what the
// command names, and lists no "unmanaged" configs).
func withCurrentConfigs(e topicEntry, ts *provision.TopicState) topicEntry {
	cfg := map[string]string{}
	for k, c := range ts.Configs {
		if c.Source == provision.SourceTopic && c.Value != nil && !c.Sensitive {
			cfg[k] = *c.Value
		}
	}
	for k, v := range e.Config {
		cfg[k] = v
	}
	e.Config = cfg
	return e
}

// confirmTyped is a delete's confirmation: --yes, or the topic's name typed
// on a terminal.
func confirmTyped(ctx context.Context, f *Factory, c ChangeFlags, name string) error {
	if c.Yes {
		return nil
	}
	if !f.IsTerminal(f.IO.In) {
		return fmt.Errorf("stdin is not a terminal, so kctl cannot ask before deleting topic %q: review the plan, then run kctl topic delete %s --yes (or --dry-run to stop after the plan)", name, name)
	}
	fmt.Fprintf(f.IO.ErrOut, "\nThis deletes topic %q and every record in it. Type the topic's name to go ahead: ", name)
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(f.IO.In).ReadString('\n')
		ch <- answer{line, err}
	}()
	select {
	case <-ctx.Done():
		fmt.Fprintln(f.IO.ErrOut)
		return ctx.Err()
	case a := <-ch:
		if a.err != nil && a.line == "" {
			return fmt.Errorf("read confirmation: %w", a.err)
		}
		if strings.TrimSpace(a.line) != name {
			return fmt.Errorf("topic delete cancelled (the name typed was not %q): nothing was changed", name)
		}
		return nil
	}
}

// loadManagingFile reads the topics file (-f, else ./topics.yaml when it
// exists); nil without one.
func loadManagingFile(path string) (*topology.File, error) {
	if path == "" {
		if _, err := os.Stat(DefaultTopicsFile); err != nil {
			return nil, nil
		}
		path = DefaultTopicsFile
	}
	file, _, err := topology.Load(path)
	if err != nil {
		return nil, err
	}
	return file, nil
}

// managedNote says, when file manages the topic, what the next apply would
// do and what to write in the file instead ("" otherwise); edit reports
// whether the file needs an edit to keep the change.
func managedNote(file *topology.File, o *TopicOptions, e topicEntry, ts *provision.TopicState) (note string, edit bool) {
	if file == nil {
		return "", false
	}
	decl, declared := file.Topic(o.Name)
	if !declared && !file.Managed(o.Name) {
		return "", false
	}
	where := file.Path
	if declared && decl.Pos.Line > 0 {
		where = fmt.Sprintf("%s:%d", file.Path, decl.Pos.Line)
	}
	var b strings.Builder
	switch {
	case o.Kind == topicDelete && declared:
		fmt.Fprintf(&b, "%s declares topic %s: the next kctl apply creates it again. Remove its entry from the file.", where, o.Name)
	case o.Kind == topicDelete:
		return "", false
	case !declared:
		fmt.Fprintf(&b, "%s manages %s (managedPrefixes %s) but does not declare it: the next kctl apply --prune deletes it. Add it to the file's topics:\n",
			file.Path, o.Name, strings.Join(file.ManagedPrefixes, ", "))
		if ts != nil {
			e.Partitions, e.ReplicationFactor = max(e.Partitions, ts.Partitions), ts.ReplicationFactor
		}
		out, _ := yaml.Marshal([]topicEntry{e})
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			b.WriteString("  " + l + "\n")
		}
		return strings.TrimRight(b.String(), "\n"), true
	default:
		// Only what differs from the declaration: parsed, so 7d = 604800000.
		var now topology.Topic
		if pf, err := oneTopicFile(e, "edit"); err == nil && len(pf.Topics) == 1 {
			now = pf.Topics[0]
		}
		var lines []string
		if (o.Kind == topicAddPartitions || o.Kind == topicCreate) && decl.Partitions != now.Partitions {
			lines = append(lines, fmt.Sprintf("    partitions: %d", e.Partitions))
		}
		if o.Kind == topicCreate && decl.ReplicationFactor != now.ReplicationFactor {
			lines = append(lines, fmt.Sprintf("    replicationFactor: %d", e.ReplicationFactor))
		}
		keys := make([]string, 0, len(e.Config))
		for k := range e.Config {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var cfg []string
		for _, k := range keys {
			if dv, ok := decl.Config[k]; !ok || dv != now.Config[k] {
				cfg = append(cfg, fmt.Sprintf("      %s: %s", k, strconv.Quote(e.Config[k])))
			}
		}
		if len(cfg) > 0 {
			lines = append(lines, "    config:")
			lines = append(lines, cfg...)
		}
		if len(lines) == 0 {
			return fmt.Sprintf("%s declares topic %s with these settings: the next kctl apply keeps them.", where, o.Name), false
		}
		fmt.Fprintf(&b, "%s declares topic %s otherwise: the next kctl apply reverts this change. Edit the file's entry to keep it:\n%s", where, o.Name, strings.Join(lines, "\n"))
	}
	return b.String(), true
}
