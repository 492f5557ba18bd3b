package users

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster/devclustertest"
	"github.com/kctl/kctl/services/event"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestRestartDoesNotRepublish: a run killed after Kafka acknowledged its
// outbox batch but before the rows were marked sent leaves them pending;
// the next start finds their events already on the topic, marks them sent
// and publishes only the rest — each event once.
func TestRestartDoesNotRepublish(t *testing.T) {
	c := newCluster(t)
	devclustertest.CreateTopic(t, devclustertest.Admin(t, c), event.Topic, 3, nil)
	cfg := testConfig(t, c)

	// The dead run: three sign-ups stored (user rows and pending outbox
	// rows), the first two published, then killed before marking them.
	dead, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var evs []event.UserSignedUp
	for i, email := range []string{"a@test.com", "b@test.com", "c@test.com"} {
		_, ev, err := dead.createUser(context.Background(), email, "N", "hash")
		if err != nil {
			t.Fatalf("sign-up %d: %v", i, err)
		}
		evs = append(evs, ev)
	}
	if err := dead.Close(); err != nil {
		t.Fatal(err)
	}
	cl := devclustertest.Client(t, c, kgo.DefaultProduceTopic(event.Topic))
	for _, ev := range evs[:2] {
		b, _ := ev.Marshal()
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Key: ev.Key(), Value: b}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}

	r := start(t, cfg)
	deadline := time.Now().Add(60 * time.Second)
	for pendingRows(t, r.dbPath) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("outbox rows still pending after 60s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	recs := consumeAll(t, c, event.Topic, 3, 30*time.Second)
	seen := map[string]int{}
	for _, rec := range recs {
		var ev event.UserSignedUp
		if err := json.Unmarshal(rec.Value, &ev); err != nil {
			t.Fatal(err)
		}
		seen[ev.EventID]++
	}
	for i, ev := range evs {
		if seen[ev.EventID] != 1 {
			t.Errorf("event of sign-up %d on the topic %d times, want once", i+1, seen[ev.EventID])
		}
	}
}
