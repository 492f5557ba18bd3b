package email

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
)

// TestCrashResendsOnlyTheSendInProgress: a run died while sending a batch of
// three events; it had logged the first as sent. At the next start the first
// is not sent again, the second (in progress when it died: maybe sent) is
// re-sent with its event ID and counted, the third (never started) is sent
// normally; no event is left unsent.
func TestCrashResendsOnlyTheSendInProgress(t *testing.T) {
	c := newFlowCluster(t)
	fs := &fakeSender{}
	cfg := testConfig(t, c, fs)
	evs := produceEvents(t, c, 1, 3)
	// All on one partition would be ideal; the batch record names the
	// partition of its first event, which is all recovery uses.
	dead, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rows []logRow
	for _, ev := range evs {
		rows = append(rows, logRow{EventID: ev.EventID, UserID: ev.UserID, Recipient: ev.Email, Subject: "s", Topic: event.Topic, OccurredAt: ev.OccurredAt.Format(time.RFC3339Nano)})
	}
	now := time.Now()
	id, err := dead.begin(context.Background(), rows, now)
	if err != nil {
		t.Fatal(err)
	}
	// The first outcome is in the batch's journal (as a crash leaves it:
	// not yet in email_log), followed by a line torn by a power loss.
	journal, err := dead.openJournal(id)
	if err != nil {
		t.Fatal(err)
	}
	first := rows[0]
	first.status, first.attempts, first.sentAt = StatusSent, 1, now.UnixNano()
	if err := appendOutcome(journal, &first); err != nil {
		t.Fatal(err)
	}
	torn := rows[1]
	torn.status, torn.attempts, torn.sentAt = StatusSent, 1, now.UnixNano()
	if _, err := journal.Write(encodeOutcome(&torn)[:40]); err != nil {
		t.Fatal(err)
	}
	journal.Close()
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}

	r := start(t, cfg)
	waitFor(t, 20*time.Second, "all three events logged sent", func() bool { return len(getLogs(t, r.url, "?status=sent")) == 3 })
	if n := fs.attempts(evs[0].EventID); n != 0 {
		t.Errorf("event 1, logged sent before the crash, was sent again (%d times)", n)
	}
	for _, ev := range evs[1:] {
		if n := fs.attempts(ev.EventID); n != 1 {
			t.Errorf("event of user %d sent %d times, want 1", ev.UserID, n)
		}
	}
	if got := metric(t, r.url, "kctl_email_resent_after_crash_total"); got != "1" {
		t.Errorf("kctl_email_resent_after_crash_total = %q, want 1 (only the send in progress)", got)
	}
	if got := getLogs(t, r.url, "?eventId="+evs[1].EventID); len(got) != 1 || got[0].Status != StatusSent {
		t.Errorf("log of the re-sent event = %+v", got)
	}
	if got := getLogs(t, r.url, "?eventId="+evs[0].EventID); len(got) != 1 || got[0].Status != StatusSent || got[0].Attempts != 1 {
		t.Errorf("log of the event sent before the crash = %+v, want the journal's outcome", got)
	}
	if left := journals(t, cfg.DBPath); len(left) != 0 {
		t.Errorf("outcome journals left after recovery: %v", left)
	}
}

// journals returns the outcome journal files beside the database at db.
func journals(t *testing.T, db string) []string {
	t.Helper()
	m, err := filepath.Glob(db + journalSuffix + "*")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// journalOutcomes returns the outcomes in every journal beside db.
func journalOutcomes(t *testing.T, db string) []logRow {
	t.Helper()
	var out []logRow
	for _, p := range journals(t, db) {
		rows, err := readJournal(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return out
}

// blockingSender blocks the send of one event until released.
type blockingSender struct {
	fakeSender
	blockID string
	blocked chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingSender) Send(ctx context.Context, m Message) error {
	if m.EventID == b.blockID {
		b.once.Do(func() { close(b.blocked) })
		select {
		case <-b.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return b.fakeSender.Send(ctx, m)
}

// TestEachOutcomeIsDurableBeforeTheNextSend: while the fifth event of a
// partition is being sent, the four before it are already written (to the
// batch's outcome journal, which a crash of the process does not lose), so
// a crash then leaves only the send in progress ambiguous.
func TestEachOutcomeIsDurableBeforeTheNextSend(t *testing.T) {
	c := newCluster(t)
	adm := devclustertest.Admin(t, c)
	devclustertest.CreateTopic(t, adm, event.Topic, 1, nil)
	devclustertest.CreateTopic(t, adm, event.DLTTopic(event.Topic), 1, nil)
	evs := produceEvents(t, c, 1, 8)
	bs := &blockingSender{blockID: evs[4].EventID, blocked: make(chan struct{}), release: make(chan struct{})}
	cfg := testConfig(t, c, bs)
	r := start(t, cfg)
	select {
	case <-bs.blocked:
	case <-time.After(30 * time.Second):
		t.Fatal("the fifth event was never sent")
	}
	written := map[string]bool{}
	for _, row := range journalOutcomes(t, cfg.DBPath) {
		if row.status == StatusSent {
			written[row.EventID] = true
		}
	}
	for _, row := range getLogs(t, r.url, "?status=sent") {
		written[row.EventID] = true
	}
	close(bs.release)
	if len(written) != 4 {
		t.Fatalf("while the fifth send is in progress %d outcomes are written, want the 4 before it", len(written))
	}
	for _, ev := range evs[:4] {
		if !written[ev.EventID] {
			t.Errorf("event of user %d sent but its outcome not written before the next send", ev.UserID)
		}
	}
	waitFor(t, 20*time.Second, "all eight logged", func() bool { return len(getLogs(t, r.url, "?status=sent")) == 8 })
}
