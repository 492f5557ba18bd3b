package records

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kctl/kctl/internal/platform/errs"

	"slices"
)

func ptr(s string) *string { return &s }

// produce describes the topic, builds a producer as kctl does and
// produces input.
func produce(t *testing.T, brokers []string, adm *kadm.Client, o ProduceOptions, input string) (ProduceResult, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg, err := DescribeTarget(ctx, adm, o.Topic)
	if err != nil {
		return ProduceResult{}, err
	}
	if tg.ConfigErr != nil {
		t.Fatal(tg.ConfigErr)
	}
	o.MaxMessageBytes = tg.MaxMessageBytes
	opts, err := o.ClientOptions("none")
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	return Produce(ctx, cl, strings.NewReader(input), o)
}

func readAllRecords(t *testing.T, brokers []string, adm *kadm.Client, topic string) []*kgo.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for int64(len(out)) < want {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("after %d of %d records: %v", len(out), want, err)
		}
		out = append(out, fs.Records()...)
	}
	return out
}

func TestProduce(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "p", 3, nil)
	hs := []kgo.RecordHeader{{Key: "src", Value: []byte("ops")}, {Key: "empty", Value: []byte{}}}
	long := strings.Repeat("L", 200<<10) // beyond bufio.Scanner's 64 KiB
	in := "a::1\nb::2\nnokey\n::emptykey\n\n" + "c::" + long + "\nlast::x"
	res, err := produce(t, c.Brokers(), adm, ProduceOptions{Topic: "p", Partition: 1, KeySeparator: []byte("::"), Headers: hs}, in)
	if err != nil || res.Sent != 7 || res.Lines != 7 || res.Failed != 0 || res.FirstFailure != nil {
		t.Fatalf("%+v, %v", res, err)
	}
	recs := readAllRecords(t, c.Brokers(), adm, "p")
	if len(recs) != 7 {
		t.Fatalf("%d records on the topic", len(recs))
	}
	type kv struct {
		key   *string
		value string
	}
	want := []kv{{ptr("a"), "1"}, {ptr("b"), "2"}, {nil, "nokey"}, {ptr(""), "emptykey"}, {nil, ""}, {ptr("c"), long}, {ptr("last"), "x"}}
	for i, r := range recs {
		if r.Partition != 1 || r.Offset != int64(i) {
			t.Errorf("record %d at %d/%d", i, r.Partition, r.Offset)
		}
		w := want[i]
		if (w.key == nil) != (r.Key == nil) || w.key != nil && *w.key != string(r.Key) || string(r.Value) != w.value {
			t.Errorf("record %d: key %q value %.20q", i, r.Key, r.Value)
		}
		if len(r.Headers) != 2 || r.Headers[0].Key != "src" || string(r.Headers[0].Value) != "ops" || r.Headers[1].Key != "empty" {
			t.Errorf("record %d headers %+v", i, r.Headers)
		}
	}

	// Without --partition, keyed records go to the key's partition:
	// the same key always lands on one partition.
	devclustertest.CreateTopic(t, adm, "keyed", 3, nil)
	var b strings.Builder
	for range 50 {
		b.WriteString("same\tv\n")
	}
	if res, err := produce(t, c.Brokers(), adm, ProduceOptions{Topic: "keyed", Partition: -1, KeySeparator: []byte("\t")}, b.String()); err != nil || res.Sent != 50 {
		t.Fatalf("%+v %v", res, err)
	}
	parts := map[int32]int{}
	for _, r := range readAllRecords(t, c.Brokers(), adm, "keyed") {
		parts[r.Partition]++
	}
	if len(parts) != 1 {
		t.Errorf("one key on %d partitions: %v", len(parts), parts)
	}

	// An unknown topic is an error naming it; nothing is created.
	_, err = produce(t, c.Brokers(), adm, ProduceOptions{Topic: "nope", Partition: -1}, "x\n")
	var nf *errs.TopicNotFound
	if !errors.As(err, &nf) || !slices.Equal(nf.Topics, []string{"nope"}) {
		t.Fatalf("unknown topic: %v", err)
	}
	td, _ := adm.ListTopics(context.Background(), "nope")
	if td.Has("nope") {
		t.Error("topic nope was created")
	}
}

// A line over the topic's max.message.bytes is refused with its line
// number; the records before it are all acknowledged and counted, nothing
// from that line on is sent. A record whose BatchSize is exactly
// max.message.bytes is taken by the producer and the broker.
func TestProduceOversizeLine(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "small", 1, map[string]*string{"max.message.bytes": ptr("1000")})
	o := ProduceOptions{Topic: "small", Partition: -1, KeySeparator: []byte(":"), Headers: []kgo.RecordHeader{{Key: "h", Value: []byte("v")}}}
	// Find the value length whose record is exactly 1000 bytes.
	n := 0
	for BatchSize([]byte("k"), make([]byte, n), false, o.Headers) < 1000 {
		n++
	}
	if BatchSize([]byte("k"), make([]byte, n), false, o.Headers) != 1000 {
		t.Fatalf("no value length gives exactly 1000 bytes")
	}
	fits := "k:" + strings.Repeat("f", n)
	over := "k:" + strings.Repeat("o", n+1)
	in := "k:1\n" + fits + "\nk:3\n" + over + "\nk:5\n"

	// The file check refuses before anything is sent.
	o.MaxMessageBytes = 1000
	err := o.Check(strings.NewReader(in))
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) || tl.Line != 4 || tl.Limit != 1000 || tl.Size != 1001 {
		t.Fatalf("Check: %v", err)
	}
	if !strings.Contains(err.Error(), `line 4: its record is 1001 bytes, more than topic "small" takes (max.message.bytes 1000)`) {
		t.Errorf("message: %v", err)
	}

	// Streamed: lines 1-3 are sent (the one of exactly 1000 bytes too:
	// the broker agrees with BatchSize), line 4 is refused, 5 not sent.
	res, err := produce(t, c.Brokers(), adm, o, in)
	if !errors.As(err, &tl) || tl.Line != 4 || res.Sent != 3 || res.Lines != 3 || res.FirstFailure != nil {
		t.Fatalf("%+v, %v", res, err)
	}
	recs := readAllRecords(t, c.Brokers(), adm, "small")
	if len(recs) != 3 || string(recs[1].Value) != fits[2:] || string(recs[2].Value) != "3" {
		t.Fatalf("%d records on the topic", len(recs))
	}

	// A line far over the limit (beyond the reader's buffer) is refused too.
	res, err = produce(t, c.Brokers(), adm, o, "a\n"+strings.Repeat("x", 3<<20)+"\nb\n")
	if !errors.As(err, &tl) || tl.Line != 2 || res.Sent != 1 || !tl.AtLeast || !strings.Contains(err.Error(), "line 2: its record is at least ") {
		t.Fatalf("huge line: %+v, %v", res, err)
	}
}

// A produce the brokers refuse: the count is exactly what was
// acknowledged, the first failure names its line, reading stops.
func TestProduceFailure(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "f", 1, nil)
	var seen int
	c.ControlKey(int16(kmsg.Produce), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		seen++
		if seen < 2 {
			return nil, nil, false
		}
		req := kreq.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.MessageTooLarge.Code // not retriable
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	o := ProduceOptions{Topic: "f", Partition: -1}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg, err := DescribeTarget(ctx, adm, "f")
	if err != nil {
		t.Fatal(err)
	}
	o.MaxMessageBytes = tg.MaxMessageBytes
	opts, _ := o.ClientOptions("")
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...), kgo.ProducerLinger(0), kgo.MaxBufferedRecords(1))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	res, err := Produce(ctx, cl, strings.NewReader("one\ntwo\nthree\nfour\nfive\n"), o)
	if err != nil {
		t.Fatal(err)
	}
	var pe *ProduceError
	if res.Sent != 1 || res.Failed < 1 || !errors.As(res.FirstFailure, &pe) || pe.Line != 2 || res.Lines >= 5 {
		t.Fatalf("%+v (first failure %v)", res, res.FirstFailure)
	}
	if !strings.Contains(res.FirstFailure.Error(), "line 2: ") {
		t.Errorf("%v", res.FirstFailure)
	}
}

// Ctrl-C while the input blocks (a terminal, a pipe with no writer): Produce
// returns at once with ctx's error, having waited for what it handed over.
func TestProduceInterruptedWhileReading(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "i", 1, nil)
	o := ProduceOptions{Topic: "i", Partition: -1, MaxMessageBytes: DefaultMaxMessageBytes}
	opts, _ := o.ClientOptions("")
	cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	type out struct {
		res ProduceResult
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := Produce(ctx, cl, pr, o)
		done <- out{res, err}
	}()
	if _, err := io.WriteString(pw, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	// Wait until both records are on the topic, then interrupt.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ends, err := adm.ListEndOffsets(context.Background(), "i")
		if err == nil {
			if o, ok := ends.Lookup("i", 0); ok && o.Offset == 2 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the two records never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case got := <-done:
		if !errors.Is(got.err, context.Canceled) || got.res.Sent != 2 || got.res.Lines != 2 {
			t.Fatalf("%+v, %v", got.res, got.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Produce still blocked in a read after Ctrl-C")
	}
}

// TestProduceEncodeReject: Encode turns each line into the bytes produced;
// a line it refuses is not produced, goes to Reject with its line number,
// is counted in Rejected, and the lines after it are still produced.
func TestProduceEncodeReject(t *testing.T) {
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "enc", 1, nil)
	var rejected []*LineError
	o := ProduceOptions{Topic: "enc", Partition: 0, KeySeparator: []byte(":"),
		Encode: func(k, v []byte) ([]byte, []byte, error) {
			if string(v) == "bad" {
				return nil, nil, errors.New("does not fit")
			}
			return append([]byte("K"), k...), append([]byte("V"), v...), nil
		},
		// Produce calls Reject from its one reading goroutine.
		Reject: func(err error) {
			var le *LineError
			if !errors.As(err, &le) {
				t.Errorf("Reject got %T %v, want a *LineError", err, err)
				return
			}
			rejected = append(rejected, le)
		},
	}
	res, err := produce(t, c.Brokers(), adm, o, "a:1\nb:bad\nnokey\n")
	if err != nil || res.Sent != 2 || res.Lines != 2 || res.Rejected != 1 || res.Failed != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	if len(rejected) != 1 || rejected[0].Line != 2 || rejected[0].Error() != "line 2: does not fit" {
		t.Fatalf("rejected %v", rejected)
	}
	recs := readAllRecords(t, c.Brokers(), adm, "enc")
	if len(recs) != 2 || string(recs[0].Key) != "Ka" || string(recs[0].Value) != "V1" || string(recs[1].Key) != "K" || string(recs[1].Value) != "Vnokey" {
		for _, r := range recs {
			t.Logf("key %q value %q", r.Key, r.Value)
		}
		t.Fatalf("%d records on the topic", len(recs))
	}
}
