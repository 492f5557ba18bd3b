package records

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The size pre-check counts a record batch exactly as the broker does
// (61-byte header + the record): with max.message.bytes 1000 a line of
// 930 bytes (no key, no header) is taken, one of 931 is refused.
func TestProduceSizeCheckMatchesTheBroker(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "tsmall", 1, map[string]*string{"max.message.bytes": ptr("1000")})
	if n := BatchSize(nil, make([]byte, 930), true, nil); n != 1000 {
		t.Fatalf("BatchSize of a 930-byte value = %d, want 1000 (61 + 2 + 937)", n)
	}
	o := ProduceOptions{Topic: "tsmall", Partition: -1}
	res, err := produce(t, c.Brokers(), adm, o, strings.Repeat("z", 930)+"\n")
	if err != nil || res.Sent != 1 {
		t.Fatalf("930-byte line: %+v, %v", res, err)
	}
	res, err = produce(t, c.Brokers(), adm, o, strings.Repeat("z", 931)+"\n")
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) || tl.Size != 1001 || res.Sent != 0 {
		t.Fatalf("931-byte line: %+v, %v", res, err)
	}
	if recs := readAllRecords(t, c.Brokers(), adm, "tsmall"); len(recs) != 1 || len(recs[0].Value) != 930 {
		t.Fatalf("%d records on the topic", len(recs))
	}
}

// With compression, a line over the limit uncompressed says how large it is
// compressed and why it is still refused (franz-go bounds a record before
// compression), naming the way out.
func TestProduceSizeCheckWithCompression(t *testing.T) {
	o := ProduceOptions{Topic: "tsmall", MaxMessageBytes: 1000, Compression: "zstd"}
	err := o.Check(strings.NewReader(strings.Repeat("z", 5000) + "\n"))
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) || tl.Codec != "zstd" || tl.Compressed <= 0 || tl.Compressed > 1000 {
		t.Fatalf("Check: %#v", err)
	}
	for _, want := range []string{"line 1: its record is 5070 bytes", "zstd-compressed it is about", "which the broker would take", "kcat -z zstd"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	// Random-looking data does not compress: no false hope.
	o.Compression = "gzip"
	var b strings.Builder
	x := uint32(1)
	for range 3000 {
		x = x*1664525 + 1013904223
		b.WriteByte(byte('!' + x>>24%90))
	}
	err = o.Check(strings.NewReader(b.String() + "\n"))
	if !errors.As(err, &tl) || tl.Compressed <= 1000 || strings.Contains(err.Error(), "would take") {
		t.Fatalf("incompressible: %v", err)
	}
}

// A topic that takes batches larger than kgo's default bound of one write
// (100 MiB) gets a client sized for it: kgo.NewClient used to refuse the
// options ("max broker write bytes … erroneously less than max record batch
// bytes …"). Beyond what the client can send at all (1 GiB), a line is
// refused naming the line and that limit.
func TestProduceClientSizedForTheTopic(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "tbig", 1, map[string]*string{"max.message.bytes": ptr("200000000")})
	res, err := produce(t, c.Brokers(), adm, ProduceOptions{Topic: "tbig", Partition: -1}, "small\n")
	if err != nil || res.Sent != 1 {
		t.Fatalf("a line to a topic of max.message.bytes 200000000: %+v, %v", res, err)
	}

	o := ProduceOptions{Topic: "huge", Partition: -1, MaxMessageBytes: 2_000_000_000}
	opts, err := o.ClientOptions("none")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...))...)
	if err != nil {
		t.Fatalf("client for max.message.bytes 2000000000: %v", err)
	}
	cl.Close()
	err = o.lineError(&LineTooLongError{Line: 3, Size: 1 << 30, Partial: true})
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) || !tl.Client || !strings.Contains(err.Error(), "line 3: its record is at least") ||
		!strings.Contains(err.Error(), "more than kctl's Kafka client sends in one request (1073676284 bytes; topic \"huge\" takes more)") {
		t.Fatalf("a line over the client's bound: %v", err)
	}
}

// A record larger than kctl's 16 MiB read-ahead buffer but within the
// topic's max.message.bytes is sent: kgo used to fail it at once with
// MESSAGE_TOO_LARGE (a record larger than MaxBufferedBytes). 20 MB with a
// 40 MB limit shows it without the memory of the 100 MB of the report.
func TestProduceRecordLargerThanTheBuffer(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t40", 1, map[string]*string{"max.message.bytes": ptr("40000000")})
	line := strings.Repeat("x", 20_000_000)
	res, err := produce(t, c.Brokers(), adm, ProduceOptions{Topic: "t40", Partition: -1}, line+"\n")
	if err != nil || res.Sent != 1 {
		t.Fatalf("a 20 MB line: %+v, %v", res, err)
	}
	if recs := readAllRecords(t, c.Brokers(), adm, "t40"); len(recs) != 1 || len(recs[0].Value) != len(line) {
		t.Fatalf("%d records on the topic", len(recs))
	}
}

// A record kgo refuses before buffering it is counted as failed, naming its
// line: kgo calls that promise in a goroutine of its own after Flush may
// have returned, and Produce used to report "0 sent, 0 failed", exit 0.
func TestProduceCountsARecordRefusedBeforeBuffering(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "tref", 1, nil)
	o := ProduceOptions{Topic: "tref", Partition: -1}
	opts, err := o.ClientOptions("none")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...), kgo.MaxBufferedBytes(1024))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for range 20 { // the promise raced Flush: ask often
		res, err := Produce(context.Background(), cl, strings.NewReader(strings.Repeat("y", 2048)+"\n"), o)
		var pe *ProduceError
		if err != nil || res.Failed != 1 || !errors.As(res.FirstFailure, &pe) || pe.Line != 1 || !errors.Is(pe, kerr.MessageTooLarge) {
			t.Fatalf("a line over kgo's buffer: %+v, %v; want it failed, naming line 1", res, err)
		}
	}
}
