package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kctl/kctl/internal/feature/truncate"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/topology"
	"github.com/spf13/cobra"
)

// TruncateOptions is `kctl truncate`.
type TruncateOptions struct {
	f       *Factory
	Now     func() time.Time
	Request truncate.Request
	// File is -f: the topics file whose managedPrefixes say which topics
	// may be truncated ("" : ./topics.yaml when it exists).
	File  string
	Force bool
	ChangeFlags

	before     int64
	beforeTime string
}

// NewCmdTruncate builds `kctl truncate TOPIC[:P,...]...`.
func NewCmdTruncate(f *Factory, runF func(context.Context, *TruncateOptions) error) *cobra.Command {
	opts := &TruncateOptions{f: f, Now: f.Now, before: -1}
	cmd := &cobra.Command{
		Use:   "truncate TOPIC[:P,...]... (--before OFFSET | --before-time TIME | --all)",
		Short: "Delete a topic's records before an offset or a time, or all (DeleteRecords): a plan first, confirmed",
		Long: `Deletes the records before a new log start on each partition named (every partition of a
topic named alone; TOPIC:0,2 names partitions): --before OFFSET, --before-time TIME (the
first record at or after TIME; RFC 3339, a date, or a duration ago such as 2h) or --all (up
to the high watermark). The plan shows per partition the log start now and after, the offsets
that become unreadable and the consumer groups whose committed offset is then behind the new
start; then kctl asks on a terminal (without a terminal --yes is required; --dry-run stops
after the plan).

Only topics under the managedPrefixes of the topics file (-f, default ./topics.yaml) may be
truncated; another topic, or any topic when there is no topics file, must be confirmed with
--force. Internal topics (__*) are always refused. An offset above a partition's high
watermark or a time in the future is refused before anything is sent.`,
		Example:           "  kctl truncate orders.v1 --before-time 2h\n  kctl truncate orders.v1:0,2 --before 1500 --yes\n  kctl truncate scratch --all --force",
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.parse(cmd, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runTruncate(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&opts.before, "before", -1, "delete the records before this `OFFSET` on each partition")
	fl.StringVar(&opts.beforeTime, "before-time", "", "delete the records before the first one at or after `TIME` (RFC 3339, date, or a duration ago: 2h)")
	fl.BoolVar(&opts.Request.All, "all", false, "delete every record (up to the high watermark)")
	fl.BoolVar(&opts.Force, "force", false, "truncate topics outside the topics file's managedPrefixes (or with no topics file)")
	fl.StringVarP(&opts.File, "file", "f", "", "topics file whose managedPrefixes may be truncated (default ./topics.yaml, if it exists)")
	addChangeFlags(cmd, &opts.ChangeFlags, "print the plan and delete nothing", false)
	return cmd
}

func (o *TruncateOptions) parse(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return &FlagError{Err: errors.New("name the topics to truncate, e.g. kctl truncate orders --before-time 2h (TOPIC:0,2 names partitions)")}
	}
	n := 0
	if cmd.Flags().Changed("before") {
		n++
		if o.before < 0 {
			return &FlagError{Err: fmt.Errorf("--before %d: an offset is 0 or more", o.before)}
		}
	}
	if cmd.Flags().Changed("before-time") {
		n++
	}
	if o.Request.All {
		n++
	}
	if n != 1 {
		return &FlagError{Err: errors.New("say where the new log start is, once: --before OFFSET, --before-time TIME or --all")}
	}
	o.Request.Before = o.before
	if cmd.Flags().Changed("before-time") {
		now := o.Now()
		t, err := human.ParseTimeOrAgo(o.beforeTime, now)
		if err != nil {
			return &FlagError{Err: fmt.Errorf("--before-time: %w", err)}
		}
		if t.After(now) {
			return &FlagError{Err: fmt.Errorf("--before-time %s is in the future (now is %s): nothing was deleted; --all deletes every record", t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))}
		}
		o.Request.BeforeTime = t
	}
	o.Request.Topics = map[string][]int32{}
	for _, a := range args {
		t, ps, err := parseTopicPartitions(a)
		if err != nil {
			return err
		}
		if prev, ok := o.Request.Topics[t]; ok && (len(prev) == 0 || len(ps) == 0) {
			o.Request.Topics[t] = nil // the whole topic
			continue
		}
		o.Request.Topics[t] = append(o.Request.Topics[t], ps...)
	}
	return checkChangeFlags(o.ChangeFlags)
}

// parseTopicPartitions parses TOPIC or TOPIC:P,P...
func parseTopicPartitions(s string) (string, []int32, error) {
	t, list, has := s, "", false
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		t, list, has = s[:i], s[i+1:], true
	}
	if t == "" || (has && list == "") {
		return "", nil, &FlagError{Err: fmt.Errorf("%q: name a topic, or partitions as TOPIC:0,2", s)}
	}
	if !has {
		return t, nil, nil
	}
	var ps []int32
	for _, x := range strings.Split(list, ",") {
		p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 32)
		if err != nil || p < 0 {
			return "", nil, &FlagError{Err: fmt.Errorf("%q: partition %q is not a number: name partitions as TOPIC:0,2", s, x)}
		}
		ps = append(ps, int32(p))
	}
	return t, ps, nil
}

// allowed refuses internal topics, and topics the topics file does not
// manage (every topic without a topics file) unless --force.
func (o *TruncateOptions) allowed() error {
	names := slices.Sorted(func(yield func(string) bool) {
		for t := range o.Request.Topics {
			if !yield(t) {
				return
			}
		}
	})
	for _, t := range names {
		if strings.HasPrefix(t, "__") {
			return fmt.Errorf("topic %q is internal to Kafka: kctl never truncates it; nothing was deleted", t)
		}
	}
	if o.Force {
		return nil
	}
	path := o.File
	if path == "" {
		if _, err := os.Stat(DefaultTopicsFile); err != nil {
			return fmt.Errorf("no topics file (./%s or -f FILE), so kctl cannot tell whether %s yours: if it is, name it and add --force; nothing was deleted",
				DefaultTopicsFile, isAre(names))
		}
		path = DefaultTopicsFile
	}
	file, _, err := topology.Load(path)
	if err != nil {
		return err
	}
	if file == nil {
		return fmt.Errorf("topics file %s cannot be read (kctl validate says why): its managedPrefixes say which topics may be truncated; fix it, or add --force; nothing was deleted", path)
	}
	var outside []string
	for _, t := range names {
		if !file.Managed(t) {
			outside = append(outside, t)
		}
	}
	if len(outside) > 0 {
		return fmt.Errorf("%s outside the managedPrefixes of %s (%s): add --force to truncate anyway; nothing was deleted",
			isAre(outside), path, strings.Join(file.ManagedPrefixes, ", "))
	}
	return nil
}

func isAre(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0] + " is"
	}
	return strings.Join(q, ", ") + " are"
}

func runTruncate(ctx context.Context, o *TruncateOptions) error {
	if err := o.allowed(); err != nil {
		return err
	}
	c, err := o.f.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	plan, err := truncate.Build(ctx, c.Admin, o.Request)
	if err != nil {
		return connectionError(err)
	}
	if len(plan.Changes()) == 0 {
		return o.f.Print(plan)
	}
	if ok, err := showAndConfirm(ctx, o.f, o.ChangeFlags, plan, "truncate", "Delete these records?"); !ok || err != nil {
		return err
	}
	r, err := truncate.Execute(ctx, c.Admin, plan)
	if err != nil {
		return connectionError(err)
	}
	perr := o.f.Print(r)
	if r.Failed() > 0 {
		return ErrSilentFailure
	}
	return perr
}
