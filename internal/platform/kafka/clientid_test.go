package kafka

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kctl's clients say who they are: kctl groups describe shows CLIENT kctl
// for kctl's own consumers, not franz-go's default "kgo". An extra option
// may still replace it (the services name themselves).
func TestClientID(t *testing.T) {
	s := Settings{Brokers: []string{"127.0.0.1:1"}, Timeout: time.Second}
	cl, err := NewClient(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if got := cl.OptValue(kgo.ClientID); got != "kctl" {
		t.Errorf("client ID %v, want kctl", got)
	}
	other, err := NewClient(s, nil, kgo.ClientID("kctl-email"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if got := other.OptValue(kgo.ClientID); got != "kctl-email" {
		t.Errorf("client ID with an extra option %v, want kctl-email", got)
	}
}
