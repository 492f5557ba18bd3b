package records

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// benchLines is n lines of 100 bytes.
func benchLines(n int) string {
	var b strings.Builder
	pad := strings.Repeat("x", 93)
	for i := range n {
		fmt.Fprintf(&b, "%07d%s\n", i, pad)
	}
	return b.String()
}

// BenchmarkProduce100k: kctl produce's path (line reader, slabs, async
// produce, acks=all, idempotent) for 100,000 lines of 100 bytes into a
// 3-partition topic of an in-process kfake cluster (which does most of
// the work). scripts/bench-records.sh compares the binary with kcat.
func BenchmarkProduce100k(b *testing.B) {
	const n = 100_000
	c := devclustertest.New(b)
	adm := devclustertest.Admin(b, c)
	in := benchLines(n)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		topic := fmt.Sprintf("p%d", i)
		devclustertest.CreateTopic(b, adm, topic, 3, nil)
		o := ProduceOptions{Topic: topic, Partition: -1, MaxMessageBytes: DefaultMaxMessageBytes}
		opts, _ := o.ClientOptions("")
		cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...))...)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Produce(context.Background(), cl, strings.NewReader(in), o)
		cl.Close()
		if err != nil || res.Sent != n {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkConsume100k: kctl consume -e's path (plan, fetch, text encoder,
// buffered writes) for 100,000 records of 100 bytes from 3 partitions.
func BenchmarkConsume100k(b *testing.B) {
	const n = 100_000
	c := devclustertest.New(b)
	adm := devclustertest.Admin(b, c)
	devclustertest.CreateTopic(b, adm, "c", 3, nil)
	o := ProduceOptions{Topic: "c", Partition: -1, MaxMessageBytes: DefaultMaxMessageBytes}
	opts, _ := o.ClientOptions("")
	pcl, err := kgo.NewClient(append(opts, kgo.SeedBrokers(c.Brokers()...))...)
	if err != nil {
		b.Fatal(err)
	}
	in := benchLines(n)
	if res, err := Produce(context.Background(), pcl, strings.NewReader(in), o); err != nil || res.Sent != n {
		b.Fatalf("%+v %v", res, err)
	}
	pcl.Close()
	tf, _ := ParseFormat(DefaultFormat)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		co := ConsumeOptions{Topics: []string{"c"}, Exit: true}
		p, err := NewPlan(context.Background(), adm, co)
		if err != nil {
			b.Fatal(err)
		}
		cl, err := kgo.NewClient(append(co.FetchOptions(), kgo.SeedBrokers(c.Brokers()...))...)
		if err != nil {
			b.Fatal(err)
		}
		var cw countWriter
		got, err := p.Run(context.Background(), cl, tf, &cw, 0)
		cl.Close()
		if err != nil || got != n || cw.n != int64(len(in)) {
			b.Fatalf("%d records, %d bytes, %v", got, cw.n, err)
		}
	}
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
