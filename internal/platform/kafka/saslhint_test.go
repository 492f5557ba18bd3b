package kafka

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kctl/kctl/internal/platform/devcluster"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestSASLMissingSaidAtOnce: against a SCRAM cluster, a client without SASL
// is hung up on by every seed; that is said as soon as the last seed hangs
// up — not after --timeout, and not worded as a timeout.
func TestSASLMissingSaidAtOnce(t *testing.T) {
	c, err := devcluster.Start(devcluster.Options{SASLUser: "admin", SASLPassword: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s := Settings{Brokers: c.Brokers(), BrokersFrom: "--brokers", Timeout: 60 * time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	start := time.Now()
	_, err = kmsg.NewPtrMetadataRequest().RequestWith(context.Background(), NewSticky(cl, s))
	took := time.Since(start)
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want an *UnreachableError", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "every broker closed the connection") || !strings.Contains(msg, "SASL is probably missing") ||
		!strings.Contains(msg, "--sasl-mechanism") || strings.Contains(msg, "within") {
		t.Errorf("err = %q, want it to say at once that every broker hung up and SASL is probably missing", msg)
	}
	// The timeout is 60s; hanging up takes milliseconds. 30s leaves a
	// busy machine ample room.
	if took > 30*time.Second {
		t.Errorf("took %s: it waited for the timeout", took.Round(time.Millisecond))
	}
	// The client's own routing (kadm, the services' ping) says the same.
	pctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start = time.Now()
	err = Ping(pctx, cl, s)
	if took := time.Since(start); took > 30*time.Second || err == nil || !strings.Contains(err.Error(), "SASL is probably missing") {
		t.Errorf("Ping after %s: %v", took.Round(time.Millisecond), err)
	}
}
