package records

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func readAll(t *testing.T, r io.Reader, limit int) ([]string, error) {
	t.Helper()
	lr := NewLineReader(r, limit)
	var out []string
	for {
		l, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(l))
	}
}

func TestLineReader(t *testing.T) {
	big := strings.Repeat("x", 3<<20) // longer than bufio.Scanner's 64 KiB and our 1 MiB buffer
	in := "a\n\nb\r\n" + big + "\nlast"
	got, err := readAll(t, iotest.HalfReader(strings.NewReader(in)), 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "", "b\r", big, "last"}
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %.20q (len %d), want %.20q (len %d)", i+1, got[i], len(got[i]), want[i], len(want[i]))
		}
	}
	// A trailing newline does not make an empty last line.
	if got, _ := readAll(t, strings.NewReader("a\nb\n"), 10); len(got) != 2 {
		t.Errorf("%q", got)
	}

	// Exactly at the limit passes, one over is refused with its line
	// number, newline or not, short or long (beyond the buffer).
	for _, limit := range []int{5, 2 << 20} {
		ok := strings.Repeat("y", limit)
		for _, tail := range []string{"\n", ""} {
			got, err := readAll(t, strings.NewReader("1\n"+ok+tail), limit)
			if err != nil || len(got) != 2 || got[1] != ok {
				t.Errorf("limit %d, at the limit: %d lines, %v", limit, len(got), err)
			}
			got, err = readAll(t, strings.NewReader("1\n"+ok+"y"+tail+"3\n"), limit)
			var lt *LineTooLongError
			if !errors.As(err, &lt) || lt.Line != 2 || lt.Size <= limit || len(got) != 1 {
				t.Errorf("limit %d, one over (tail %q): %v, %d lines", limit, tail, err, len(got))
			}
		}
	}
}

func TestBatchSize(t *testing.T) {
	// A record with a 1-byte key, 3-byte value and no headers: body = 3 +
	// 1+1 + 1+3 + 1 = 10, length varint 1, batch header 61: the broker's
	// count (kgo's 4-byte array length is not part of it).
	if n := BatchSize([]byte("k"), []byte("abc"), false, nil); n != 72 {
		t.Errorf("BatchSize = %d, want 72", n)
	}
	if n := BatchSize(nil, []byte("abc"), true, nil); n != 71 {
		t.Errorf("null key: %d, want 71", n)
	}
}
