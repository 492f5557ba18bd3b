// Package dlt writes and reads the dead-letter headers of Spring Kafka's
// DeadLetterPublishingRecoverer, in Spring's names and encodings, so a Spring
// consumer of a kctl dead-letter topic reads them as it reads Spring's own:
//
//	kafka_dlt-original-topic           UTF-8 string
//	kafka_dlt-original-partition       4-byte big-endian int
//	kafka_dlt-original-offset          8-byte big-endian long
//	kafka_dlt-original-timestamp       8-byte big-endian long (epoch millis)
//	kafka_dlt-original-timestamp-type  "CreateTime" | "LogAppendTime"
//	kafka_dlt-original-consumer-group  UTF-8 string
//	kafka_dlt-exception-fqcn           UTF-8 string (the error's type)
//	kafka_dlt-exception-cause-fqcn     UTF-8 string (the wrapped error's type, when there is one)
//	kafka_dlt-exception-message        UTF-8 string
//	kafka_dlt-exception-stacktrace     UTF-8 string (the error chain; Go errors carry no stack)
//
// (org.springframework.kafka.support.KafkaHeaders, DeadLetterPublishingRecoverer
// maybeAddOriginalHeaders/addExceptionInfoHeaders, Spring Kafka 2.8+.)
package dlt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Spring Kafka's KafkaHeaders.DLT_* names.
const (
	HeaderOriginalTopic         = "kafka_dlt-original-topic"
	HeaderOriginalPartition     = "kafka_dlt-original-partition"
	HeaderOriginalOffset        = "kafka_dlt-original-offset"
	HeaderOriginalTimestamp     = "kafka_dlt-original-timestamp"
	HeaderOriginalTimestampType = "kafka_dlt-original-timestamp-type"
	HeaderOriginalConsumerGroup = "kafka_dlt-original-consumer-group"
	HeaderExceptionFQCN         = "kafka_dlt-exception-fqcn"
	HeaderExceptionCauseFQCN    = "kafka_dlt-exception-cause-fqcn"
	HeaderExceptionMessage      = "kafka_dlt-exception-message"
	HeaderExceptionStacktrace   = "kafka_dlt-exception-stacktrace"
)

// Kafka's TimestampType.toString() values.
const (
	CreateTime    = "CreateTime"
	LogAppendTime = "LogAppendTime"
)

// Record returns the dead-letter record for a failed record: the same key,
// value and headers, plus the kafka_dlt-* headers describing where it came
// from, which group failed it and why. Like Spring, it leaves the timestamp
// unset (the original is in a header) and an original kafka_dlt-original-*
// header is kept rather than overwritten, so a record dead-lettered twice
// still names its first origin.
func Record(dltTopic string, rec *kgo.Record, group string, cause error) *kgo.Record {
	out := &kgo.Record{Topic: dltTopic, Key: rec.Key, Value: rec.Value}
	out.Headers = append(out.Headers, rec.Headers...)
	has := func(k string) bool {
		for _, h := range rec.Headers {
			if h.Key == k {
				return true
			}
		}
		return false
	}
	add := func(k string, v []byte) {
		if !has(k) {
			out.Headers = append(out.Headers, kgo.RecordHeader{Key: k, Value: v})
		}
	}
	add(HeaderOriginalTopic, []byte(rec.Topic))
	add(HeaderOriginalPartition, binary.BigEndian.AppendUint32(nil, uint32(rec.Partition)))
	add(HeaderOriginalOffset, binary.BigEndian.AppendUint64(nil, uint64(rec.Offset)))
	add(HeaderOriginalTimestamp, binary.BigEndian.AppendUint64(nil, uint64(rec.Timestamp.UnixMilli())))
	tsType := CreateTime
	if rec.Attrs.TimestampType() == 1 {
		tsType = LogAppendTime
	}
	add(HeaderOriginalTimestampType, []byte(tsType))
	if group != "" {
		add(HeaderOriginalConsumerGroup, []byte(group))
	}
	// Exception headers describe the latest failure: replace, as Spring's
	// stripPreviousExceptionHeaders default does.
	out.Headers = strip(out.Headers, HeaderExceptionFQCN, HeaderExceptionCauseFQCN, HeaderExceptionMessage, HeaderExceptionStacktrace)
	if cause == nil {
		cause = errors.New("unknown failure")
	}
	out.Headers = append(out.Headers, kgo.RecordHeader{Key: HeaderExceptionFQCN, Value: []byte(TypeName(cause))})
	if inner := errors.Unwrap(cause); inner != nil {
		out.Headers = append(out.Headers, kgo.RecordHeader{Key: HeaderExceptionCauseFQCN, Value: []byte(TypeName(inner))})
	}
	out.Headers = append(out.Headers,
		kgo.RecordHeader{Key: HeaderExceptionMessage, Value: []byte(cause.Error())},
		kgo.RecordHeader{Key: HeaderExceptionStacktrace, Value: []byte(Chain(cause))},
	)
	return out
}

func strip(hs []kgo.RecordHeader, keys ...string) []kgo.RecordHeader {
	out := hs[:0:0]
	for _, h := range hs {
		drop := false
		for _, k := range keys {
			if h.Key == k {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, h)
		}
	}
	return out
}

// TypeName returns an error's fully qualified Go type, the analogue of a Java
// exception's class name: "github.com/kctl/kctl/services/event.ParseError" for
// a *event.ParseError, "errors.errorString" for errors.New; %T for unnamed types.
func TypeName(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Name() != "" && t.PkgPath() != "" {
		return t.PkgPath() + "." + t.Name()
	}
	return fmt.Sprintf("%T", err)
}

// Chain renders an error and the errors it wraps, one per line, in the shape
// of a Java stack trace's "Caused by:" lines.
func Chain(err error) string {
	var b strings.Builder
	for i := 0; err != nil; i++ {
		if i > 0 {
			b.WriteString("Caused by: ")
		}
		fmt.Fprintf(&b, "%s: %s\n", TypeName(err), err.Error())
		err = errors.Unwrap(err)
	}
	return b.String()
}

// Info is the decoded kafka_dlt-* headers of a dead-letter record.
type Info struct {
	OriginalTopic         string    `json:"originalTopic" yaml:"originalTopic"`
	OriginalPartition     int32     `json:"originalPartition" yaml:"originalPartition"`
	OriginalOffset        int64     `json:"originalOffset" yaml:"originalOffset"`
	OriginalTimestamp     time.Time `json:"originalTimestamp" yaml:"originalTimestamp"`
	OriginalTimestampType string    `json:"originalTimestampType" yaml:"originalTimestampType"`
	ConsumerGroup         string    `json:"consumerGroup,omitempty" yaml:"consumerGroup,omitempty"`
	ExceptionFQCN         string    `json:"exceptionFqcn" yaml:"exceptionFqcn"`
	ExceptionCauseFQCN    string    `json:"exceptionCauseFqcn,omitempty" yaml:"exceptionCauseFqcn,omitempty"`
	ExceptionMessage      string    `json:"exceptionMessage" yaml:"exceptionMessage"`
	ExceptionStacktrace   string    `json:"exceptionStacktrace,omitempty" yaml:"exceptionStacktrace,omitempty"`
}

// Parse decodes the kafka_dlt-* headers. It returns an error naming the
// first missing required header (original topic, partition, offset,
// timestamp, timestamp type, exception class, exception message) or the
// first header whose binary value has the wrong length. When a header
// occurs more than once, the last one wins (Spring's lastHeader).
func Parse(headers []kgo.RecordHeader) (Info, error) {
	last := map[string][]byte{}
	for _, h := range headers {
		last[h.Key] = h.Value
	}
	var in Info
	var errs []error
	need := func(k string) ([]byte, bool) {
		v, ok := last[k]
		if !ok {
			errs = append(errs, fmt.Errorf("header %s is missing", k))
		}
		return v, ok
	}
	fixed := func(k string, n int) ([]byte, bool) {
		v, ok := need(k)
		if ok && len(v) != n {
			errs = append(errs, fmt.Errorf("header %s has %d bytes, want %d (big-endian)", k, len(v), n))
			return nil, false
		}
		return v, ok
	}
	if v, ok := need(HeaderOriginalTopic); ok {
		in.OriginalTopic = string(v)
	}
	if v, ok := fixed(HeaderOriginalPartition, 4); ok {
		in.OriginalPartition = int32(binary.BigEndian.Uint32(v))
	}
	if v, ok := fixed(HeaderOriginalOffset, 8); ok {
		in.OriginalOffset = int64(binary.BigEndian.Uint64(v))
	}
	if v, ok := fixed(HeaderOriginalTimestamp, 8); ok {
		in.OriginalTimestamp = time.UnixMilli(int64(binary.BigEndian.Uint64(v))).UTC()
	}
	if v, ok := need(HeaderOriginalTimestampType); ok {
		in.OriginalTimestampType = string(v)
	}
	if v, ok := need(HeaderExceptionFQCN); ok {
		in.ExceptionFQCN = string(v)
	}
	if v, ok := need(HeaderExceptionMessage); ok {
		in.ExceptionMessage = string(v)
	}
	in.ConsumerGroup = string(last[HeaderOriginalConsumerGroup])
	in.ExceptionCauseFQCN = string(last[HeaderExceptionCauseFQCN])
	in.ExceptionStacktrace = string(last[HeaderExceptionStacktrace])
	return in, errors.Join(errs...)
}
