package email

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestOutcomeJournalRoundTrip: every field of an outcome survives the
// journal, strings needing JSON escapes included, and a torn or damaged
// line is skipped without losing the lines after it.
func TestOutcomeJournalRoundTrip(t *testing.T) {
	rows := []logRow{
		{EventID: "0192e0c4-7b1a-7c3e-9a55-1f2e3d4c5b6a", UserID: 12345, Recipient: "user12345@test.com",
			Subject: "이름님, 회원 가입을 축하드립니다!", Topic: "user.signed-up", Partition: 2, Offset: 98765,
			OccurredAt: "2026-12-03T08:00:00.123456789Z", status: StatusSent, attempts: 1, sentAt: 1764748800123456789},
		{EventID: "e2", UserID: 7, Recipient: "q\"uo\\te\x01@test.com", Subject: "tab\there\nnew line",
			Topic: "t", Partition: 0, Offset: 1, OccurredAt: "x", status: StatusFailed, attempts: 5,
			err: `550 "no such user"`, resend: true},
		{EventID: "e3", UserID: 8, Recipient: "r@test.com", Subject: "s", Topic: "t", Offset: 2, OccurredAt: "y",
			status: StatusSent, attempts: 2, sentAt: 1},
	}
	var file bytes.Buffer
	file.Write(encodeOutcome(&rows[0]))
	damaged := encodeOutcome(&rows[1])
	damaged[20] ^= 1 // a flipped bit: the checksum fails
	file.Write(damaged)
	file.Write(encodeOutcome(&rows[1]))
	file.Write(encodeOutcome(&rows[2]))
	file.Write(encodeOutcome(&rows[0])[:30]) // torn at the end
	path := filepath.Join(t.TempDir(), "email.db"+journalSuffix+"1")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, rows)
	}
	if got, err := readJournal(path + "-missing"); err != nil || got != nil {
		t.Errorf("missing journal: %v, %v; want nothing and no error", got, err)
	}
}
