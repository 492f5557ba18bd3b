package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kctl/kctl/internal/feature/records"
	"github.com/kctl/kctl/internal/platform/human"
	"github.com/kctl/kctl/internal/platform/kafka"
	"github.com/kctl/kctl/internal/platform/view"
	"github.com/spf13/cobra"

	"github.com/kctl/kctl/internal/platform/errs"
)

// ProduceOptions is `kctl produce`.
type ProduceOptions struct {
	IO         IOStreams
	Dialer     Dialer
	Printing   Printing
	IsTerminal func(any) bool
	// StopNow is closed at a second interrupt (Factory.StopNow).
	StopNow <-chan struct{}
	// Registry connects to the Schema Registry (Factory.Registry).
	Registry RegistryFunc

	Records records.ProduceOptions
	File    string // "" or "-": stdin
	// Schemas: --value-schema … (produce_registry.go).
	Schemas     produceSchemas
	Compression string
}

// NewCmdProduce builds `kctl produce TOPIC`.
func NewCmdProduce(f *Factory, runF func(context.Context, *ProduceOptions) error) *cobra.Command {
	opts := &ProduceOptions{IO: f.IO, Dialer: f.Dialer(), Printing: f.Printing(), IsTerminal: f.IsTerminal, StopNow: f.StopNow, Registry: f.Registry}
	var keySep string
	var headers []string
	var partition string
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Write one record per line of stdin or a file to a topic (as kcat -P), acks=all",
		Long: `Write one record per line of stdin (or --file) to TOPIC, with acks=all and an idempotent
producer, and exit once every record was acknowledged, printing the count on stderr.

-k SEP splits each line at the first SEP into key and value (a line without SEP has no key);
-H key=value adds a header to every record (repeatable); --partition P writes to one
partition, otherwise records with a key go to the key's partition and the others are spread.

The topic must exist: kctl produce never creates one. A line whose record is larger than the
topic's max.message.bytes is refused with its line number: for a file before anything is
sent, for stdin with nothing from that line on sent. The size is counted as the broker counts
a batch (61-byte header + the record). With --compression the broker checks the compressed
batch, but franz-go bounds a record by its size before compression, so a line over the limit
is still refused, saying how large it would be compressed. At the first failure kctl stops
reading and reports exactly how many records the brokers acknowledged.

Ctrl-C (or SIGTERM) stops reading and waits up to --timeout for the outstanding
acknowledgements; a second Ctrl-C stops waiting at once. When the brokers acknowledge nothing
for 3 × --timeout (at least 30s) while records are outstanding, kctl gives up (exit 1). Either
way it reports "N acknowledged, M not acknowledged (unknown: may or may not be written)".

-o json or -o yaml prints a summary on stdout once producing started (topic, sent, failed,
unknown, error); an error before that (a missing topic, a file line too large) goes to
stderr only.

--value-schema SUBJECT[:VERSION] or --value-schema-file FILE (and --key-schema… with -k): each
line is JSON, validated, encoded in the schema and framed for the Schema Registry (--registry). A
line that does not fit is not produced: it is named with its field path, counted ("rejected"), and
the exit code is 1 (docs/schema-registry.md).`,
		Example: `  echo hello | kctl produce user.signed-up
  kctl produce user.signed-up -k ':' -H source=ops --file events.txt
  kctl produce user.signed-up -p 2 --compression zstd < lines.txt`,
		Annotations: longRunning, // streams: Go's default GC keeps the heap small
		Args:        exactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeTopics(f)(cmd, args, toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o := &opts.Records
			o.Topic = args[0]
			if o.Topic == "" {
				return &FlagError{Err: errors.New("empty topic name")}
			}
			o.Partition = -1
			if cmd.Flags().Changed("partition") {
				n, err := strconv.ParseInt(strings.TrimSpace(partition), 10, 32)
				if err != nil || n < 0 {
					return &FlagError{Err: fmt.Errorf("--partition %q: want a partition number, 0 or more (e.g. -p 2)", partition)}
				}
				o.Partition = int32(n)
			}
			if cmd.Flags().Changed("key-separator") && keySep == "" {
				return &FlagError{Err: errors.New("-k: the key separator is empty; give one, e.g. -k ':' or -k '\\t'")}
			}
			if strings.Contains(keySep, "\n") || strings.Contains(keySep, `\n`) {
				return &FlagError{Err: fmt.Errorf("-k '%s': lines are split at newlines, so a key separator with a newline (or \\n) never matches; give one within a line, e.g. -k ':' or -k '\\t'", keySep)}
			}
			o.KeySeparator = records.ParseSeparator(keySep)
			hs, err := records.ParseHeaders(headers)
			if err != nil {
				return &FlagError{Err: err}
			}
			o.Headers = hs
			if _, err := o.ClientOptions(opts.Compression); err != nil {
				return &FlagError{Err: err}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runProduce(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&keySep, "key-separator", "k", "", "split each line at the first `SEP` into key and value (\\t is a tab)")
	fl.StringArrayVarP(&headers, "header", "H", nil, "add header `key=value` to every record (repeatable)")
	fl.StringVarP(&partition, "partition", "p", "", "write every record to partition `P` (default: by key, spread without one)")
	fl.StringVarP(&opts.File, "file", "f", "", "read lines from `FILE` instead of stdin (- is stdin)")
	fl.StringVar(&opts.Compression, "compression", "none", "batch compression: none|gzip|snappy|lz4|zstd")
	opts.Schemas.addFlags(fl)
	_ = cmd.RegisterFlagCompletionFunc("compression", cobra.FixedCompletions([]cobra.Completion{"none", "gzip", "snappy", "lz4", "zstd"}, cobra.ShellCompDirectiveNoFileComp))
	keepGoingOnClosedStdout(cmd)
	return cmd
}

// produceView is what kctl produce did (-o json or -o yaml on stdout), printed
// once producing started; an error before (a missing topic, a file line too
// large) goes to stderr only, as with every command.
type produceView struct {
	Topic string `json:"topic" yaml:"topic"`
	Sent  int64  `json:"sent" yaml:"sent"` // acknowledged
	// Failed: lines not written because of an error (refused by the
	// brokers, or a line refused for its size).
	Failed int64 `json:"failed" yaml:"failed"`
	// Unknown: records whose acknowledgement was not awaited to the end:
	// each may or may not have been written.
	Unknown int64 `json:"unknown,omitempty" yaml:"unknown,omitempty"`
	// Rejected lines did not fit the schema (--value-schema): not produced.
	Rejected int64  `json:"rejected,omitempty" yaml:"rejected,omitempty"`
	Error    string `json:"error,omitempty" yaml:"error,omitempty"`
}

// WriteText prints the counts in one line; the error, if any, follows it
// as the command's error (stderr, exit 1).
func (v produceView) WriteText(w io.Writer, _ view.Styles) error {
	msg := fmt.Sprintf("produced %s to %s", human.Plural(int(v.Sent), "record"), v.Topic)
	if v.Unknown > 0 {
		msg += fmt.Sprintf(": %d acknowledged, %d not acknowledged (unknown: may or may not be written)", v.Sent, v.Unknown)
	}
	if v.Failed > 0 {
		msg += fmt.Sprintf("; %d not written (failed)", v.Failed)
	}
	if v.Rejected > 0 {
		msg += fmt.Sprintf("; %s not produced (did not fit the schema)", human.Plural(int(v.Rejected), "line"))
	}
	_, err := io.WriteString(w, msg+"\n")
	return err
}

func runProduce(ctx context.Context, o *ProduceOptions) error {
	ro := o.Records
	in, file, err := openProduceFile(o.File, o.IO.In)
	if err != nil {
		return err
	}
	if file != nil {
		defer file.Close()
	}
	if err := o.encoding(ctx); err != nil {
		return err
	}
	ro = o.Records
	c, err := o.Dialer.Connect(ctx, nil, "")
	if err != nil {
		return err
	}
	defer c.Close()
	if err := o.target(ctx, c, &ro); err != nil {
		return err
	}
	// Main cancels ctx at the first Ctrl-C (or SIGTERM) and closes
	// StopNow at the second.
	ro.Abort = o.StopNow
	endNote := noteStopping(ctx, o.IO.ErrOut, ro.StopTimeout)
	defer endNote()
	if file != nil {
		if st, err := file.Stat(); err == nil && st.Mode().IsRegular() {
			// A file is checked whole before anything is sent.
			if err := ro.Check(file); err != nil {
				return fmt.Errorf("--file %s: %w; nothing was sent", o.File, err)
			}
			if _, err := file.Seek(0, io.SeekStart); err != nil {
				return fmt.Errorf("--file: %w", err)
			}
		}
	}
	popts, err := ro.ClientOptions(o.Compression)
	if err != nil {
		return &FlagError{Err: err}
	}
	pcl, err := kafka.NewClient(c.Settings, o.Dialer.Logger(), popts...)
	if err != nil {
		return err
	}
	defer pcl.Close()
	if file == nil && o.IsTerminal(in) {
		fmt.Fprintf(o.IO.ErrOut, "Reading records for %s, one per line; Ctrl-D to send and end, Ctrl-C to stop.\n", ro.Topic)
	}
	res, err := records.Produce(ctx, pcl, in, ro)
	endNote() // the note is printed, if at all, before the summary
	return o.report(ctx, ro.Topic, res, err)
}

// openProduceFile opens --file (nil for stdin: "" or "-") and returns it
// as the input, or stdin. It is checked before connecting: a missing file
// or a directory is refused before anything is produced.
func openProduceFile(path string, stdin io.Reader) (io.Reader, *os.File, error) {
	if path == "" || path == "-" {
		return stdin, nil, nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("--file %s: %w", path, errors.Unwrap(err))
	}
	if st, err := fh.Stat(); err == nil && st.IsDir() {
		fh.Close()
		return nil, nil, fmt.Errorf("--file %s: is a directory; give a file of lines (or - for stdin)", path)
	}
	return fh, fh, nil
}

// target checks the topic and partition and sets what ro takes from the
// cluster: the topic's max.message.bytes and the timeouts.
func (o *ProduceOptions) target(ctx context.Context, c *Clients, ro *records.ProduceOptions) error {
	dctx, cancel := context.WithTimeout(ctx, c.Settings.Timeout)
	target, err := records.DescribeTarget(dctx, c.Admin, ro.Topic)
	cancel()
	if err != nil {
		var nf *errs.TopicNotFound
		if errors.As(err, &nf) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return connectionError(err)
	}
	if ro.Partition >= int32(target.Partitions) {
		return &errs.PartitionOutOfRange{Topic: ro.Topic, Partitions: []int32{ro.Partition}, Count: target.Partitions}
	}
	ro.MaxMessageBytes = target.MaxMessageBytes
	ro.Compression = o.Compression
	if target.ConfigErr != nil {
		warnf(o.IO.ErrOut, "%v; assuming Kafka's default %d", target.ConfigErr, target.MaxMessageBytes)
	}
	ro.DeliveryTimeout = max(3*c.Settings.Timeout, 30*time.Second)
	// kgo does not bound a request sent and never answered (a cluster gone
	// mid-produce): without an acknowledgement for this long, give up.
	ro.StallTimeout = ro.DeliveryTimeout
	// After Ctrl-C, wait this long for the outstanding acknowledgements; a
	// second Ctrl-C (or SIGTERM) stops waiting at once.
	ro.StopTimeout = c.Settings.Timeout
	return nil
}

// noteStopping prints on errOut, once ctx ends (the first Ctrl-C), that
// produce stops reading and waits up to wait; the returned func stops
// watching and returns once the note, if any, is printed.
func noteStopping(ctx context.Context, errOut io.Writer, wait time.Duration) func() {
	stopped, noted := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(noted)
		select {
		case <-stopped:
		case <-ctx.Done():
			fmt.Fprintf(errOut, "stopping: no more lines are read; waiting up to %s for the acknowledgements (Ctrl-C again to stop now)\n", wait)
		}
	}()
	return sync.OnceFunc(func() { close(stopped); <-noted })
}

// report prints what Produce did (res) and returns the command's error:
// err, said for the user.
func (o *ProduceOptions) report(ctx context.Context, topic string, res records.ProduceResult, err error) error {
	if err == nil && res.FirstFailure != nil {
		err = fmt.Errorf("%d of %d records failed; the first: %w", res.Failed, res.Lines, res.FirstFailure)
	} else if err != nil && res.FirstFailure != nil && ctx.Err() == nil {
		err = fmt.Errorf("%w; %d records failed, the first: %v", err, res.Failed, res.FirstFailure)
	}
	var se *records.StalledError
	if errors.As(err, &se) {
		err = fmt.Errorf("%w: the cluster stopped answering; gave up (kctl waits 3 × --timeout, at least 30s, for an acknowledgement)", err)
	}
	v := produceView{Topic: topic, Sent: res.Sent, Failed: res.Failed, Unknown: res.Unknown, Rejected: res.Rejected}
	if err == nil && res.Rejected > 0 {
		err = fmt.Errorf("%d of %d lines did not fit the schema and were not produced (see above)", res.Rejected, res.Lines+res.Rejected)
	}
	var tl *records.RecordTooLargeError
	if errors.As(err, &tl) {
		err = fmt.Errorf("%w; not sent: that line and every line after it", err)
		v.Failed++ // the line refused
	}
	if err != nil {
		v.Error = err.Error()
	}
	// The text goes to stderr (stdout is the records' side of a pipe);
	// JSON and YAML to stdout. Both print v.
	var perr error
	if fm, ferr := o.Printing.Format(); ferr == nil && fm != view.Text {
		perr = o.Printing.Print(v)
	} else {
		perr = v.WriteText(o.IO.ErrOut, o.Printing.ErrStyles())
	}
	if perr != nil && err == nil {
		err = perr
	}
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
