package records

import (
	"errors"
	"strings"
	"testing"

	"github.com/kctl/kctl/internal/devcluster/devclustertest"
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
