package smoke

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/view"
)

func TestSummarize(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := Summarize(ds)
	if l.P50Ms != 50 || l.P99Ms != 99 || l.MaxMs != 100 || l.N != 100 {
		t.Errorf("Summarize(1..100ms) = %+v, want p50 50 p99 99 max 100", l)
	}
	if one := Summarize([]time.Duration{7 * time.Millisecond}); one.P50Ms != 7 || one.P99Ms != 7 || one.MaxMs != 7 {
		t.Errorf("one sample: %+v", one)
	}
	if (Summarize(nil) != Latency{}) {
		t.Error("no samples must give a zero Latency")
	}
}

func sampleReport() *Report {
	return &Report{
		Count: 2, Lost: 1, TotalMs: 1234, Started: time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC),
		Steps: []Step{
			{Name: StepConnect, Passed: true, Duration: 3 * time.Millisecond, Millis: 3, Detail: "3 brokers"},
			{Name: StepEmails, Passed: false, Duration: 2 * time.Second, Millis: 2000, Detail: `expected 2 email logs, 1 missing & <lost>`},
			{Name: StepDLT, Skipped: true, Detail: "skipped: an earlier step failed"},
		},
	}
}

func TestJUnitIsValidAndComplete(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatalf("JUnit does not parse: %v\n%s", err, b.String())
	}
	s := got.Suites[0]
	if s.Tests != 3 || s.Failures != 1 || s.Skipped != 1 || len(s.Cases) != 3 || s.Time != "1.234" {
		t.Fatalf("suite = %+v", s)
	}
	if f := s.Cases[1].Failure; f == nil || f.Message != `expected 2 email logs, 1 missing & <lost>` {
		t.Errorf("failure = %+v, want the step's detail, escaped and read back intact", f)
	}
	if s.Cases[2].Skipped == nil || s.Cases[0].Failure != nil {
		t.Errorf("cases = %+v", s.Cases)
	}
	if !strings.Contains(s.SystemOut, "FAIL: 1 of 3 checks failed, 1 skipped: "+StepEmails) {
		t.Errorf("system-out = %q", s.SystemOut)
	}
}

func TestTextReport(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport().WriteText(&b, view.Plain{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"✓ connect                                 3ms  3 brokers\n",
		"✗ email logged for each sign-up         2.00s  expected 2 email logs",
		"- poison record reaches the DLT                skipped: an earlier step failed\n",
		"sign-ups 0/2 accepted, lost 1, duplicated 0, total 1.23s\n",
		"FAIL: 1 of 3 checks failed, 1 skipped: email logged for each sign-up\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

func TestPasswordData(t *testing.T) {
	for _, tc := range []struct{ v, want string }{
		{`{"eventId":"x","type":"UserSignedUp","userId":1,"email":"a@b.c","name":"n"}`, ""},
		{`{"name":"n","password":"x"}`, "a password field"},
		{`{"name":"n","passwordHash":"x"}`, "a password field"},
		{`{"name":"n","x":"$2a$10$abc"}`, "a password hash"},
		{`{"name":"pw-secret"}`, "the plaintext password"},
	} {
		if got := passwordData([]byte(tc.v), "pw-secret"); got != tc.want {
			t.Errorf("passwordData(%s) = %q, want %q", tc.v, got, tc.want)
		}
	}
}
