package smoke

import (
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kgo"
)

// checkDLT accepts the dead letter dlt.Record writes and names what is off
// in one that is not.
func TestCheckDLT(t *testing.T) {
	sent := &kgo.Record{Topic: "user.signed-up", Partition: 2, Offset: 7, Key: []byte("k"), Value: []byte("not json {")}
	good := func() *kgo.Record {
		return dlt.Record("user.signed-up.dlt", sent, "email-service", errors.New("bad json"))
	}
	if info, err := checkDLT(sent, good(), "email-service"); err != nil || info.ExceptionFQCN != "errors.errorString" {
		t.Fatalf("checkDLT(dlt.Record) = %+v, %v; want it accepted", info, err)
	}
	set := func(rec *kgo.Record, k string, v []byte) *kgo.Record {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: k, Value: v}) // the last one wins
		return rec
	}
	drop := func(rec *kgo.Record, keys ...string) *kgo.Record {
		var hs []kgo.RecordHeader
		for _, h := range rec.Headers {
			if !slices.Contains(keys, h.Key) {
				hs = append(hs, h)
			}
		}
		rec.Headers = hs
		return rec
	}
	changed := good()
	changed.Value = []byte("other")
	for _, c := range []struct {
		name string
		rec  *kgo.Record
		want string
	}{
		{"missing headers", drop(good(), dlt.HeaderOriginalTopic, dlt.HeaderOriginalOffset), "DLT record headers: header kafka_dlt-original-topic is missing; header kafka_dlt-original-offset is missing"},
		{"short partition", set(good(), dlt.HeaderOriginalPartition, []byte{2}), "header kafka_dlt-original-partition has 1 bytes, want 4"},
		{"value changed", changed, `DLT record value changed: expected "not json {", saw "other"`},
		{"other topic", set(good(), dlt.HeaderOriginalTopic, []byte("t")), `kafka_dlt-original-topic: expected "user.signed-up", saw "t"`},
		{"other partition", set(good(), dlt.HeaderOriginalPartition, binary.BigEndian.AppendUint32(nil, 1)), "kafka_dlt-original-partition: expected 2, saw 1"},
		{"other offset", set(good(), dlt.HeaderOriginalOffset, binary.BigEndian.AppendUint64(nil, 8)), "kafka_dlt-original-offset: expected 7, saw 8"},
		{"no group", drop(good(), dlt.HeaderOriginalConsumerGroup), `kafka_dlt-original-consumer-group: expected "email-service", saw ""`},
	} {
		if _, err := checkDLT(sent, c.rec, "email-service"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: checkDLT = %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
