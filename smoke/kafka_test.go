package smoke

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/dlt"
	"github.com/twmb/franz-go/pkg/kadm"
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

// The lag step passes only once the group has committed on the topic and
// its lag there is 0; otherwise it says what it last saw.
func TestLagStep(t *testing.T) {
	c := newCluster(t)
	cl := devclustertest.Client(t, c)
	adm := kadm.NewClient(cl)
	devclustertest.CreateTopic(t, adm, "t", 1, nil)
	devclustertest.CreateTopic(t, adm, "other", 1, nil)
	ctx := context.Background()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r := &run{o: Options{Client: cl, Admin: adm, Topic: "t", Group: "g"}}
	r.o.defaults()
	stepWithin := func(d time.Duration) (string, error) {
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		return r.lag(sctx)
	}
	step := func() (string, error) { return stepWithin(30 * time.Second) }
	commit := func(topic string, at int64) {
		t.Helper()
		var o kadm.Offsets
		o.Add(kadm.Offset{Topic: topic, Partition: 0, At: at, LeaderEpoch: -1})
		if err := adm.CommitAllOffsets(ctx, "g", o); err != nil {
			t.Fatal(err)
		}
	}
	// A failing step ends at its deadline with what it saw last. On a
	// busy machine a short deadline may pass before anything is seen
	// ("context deadline exceeded"): the deadline doubles, up to 20s,
	// until the step has seen what it must report.
	wantFail := func(want string) {
		t.Helper()
		var d string
		var err error
		for wait := 300 * time.Millisecond; wait <= 20*time.Second; wait *= 2 {
			if d, err = stepWithin(wait); err != nil && strings.Contains(err.Error(), want) {
				return
			}
		}
		t.Errorf("lag step = %q, %v; want a failure containing %q", d, err, want)
	}
	wantFail("expected group g to reach lag 0 on t, last saw group not found")
	commit("other", 0)
	wantFail("last saw no commits on t (state Empty)")
	commit("t", 0)
	wantFail("last saw total lag 1")
	commit("t", 1)
	if d, err := step(); err != nil || d != "group g: lag 0 on t (Empty)" {
		t.Errorf("lag step = %q, %v; want it passed", d, err)
	}
}
