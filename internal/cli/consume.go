package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/kctl/kctl/internal/platform/where"
	"github.com/spf13/cobra"
)

// ConsumeOptions is `kctl consume`.
type ConsumeOptions struct {
	IO      IOStreams
	Dialer  Dialer
	Records records.ConsumeOptions
	Encoder records.Encoder
	// IsTerminal says whether a stream is a terminal (--where's progress
	// line is drawn only on one).
	IsTerminal func(any) bool
	// Registry connects to the Schema Registry (Factory.Registry); with
	// one configured (RegistryFlags, the environment, the context), framed
	// records are decoded (consume_registry.go).
	Registry      RegistryFunc
	RegistryFlags registryFlags
}

// NewCmdConsume builds `kctl consume TOPIC...`.
func NewCmdConsume(f *Factory, runF func(context.Context, *ConsumeOptions) error) *cobra.Command {
	opts := &ConsumeOptions{IO: f.IO, Dialer: f.Dialer(), IsTerminal: f.IsTerminal, Registry: f.Registry}
	var from, to, format, whereExpr string
	var partitions []string
	cmd := &cobra.Command{
		Use:   "consume TOPIC...",
		Short: "Print the records of topics (as kcat -C): from an offset, a time or the end; text, JSON or YAML",
		Long: `Print the records of one or more topics on stdout, one per line, until Ctrl-C,
-n N records, or with -e the end offsets seen at start (--to: an offset or a time before
which each partition stops; implies -e).

--from says where each partition starts: beginning (the default), end, stored (the group's
committed offsets), an offset (42), -N (the last N records of each partition), or a time
as everywhere in kctl (2026-01-02T15:04:05Z, 2026-01-02 15:04 in UTC, -1h, 30m, 7d, 1d12h). A
time or a duration is resolved
with ListOffsets by timestamp.

Without --group no consumer group is used and nothing is committed. With --group G kctl
joins G and commits each record once printed, as any consumer of the group; the group's
committed offsets win, and --from says where a partition it never committed starts.

--format FORMAT (kcat's -f; in kctl -f is always a file) prints each record with kcat's
placeholders: %t topic, %p partition, %o offset, %k key, %s value, %h headers (k=v,k=v),
%T timestamp (ms since the epoch), %K and %S key and value length, %% a percent sign; escapes \n \t \r \\ \0. The default prints the value.
-o json prints one JSON object per record on a line of its own, -o yaml one YAML document per record
("---" before each), with the same fields (topic, partition, offset, timestamp, key, value,
headers); bytes that are not UTF-8 are base64, flagged with "keyEncoding"/"valueEncoding":
"base64". Transactions are read read_committed.

--where EXPR prints only the records a CEL expression matches, over key, value (the JSON
they hold when they parse as JSON: value.user.email; else a string), headers (a map),
topic, partition, offset and timestamp; e.g.
value.email.endsWith("@test.com") && headers["kafka_dlt-exception-fqcn"] != "". -n counts
matches. At the end it prints on stderr how many records it scanned and matched; a record
where the expression cannot be evaluated (a missing field) does not match and is counted.

With a Schema Registry (--registry URL, $KCTL_REGISTRY, $SCHEMA_REGISTRY_URL or the context's),
framed keys and values (Avro, JSON Schema, Protobuf) print as JSON, and --where sees them
decoded; -o json adds keySchema and valueSchema (schemaId, subject, version). A record that does
not decode prints in base64 with a note on stderr and is counted; the run goes on
(docs/schema-registry.md).`,
		Example: `  kctl consume user.signed-up -e                      # everything there now, then exit
  kctl consume user.signed-up --from -10 -e           # the last 10 records of each partition
  kctl consume user.signed-up --from -1h -o json      # the last hour, then follow
  kctl consume user.signed-up --from 2026-01-02T15:04:05Z -n 5
  kctl consume user.signed-up -p 0,2 --format '%p/%o %k=%s\n'
  kctl consume user.signed-up --group audit           # as a member of group audit
  kctl consume user.signed-up -e --where 'value.email.endsWith("@test.com")'`,
		Annotations: longRunning, // streams: Go's default GC keeps the heap small
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &FlagError{Err: errors.New("give the topic(s) to read: kctl consume TOPIC... (kctl describe topics lists them)")}
			}
			return nil
		},
		ValidArgsFunction: completeTopics(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := &opts.Records
			o.Topics = args
			for _, t := range args {
				if t == "" {
					return &FlagError{Err: errors.New("empty topic name")}
				}
			}
			if cmd.Flags().Changed("from") {
				fr, err := records.ParseFrom(from, f.Now())
				if err != nil {
					return &FlagError{Err: err}
				}
				o.From = fr
			} else if o.Group != "" {
				o.From = records.From{Kind: records.FromStored, Input: "stored"}
			} else {
				o.From = records.From{Kind: records.FromBeginning, Input: "beginning"}
			}
			if cmd.Flags().Changed("to") {
				t, err := records.ParseTo(to, f.Now())
				if err != nil {
					return &FlagError{Err: err}
				}
				o.To, o.Exit = &t, true
			}
			if cmd.Flags().Changed("where") {
				pred, err := where.Compile(whereExpr)
				if err != nil {
					return &FlagError{Err: err}
				}
				o.Where = pred
			}
			ps, err := records.ParsePartitions(partitions)
			if err != nil {
				return &FlagError{Err: err}
			}
			o.Partitions = ps
			if o.Max < 0 {
				return &FlagError{Err: fmt.Errorf("-n %d: the count cannot be negative; give 1 or more to stop after that many records (without -n there is no limit)", o.Max)}
			}
			fm, err := f.Format()
			if err != nil {
				return &FlagError{Err: outputHint(cmd, args, f.Global.Output, err)}
			}
			if opts.Encoder, err = consumeEncoder(fm, cmd.Flags().Changed("format"), format); err != nil {
				return &FlagError{Err: err}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runConsume(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&from, "from", "beginning", "where to start: beginning|end|stored|OFFSET|-N|TIME (2026-01-02T15:04:05Z)|DURATION ago (-1h, 7d)")
	fl.StringSliceVarP(&partitions, "partition", "p", nil, "only these partitions `P[,P]` (comma-separated or repeated)")
	fl.StringVar(&to, "to", "", "stop each partition before: end|OFFSET|TIME|DURATION ago (implies -e)")
	fl.Int64VarP(&opts.Records.Max, "count", "n", 0, "stop after `N` records (0: no limit)")
	fl.BoolVarP(&opts.Records.Exit, "exit", "e", false, "stop at the end offsets seen at start (as kcat -e)")
	format = records.DefaultFormat
	fl.Var((*rawString)(&format), "format", "text `FORMAT` with kcat's placeholders %t %p %o %k %s %h %T %K %S and \\n \\t")
	fl.StringVar(&opts.Records.Group, "group", "", "consume as a member of consumer group `G` and commit (default: no group, no commits)")
	fl.StringVar(&whereExpr, "where", "", "only records matching this CEL `EXPR` over key, value (JSON), headers, topic, partition, offset, timestamp")
	fl.BoolVar(&opts.Records.ReadUncommitted, "read-uncommitted", false, "also print records of open and aborted transactions")
	addRegistryFlags(fl, &opts.RegistryFlags)
	_ = cmd.RegisterFlagCompletionFunc("group", completeGroups(f))
	_ = cmd.RegisterFlagCompletionFunc("from", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"beginning", "end", "stored", "-10", "-1h"}, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runConsume(ctx context.Context, o *ConsumeOptions) error {
	ro := o.Records
	enc, whereDec, done, err := o.decoding(ctx)
	if err != nil {
		return err
	}
	defer done()
	if ro.Where != nil && whereDec != nil {
		// --where sees the decoded Avro, JSON Schema or Protobuf values.
		ro.Where = ro.Where.WithDecoder(whereDec)
	}
	c, err := o.Dialer.Connect(ctx, nil, "", ro.FetchOptions()...)
	if err != nil {
		return err
	}
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, c.Settings.Timeout)
	plan, err := records.NewPlan(pctx, c.Admin, ro)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return connectionError(err)
	}
	for _, pp := range plan.Partitions {
		if pp.Clamped && pp.LogStart == pp.End {
			warnf(o.IO.ErrOut, "%s/%d: --from %s: the partition is empty (next offset %d): starting there", pp.Topic, pp.Partition, ro.From.Input, pp.End)
		} else if pp.Clamped {
			warnf(o.IO.ErrOut, "%s/%d: --from %s is outside the log (offsets %d-%d): starting at %d", pp.Topic, pp.Partition, ro.From.Input, pp.LogStart, pp.End, pp.Start)
		}
	}
	cl := c.Client
	if ro.Group != "" {
		gcl, err := kafka.NewClient(c.Settings, o.Dialer.Logger(), append(ro.FetchOptions(), plan.GroupOptions()...)...)
		if err != nil {
			return err
		}
		defer gcl.Close()
		cl = gcl
	}
	// A reader that goes away (kctl consume | head) makes the next write
	// fail with EPIPE (Main catches SIGPIPE): that ends the command
	// quietly, with exit 0.
	start := time.Now()
	if ro.Where != nil && o.IsTerminal != nil && o.IsTerminal(o.IO.ErrOut) {
		plan.Options.Progress = func(c where.Counts) {
			fmt.Fprintf(o.IO.ErrOut, "\r\x1b[K%s", c.Summary(0))
		}
	}
	_, err = plan.Run(ctx, cl, enc, o.IO.Out, c.Settings.Timeout)
	if ro.Where != nil {
		if plan.Options.Progress != nil {
			fmt.Fprint(o.IO.ErrOut, "\r\x1b[K")
		}
		fmt.Fprintln(o.IO.ErrOut, plan.Counts.Summary(time.Since(start)))
	}
	if errors.Is(err, syscall.EPIPE) {
		return nil
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// consumeEncoder returns the encoder of the records for the -o format fm
// and, for text, --format (given: formatGiven).
func consumeEncoder(fm view.Format, formatGiven bool, format string) (records.Encoder, error) {
	switch {
	case fm != view.Text && formatGiven:
		return nil, fmt.Errorf("--format and -o %s do not go together: --format is for text output", fm)
	case fm == view.JSON:
		return records.JSON{}, nil
	case fm == view.YAML:
		return records.YAML{}, nil
	case fm == view.Text:
		tf, err := records.ParseFormat(format)
		if err != nil {
			return nil, err
		}
		return tf, nil
	default:
		return nil, fmt.Errorf("kctl consume prints text (--format FORMAT) or -o json, not -o %s", fm)
	}
}

// rawString is a string flag whose default the help shows as typed
// (pflag quotes a "string" flag's default with Go's %q: "%s\\n").
type rawString string

func (s *rawString) String() string     { return string(*s) }
func (s *rawString) Set(v string) error { *s = rawString(v); return nil }
func (s *rawString) Type() string       { return "format" }

// outputHint returns err, the error of an -o that is no output format:
// for kctl export given a file (-o topics.yaml) one saying the file is
// -f; for kctl consume given kcat's -o OFFSET (-o beginning, -o -5) one
// saying that is --from here.
func outputHint(cmd *cobra.Command, args []string, output string, err error) error {
	if cmd.Name() == "export" {
		return fmt.Errorf("%w; export writes its file with -f FILE: kctl export -f %s", err, output)
	}
	if cmd.Name() != "consume" {
		return err
	}
	if _, ferr := records.ParseFrom(output, time.Now()); ferr != nil {
		return err
	}
	return fmt.Errorf("-o is the output format here (text, json or yaml); kcat's -o OFFSET is --from in kctl: kctl consume %s --from %s", strings.Join(args, " "), output)
}
