package records

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// DefaultMaxMessageBytes is Kafka's default max.message.bytes, used when a
// topic's configs cannot be read.
const DefaultMaxMessageBytes = 1048588

// Target is the topic kctl produce writes to, as the cluster describes it.
type Target struct {
	Topic      string
	Partitions int
	// MaxMessageBytes is the topic's max.message.bytes: the largest record
	// batch the brokers take.
	MaxMessageBytes int
	// ConfigErr is why the topic's configs could not be read (then
	// MaxMessageBytes is DefaultMaxMessageBytes).
	ConfigErr error
}

// DescribeTarget reads the topic's partition count (Metadata) and
// max.message.bytes (DescribeConfigs). It returns an *errs.TopicNotFound for a
// topic that does not exist (kctl produce never creates one; the error
// says so) and a wrapped
// error when the cluster does not answer; a config that cannot be read is
// left in Target.ConfigErr.
func DescribeTarget(ctx context.Context, adm *kadm.Client, topic string) (Target, error) {
	t := Target{Topic: topic, MaxMessageBytes: DefaultMaxMessageBytes}
	md, err := adm.Metadata(ctx, topic)
	if err != nil {
		return t, fmt.Errorf("metadata for topic %q: %w", topic, err)
	}
	td, ok := md.Topics[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return t, topicNotFound(ctx, adm, []string{topic}, "kctl produce does not create topics (add it to topics.yaml and kctl apply)")
	}
	if td.Err != nil {
		return t, fmt.Errorf("metadata for topic %q: %w", topic, td.Err)
	}
	t.Partitions = len(td.Partitions)
	rcs, err := adm.DescribeTopicConfigs(ctx, topic)
	if err == nil {
		var rc kadm.ResourceConfig
		rc, err = rcs.On(topic, nil)
		if err == nil {
			err = rc.Err
		}
		if err == nil {
			err = errors.New("max.message.bytes not in the answer")
			for _, c := range rc.Configs {
				if c.Key == "max.message.bytes" && c.Value != nil {
					n, perr := strconv.Atoi(*c.Value)
					if perr == nil && n > 0 {
						t.MaxMessageBytes, err = n, nil
					} else {
						err = fmt.Errorf("max.message.bytes %q is not a positive number", *c.Value)
					}
				}
			}
		}
	}
	if err != nil {
		t.ConfigErr = fmt.Errorf("read max.message.bytes of topic %q: %w", topic, err)
	}
	return t, nil
}

// ProduceOptions say how lines become records.
type ProduceOptions struct {
	Topic string
	// Partition is the partition to write to; -1: the partitioner (by key,
	// sticky for records without a key).
	Partition int32
	// KeySeparator splits a line at its first occurrence into key and
	// value; a line without it is a value with a null key. Empty: no key.
	KeySeparator []byte
	// Headers are added to every record.
	Headers []kgo.RecordHeader
	// MaxMessageBytes is the topic's max.message.bytes: a line whose record
	// would not fit in a batch of that size is refused.
	MaxMessageBytes int
	// Compression is the --compression codec (none, gzip, …), for the
	// message about a line too large.
	Compression string
	// DeliveryTimeout bounds how long a record may wait for its
	// acknowledgement (retries included); 0: no bound. kgo does not enforce
	// it for a request sent and never answered: StallTimeout does.
	DeliveryTimeout time.Duration
	// StallTimeout: when records are outstanding and not one of them was
	// acknowledged or failed for this long, Produce gives up (a
	// *StalledError): the cluster went away. 0: no bound.
	StallTimeout time.Duration
	// StopTimeout bounds the wait for outstanding acknowledgements once ctx
	// ended (Ctrl-C); 0: no bound but StallTimeout.
	StopTimeout time.Duration
	// Abort, when closed (a second Ctrl-C), ends the wait for outstanding
	// acknowledgements at once. nil: never.
	Abort <-chan struct{}
	// Encode, when set, turns a line's key (nil: none) and value into the
	// bytes produced (Schema Registry framing, produce_encode.go). A line it
	// refuses is not produced: Reject gets a *LineError and the line is
	// counted in ProduceResult.Rejected; reading goes on.
	Encode func(key, value []byte) ([]byte, []byte, error)
	Reject func(error)
}

// StalledError says no acknowledgement came for records outstanding for
// the stall bound.
type StalledError struct {
	Outstanding int64
	For         time.Duration
}

func (e *StalledError) Error() string {
	return fmt.Sprintf("no acknowledgement from the brokers for %s with %d records outstanding", e.For, e.Outstanding)
}

// ParseSeparator parses a -k value: \t, \r, \0 and \\ stand for a tab,
// a carriage return, a NUL byte and a backslash (so -k '\t' splits at tabs);
// anything else is taken as it is.
func ParseSeparator(s string) []byte {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case 't':
				out = append(out, '\t')
				i++
				continue
			case 'r':
				out = append(out, '\r')
				i++
				continue
			case '0':
				out = append(out, 0)
				i++
				continue
			case '\\':
				out = append(out, '\\')
				i++
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

// ParseHeaders parses -H k=v values. It returns an error naming a value
// without "=" or with an empty key.
func ParseHeaders(vals []string) ([]kgo.RecordHeader, error) {
	var hs []kgo.RecordHeader
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-H %q: write a header as key=value", v)
		}
		hs = append(hs, kgo.RecordHeader{Key: k, Value: []byte(val)})
	}
	return hs, nil
}

// RecordTooLargeError says a line's record is larger than the topic takes.
type RecordTooLargeError struct {
	Topic string
	Line  int64
	Size  int // the record batch size in bytes, uncompressed, as the broker counts it
	Limit int // max.message.bytes, or the client's bound when Client
	// Client says Limit is kctl's Kafka client's bound of one batch (1 GiB
	// less a produce request's fields), smaller than the topic's
	// max.message.bytes.
	Client bool
	// AtLeast says Size is a lower bound: the line was not read to its end.
	AtLeast bool
	// Codec and Compressed: with compression, the codec and about how large
	// the single-record batch is compressed (0: not computed).
	Codec      string
	Compressed int
}

func (e *RecordTooLargeError) Error() string {
	atLeast := ""
	if e.AtLeast {
		atLeast = "at least "
	}
	msg := fmt.Sprintf("line %d: its record is %s%d bytes, more than topic %q takes (max.message.bytes %d)", e.Line, atLeast, e.Size, e.Topic, e.Limit)
	if e.Client {
		return fmt.Sprintf("line %d: its record is %s%d bytes, more than kctl's Kafka client sends in one request (%d bytes; topic %q takes more): split the line", e.Line, atLeast, e.Size, e.Limit, e.Topic)
	}
	switch {
	case e.Compressed > 0 && e.Compressed <= e.Limit:
		msg += fmt.Sprintf("; %s-compressed it is about %d bytes, which the broker would take, but kctl's Kafka client (franz-go) bounds a record by its size before compression: raise the topic's max.message.bytes, or send such lines with kcat -z %s", e.Codec, e.Compressed, e.Codec)
	case e.Compressed > 0:
		msg += fmt.Sprintf(" (%s-compressed still about %d bytes)", e.Codec, e.Compressed)
	}
	return msg
}

// split returns a line's key and value; keyNull when it has no key.
func (o *ProduceOptions) split(line []byte) (key, value []byte, keyNull bool) {
	if len(o.KeySeparator) > 0 {
		if i := bytes.Index(line, o.KeySeparator); i >= 0 {
			return line[:i], line[i+len(o.KeySeparator):], false
		}
	}
	return nil, line, true
}

// check returns a *RecordTooLargeError when line's record is over the limit.
func (o *ProduceOptions) check(lineNo int64, line []byte) error {
	if o.MaxMessageBytes <= 0 {
		return nil
	}
	k, v, null := o.split(line)
	limit, client := o.limit()
	if n := BatchSize(k, v, null, o.Headers); n > limit {
		e := &RecordTooLargeError{Topic: o.Topic, Line: lineNo, Size: n, Limit: limit, Client: client}
		if c := compressedSize(o.Compression, k, v, o.Headers); c > 0 {
			e.Codec, e.Compressed = strings.ToLower(o.Compression), c
		}
		return e
	}
	return nil
}

// limit is the largest batch a line's record may make: the topic's
// max.message.bytes, or the client's bound when that is smaller (client).
func (o *ProduceOptions) limit() (n int, client bool) {
	if c := maxClientBatch - kgoBatchExtra; o.MaxMessageBytes > c {
		return c, true
	}
	return o.MaxMessageBytes, false
}

func (o *ProduceOptions) lineLimit() int {
	if o.MaxMessageBytes <= 0 {
		return 1 << 30
	}
	limit, _ := o.limit()
	if _, ok := codecOf(o.Compression); ok {
		// Read a longer line whole, to say how large it is compressed.
		return max(limit, min(100*limit, 64<<20))
	}
	return limit
}

// lineError turns a reader's *LineTooLongError into a *RecordTooLargeError.
func (o *ProduceOptions) lineError(err error) error {
	var lt *LineTooLongError
	if errors.As(err, &lt) {
		limit, client := o.limit()
		return &RecordTooLargeError{Topic: o.Topic, Line: lt.Line, Size: lt.Size + batchHeader, Limit: limit, Client: client, AtLeast: lt.Partial}
	}
	return err
}

// Check reads every line of r (a file, before anything is sent) and
// returns the first line whose record the topic would refuse, as a
// *RecordTooLargeError, or the read error; nil when every line fits.
func (o *ProduceOptions) Check(r io.Reader) error {
	lr := NewLineReader(r, o.lineLimit())
	for {
		line, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return o.lineError(err)
		}
		if err := o.check(lr.Line(), line); err != nil {
			return err
		}
	}
}

// ProduceResult is what Produce did.
type ProduceResult struct {
	Topic string
	Lines int64 // lines read and handed to the client (not counting those stopped before they were sent)
	Sent  int64 // records acknowledged by the brokers (acks=all)
	// Failed is the number of records handed over that were not
	// acknowledged; FirstFailure the first of them (line and error).
	Failed       int64
	FirstFailure error
	// Unknown is the number of records handed over whose outcome is not
	// known: the wait for them was cut short (Ctrl-C twice, StopTimeout,
	// StallTimeout). Each may or may not have been written.
	Unknown int64
	// Rejected is the number of lines Encode refused (not produced).
	Rejected int64
}

// ProduceError is a record the brokers did not take.
type ProduceError struct {
	Line int64
	Err  error
}

func (e *ProduceError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *ProduceError) Unwrap() error { return e.Err }

// lineRecord is a record and the line it came from. The record is the first
// field, so a *kgo.Record of a lineRecord converts back to it.
type lineRecord struct {
	kgo.Record
	line int64
}

// ClientOptions returns the producer options for writing to the topic:
// acks=all and idempotence (kgo's defaults, stated), batches as large as the
// topic takes, a short linger, a manual partitioner for --partition,
// compression c ("" or none, gzip, snappy, lz4, zstd). It returns an error
// naming an unknown compression.
func (o *ProduceOptions) ClientOptions(compression string) ([]kgo.Opt, error) {
	var codec kgo.CompressionCodec
	switch strings.ToLower(compression) {
	case "", "none":
		codec = kgo.NoCompression()
	case "gzip":
		codec = kgo.GzipCompression()
	case "snappy":
		codec = kgo.SnappyCompression()
	case "lz4":
		codec = kgo.Lz4Compression()
	case "zstd":
		codec = kgo.ZstdCompression()
	default:
		return nil, fmt.Errorf("--compression %q: want none, gzip, snappy, lz4 or zstd", compression)
	}
	maxBatch := int32(1 << 20)
	if o.MaxMessageBytes > 0 {
		maxBatch = int32(min(o.MaxMessageBytes+kgoBatchExtra, maxClientBatch))
	}
	opts := []kgo.Opt{
		kgo.ClientID("kctl"),
		kgo.DefaultProduceTopic(o.Topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(codec),
		kgo.ProducerBatchMaxBytes(maxBatch),
		// kgo refuses a batch limit over its 100 MiB bound of one write
		// (the broker's socket.request.max.bytes default): a topic that
		// takes larger batches gets a bound that fits one, and its produce
		// request around it.
		kgo.BrokerMaxWriteBytes(max(100<<20, min(maxBatch+produceRequestSlack, 1<<30))),
		kgo.ProducerLinger(5 * time.Millisecond),
		// Bounded memory: at most this much is read ahead of the acks, but
		// never less than one record as large as the topic takes (kgo fails
		// a record larger than the buffer with MESSAGE_TOO_LARGE).
		kgo.MaxBufferedRecords(50_000),
		kgo.MaxBufferedBytes(max(16<<20, int(maxBatch))),
	}
	if o.DeliveryTimeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(o.DeliveryTimeout))
	}
	if o.Partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	return opts, nil
}

// LineError is an input line that was refused (not produced).
type LineError struct {
	Line int64
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }
