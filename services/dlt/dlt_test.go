package dlt

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/services/event"
	"github.com/twmb/franz-go/pkg/kgo"
)

func header(hs []kgo.RecordHeader, k string) []byte {
	var v []byte
	found := false
	for _, h := range hs {
		if h.Key == k {
			v, found = h.Value, true
		}
	}
	if !found {
		return nil
	}
	return v
}

func TestRecordUsesSpringNamesAndEncodings(t *testing.T) {
	ts := time.UnixMilli(0x0102030405)
	rec := &kgo.Record{Topic: "user.signed-up", Partition: 2, Offset: 0x0a0b0c0d0e, Timestamp: ts,
		Key: []byte("k"), Value: []byte("v"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t")}}}
	_, perr := event.Parse([]byte("nope"))
	cause := fmt.Errorf("handle: %w", perr)
	out := Record("user.signed-up.dlt", rec, "email-service", cause)

	if out.Topic != "user.signed-up.dlt" || string(out.Key) != "k" || string(out.Value) != "v" || !out.Timestamp.IsZero() {
		t.Errorf("record = %+v", out)
	}
	for k, want := range map[string][]byte{
		"trace":                             []byte("t"),
		"kafka_dlt-original-topic":          []byte("user.signed-up"),
		"kafka_dlt-original-partition":      {0, 0, 0, 2},
		"kafka_dlt-original-offset":         {0, 0, 0, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e},
		"kafka_dlt-original-timestamp":      {0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05},
		"kafka_dlt-original-timestamp-type": []byte("CreateTime"),
		"kafka_dlt-original-consumer-group": []byte("email-service"),
		"kafka_dlt-exception-fqcn":          []byte("fmt.wrapError"),
		"kafka_dlt-exception-cause-fqcn":    []byte("github.com/kctl/kctl/services/event.ParseError"),
		"kafka_dlt-exception-message":       []byte(cause.Error()),
	} {
		if got := header(out.Headers, k); !bytes.Equal(got, want) {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	st := string(header(out.Headers, HeaderExceptionStacktrace))
	if !strings.Contains(st, "Caused by: github.com/kctl/kctl/services/event.ParseError: not a UserSignedUp event") {
		t.Errorf("stacktrace = %q", st)
	}
	// The input record is untouched.
	if len(rec.Headers) != 1 {
		t.Errorf("input headers changed: %v", rec.Headers)
	}

	info, err := Parse(out.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if info.OriginalTopic != "user.signed-up" || info.OriginalPartition != 2 || info.OriginalOffset != 0x0a0b0c0d0e ||
		!info.OriginalTimestamp.Equal(ts) || info.ConsumerGroup != "email-service" || info.ExceptionMessage != cause.Error() {
		t.Errorf("Parse = %+v", info)
	}
}

func TestRecordDeadLetteredTwiceKeepsFirstOrigin(t *testing.T) {
	first := Record("a.dlt", &kgo.Record{Topic: "a", Partition: 1, Offset: 7, Timestamp: time.Now()}, "g", errors.New("one"))
	first.Topic, first.Partition, first.Offset = "a.dlt", 0, 3
	second := Record("b.dlt", first, "g2", errors.New("two"))
	info, err := Parse(second.Headers)
	if err != nil {
		t.Fatal(err)
	}
	if info.OriginalTopic != "a" || info.OriginalOffset != 7 || info.ConsumerGroup != "g" || info.ExceptionMessage != "two" {
		t.Errorf("info = %+v: want the first origin and the latest exception", info)
	}
	n := 0
	for _, h := range second.Headers {
		if h.Key == HeaderExceptionMessage {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d exception-message headers, want 1 (replaced)", n)
	}
}

func TestParseNamesMissingAndMalformedHeaders(t *testing.T) {
	_, err := Parse([]kgo.RecordHeader{{Key: HeaderOriginalTopic, Value: []byte("t")}, {Key: HeaderOriginalPartition, Value: []byte{1}}})
	if err == nil || !strings.Contains(err.Error(), "kafka_dlt-original-partition has 1 bytes, want 4") ||
		!strings.Contains(err.Error(), "kafka_dlt-original-offset is missing") {
		t.Errorf("err = %v", err)
	}
}
