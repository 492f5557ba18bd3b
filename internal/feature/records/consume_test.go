package records

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kctl/kctl/internal/platform/errs"

	"slices"
)

// fixture is a 3-broker kfake cluster with topic "t" of 3 partitions, each
// holding 10 records p<P>-<i> with key k<i> and timestamps base+i seconds.
type fixture struct {
	brokers []string
	adm     *kadm.Client
	base    time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := devclustertest.New(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, "t", 3, nil)
	cl := devclustertest.Client(t, c, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var recs []*kgo.Record
	for p := int32(0); p < 3; p++ {
		for i := 0; i < 10; i++ {
			recs = append(recs, &kgo.Record{Topic: "t", Partition: p, Key: fmt.Appendf(nil, "k%d", i),
				Value: fmt.Appendf(nil, "p%d-%d", p, i), Timestamp: base.Add(time.Duration(i) * time.Second)})
		}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return &fixture{brokers: c.Brokers(), adm: adm, base: base}
}

// consume plans o and runs it with a fresh client, printing "%p/%o %s".
func (fx *fixture) consume(t *testing.T, o ConsumeOptions) ([]string, *Plan, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := NewPlan(ctx, fx.adm, o)
	if err != nil {
		return nil, nil, err
	}
	cl, err := kgo.NewClient(append(append([]kgo.Opt{kgo.SeedBrokers(fx.brokers...)}, o.FetchOptions()...), p.GroupOptions()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	tf, _ := ParseFormat(`%p/%o %s\n`)
	var out bytes.Buffer
	n, err := p.Run(ctx, cl, tf, &out, 5*time.Second)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if out.Len() == 0 {
		lines = nil
	}
	if int(n) != len(lines) {
		t.Errorf("Run says %d records, printed %d", n, len(lines))
	}
	return lines, p, err
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

func TestConsumeFrom(t *testing.T) {
	fx := newFixture(t)
	from := func(s string) From {
		f, err := ParseFrom(s, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Run("beginning -e", func(t *testing.T) {
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("beginning"), Exit: true})
		if err != nil || len(lines) != 30 {
			t.Fatalf("%d lines, %v", len(lines), err)
		}
		// In order within a partition.
		var p1 []string
		for _, l := range lines {
			if strings.HasPrefix(l, "1/") {
				p1 = append(p1, l)
			}
		}
		if len(p1) != 10 || p1[0] != "1/0 p1-0" || p1[9] != "1/9 p1-9" {
			t.Errorf("partition 1: %q", p1)
		}
	})
	t.Run("end -e reads nothing and exits", func(t *testing.T) {
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("end"), Exit: true})
		if err != nil || len(lines) != 0 {
			t.Fatalf("%q, %v", lines, err)
		}
	})
	t.Run("offset, partition filter", func(t *testing.T) {
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{2, 0}, From: from("7"), Exit: true})
		if err != nil || len(lines) != 6 || count(lines, "1/") != 0 || count(lines, "0/7 ") != 1 || count(lines, "2/9 ") != 1 {
			t.Fatalf("%q, %v", lines, err)
		}
	})
	t.Run("offset past the end is clamped", func(t *testing.T) {
		lines, p, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{0}, From: from("99"), Exit: true})
		if err != nil || len(lines) != 0 || !p.Partitions[0].Clamped || p.Partitions[0].Start != 10 {
			t.Fatalf("%q, %+v, %v", lines, p, err)
		}
	})
	t.Run("-N", func(t *testing.T) {
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("-2"), Exit: true})
		if err != nil || len(lines) != 6 || count(lines, "0/8 p0-8") != 1 || count(lines, "2/9 p2-9") != 1 {
			t.Fatalf("%q, %v", lines, err)
		}
		lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("-50"), Exit: true})
		if err != nil || len(lines) != 30 {
			t.Fatalf("-50: %d lines, %v", len(lines), err)
		}
	})
	t.Run("time", func(t *testing.T) {
		at := From{Kind: FromTime, Time: fx.base.Add(7 * time.Second)}
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: at, Exit: true})
		if err != nil || len(lines) != 9 || count(lines, "1/7 p1-7") != 1 || count(lines, "1/6 ") != 0 {
			t.Fatalf("%q, %v", lines, err)
		}
		// A duration ago: every record is an hour old.
		lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("-2h"), Exit: true})
		if err != nil || len(lines) != 30 {
			t.Fatalf("-2h: %d lines, %v", len(lines), err)
		}
		lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("-30m"), Exit: true})
		if err != nil || len(lines) != 0 {
			t.Fatalf("-30m: %q, %v", lines, err)
		}
	})
	t.Run("-n stops after N, without -e", func(t *testing.T) {
		lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{1}, From: from("beginning"), Max: 4})
		if err != nil || len(lines) != 4 || lines[3] != "1/3 p1-3" {
			t.Fatalf("%q, %v", lines, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t", "nope"}, From: from("beginning")})
		var nf *errs.TopicNotFound
		if !errors.As(err, &nf) || !slices.Equal(nf.Topics, []string{"nope"}) || !strings.Contains(err.Error(), `topic "nope" not found`) {
			t.Errorf("unknown topic: %v", err)
		}
		_, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{3}, From: from("beginning")})
		if err == nil || err.Error() != `partition 3 is out of range: topic "t" has 3 partitions (0-2)` {
			t.Errorf("partition: %v", err)
		}
		_, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, From: from("stored")})
		if err == nil || !strings.Contains(err.Error(), "--from stored reads a group's committed offsets: give --group G") {
			t.Errorf("stored without group: %v", err)
		}
		_, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{0}, Group: "g", From: from("stored")})
		if err == nil || !strings.Contains(err.Error(), "--partition and --group do not go together") {
			t.Errorf("partition with group: %v", err)
		}
	})
}

// -e stops at the end seen at start: records produced later are not read.
func TestConsumeExitAtStartEnd(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	p, err := NewPlan(ctx, fx.adm, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{0}, Exit: true})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(fx.brokers...), kgo.DefaultProduceTopic("t"),
		kgo.RecordPartitioner(kgo.ManualPartitioner())}, p.Options.FetchOptions()...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Partition: 0, Value: []byte("late")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	n, err := p.Run(ctx, cl, JSON{}, &out, time.Second)
	if err != nil || n != 10 || strings.Contains(out.String(), "late") {
		t.Fatalf("%d records, %v:\n%s", n, err, out.String())
	}
}

// read_committed by default: records of an aborted transaction are not
// printed, -e still ends (the transaction markers count as offsets), and
// --read-uncommitted shows them.
func TestConsumeTransactions(t *testing.T) {
	fx := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	txn, err := kgo.NewClient(kgo.SeedBrokers(fx.brokers...), kgo.TransactionalID("tx"), kgo.DefaultProduceTopic("t"),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer txn.Close()
	for _, commit := range []bool{false, true} {
		if err := txn.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := txn.ProduceSync(ctx, &kgo.Record{Partition: 0, Value: fmt.Appendf(nil, "txn-%v", commit)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := txn.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{0}, Exit: true})
	if err != nil || len(lines) != 11 || count(lines, "0/") != 11 || strings.Contains(strings.Join(lines, ","), "txn-false") || lines[10] != "0/12 txn-true" {
		t.Fatalf("read_committed: %q, %v", lines, err)
	}
	lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Partitions: []int32{0}, Exit: true, ReadUncommitted: true})
	if err != nil || len(lines) != 12 || !strings.Contains(strings.Join(lines, ","), "txn-false") {
		t.Fatalf("read_uncommitted: %q, %v", lines, err)
	}

	// With a group, the commit is the consumer's position: past the last
	// commit marker (offset 13), the end, as librdkafka commits; not the
	// last record's offset + 1 (13, a permanent lag of 1 to other tools).
	lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "txg", From: From{Kind: FromStored}, Exit: true})
	if err != nil || len(lines) != 31 {
		t.Fatalf("group: %d lines, %v", len(lines), err)
	}
	offs, err := fx.adm.FetchOffsets(ctx, "txg")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := fx.adm.ListEndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 3; p++ {
		o, _ := offs.Lookup("t", p)
		e, _ := ends.Lookup("t", p)
		if o.Err != nil || e.Err != nil || o.At != e.Offset {
			t.Errorf("partition %d: committed %d (%v), end %d (%v): want the end", p, o.At, o.Err, e.Offset, e.Err)
		}
	}
	if o, _ := offs.Lookup("t", 0); o.At != 14 {
		t.Errorf("partition 0 committed %d, want 14 (past the commit marker at 13)", o.At)
	}
}

// With a group: joins, commits what it printed, and a second run starts
// at the committed offsets (stored).
func TestConsumeGroupCommits(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	lines, _, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "g", From: From{Kind: FromStored}, Max: 30, Exit: true})
	if err != nil || len(lines) != 30 {
		t.Fatalf("first run: %d lines, %v", len(lines), err)
	}
	offs, err := fx.adm.FetchOffsets(ctx, "g")
	if err != nil {
		t.Fatal(err)
	}
	for p := int32(0); p < 3; p++ {
		if o, ok := offs.Lookup("t", p); !ok || o.At != 10 {
			t.Errorf("partition %d committed %+v, want 10", p, o)
		}
	}
	lines, p, err := fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "g", From: From{Kind: FromStored}, Exit: true})
	if err != nil || len(lines) != 0 {
		t.Fatalf("second run: %q, %v", lines, err)
	}
	for _, pp := range p.Partitions {
		if !pp.Committed || pp.Start != 10 {
			t.Errorf("plan %+v", pp)
		}
	}

	// -n: only what was printed is committed; the next run goes on from there.
	lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "h", From: From{Kind: FromStored}, Max: 3})
	if err != nil || len(lines) != 3 {
		t.Fatalf("-n 3: %q, %v", lines, err)
	}
	offs, err = fx.adm.FetchOffsets(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	offs.Each(func(o kadm.OffsetResponse) { sum += o.At })
	if sum != 3 {
		t.Errorf("group h committed %d records in all, want 3: %+v", sum, offs)
	}
	lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "h", From: From{Kind: FromStored}, Exit: true})
	if err != nil || len(lines) != 27 {
		t.Fatalf("rest: %d lines, %v", len(lines), err)
	}
	// With --from end, a partition the group never committed starts at the end.
	lines, _, err = fx.consume(t, ConsumeOptions{Topics: []string{"t"}, Group: "fresh", From: From{Kind: FromEnd}, Exit: true})
	if err != nil || len(lines) != 0 {
		t.Fatalf("fresh group from end: %q, %v", lines, err)
	}
}
